// The pool of upstreams: one multiplexer per (server, user), per session, or per server,
// following each server's isolation (DESIGN §5); idle reaping, request timeouts, shutdown.
import type { Logger } from '../logging/logger.ts';
import { isStdioServer, type ServerConfig } from '../config/schema.ts';
import { Multiplexer } from './multiplexer.ts';
import { StdioChild } from './stdio-child.ts';
import { HttpUpstream } from './http-upstream.ts';
import { childEnvironment } from './command.ts';
import type { ChildRegistry } from './child-registry.ts';
import type { Upstream } from './upstream.ts';
import type { RunFailure } from './upstream-runner.ts';
import type { LimitsConfig } from '../config/schema.ts';
import { LimitError } from '../sessions/limits.ts';

export const UPSTREAM_PROTOCOL_VERSION = '2025-11-25';

export interface PoolOptions {
  logger: Logger;
  registry?: ChildRegistry;
  clientInfo: { name: string; version: string };
  /** A multiplexer with no session for this long is stopped. */
  idleMs: number;
  requestTimeoutMs: number;
  /** From spawn to the initialize result (bounded by the request timeout). */
  startTimeoutMs?: number;
  /** Longest message a server may send; also the input backlog a server may leave unread. Default 16 MiB. */
  maxMessageBytes?: number;
  stderrBytes: number;
  /** The user's own environment for a server (their `userEnv` values). */
  userEnv?: (server: string, user: string) => Promise<Record<string, string>> | Record<string, string>;
  env?: NodeJS.ProcessEnv;
  /** Per-person limits (child processes); default none. */
  limits?: () => LimitsConfig;
}

export interface UpstreamInfo {
  key: string;
  server: string;
  user?: string;
  pid?: number;
  state: string;
  sessions: number;
  inflight: number;
  /** Requests from the server waiting for a session's answer. */
  serverRequests: number;
  stderrBytes: number;
  /** Bytes written to the server that it has not read yet. */
  backlog: number;
  /** The last failure to start or crash (reset by a run that stays up a minute); `crashes` > 1 means it is crash-looping. */
  failure?: RunFailure;
}

interface Entry {
  key: string;
  server: string;
  user?: string;
  mux: Multiplexer;
  /** It runs a child process of its own (stdio, not shared): counted against its person's limit. */
  child: boolean;
  idleSince?: number;
}

export class UpstreamPool {
  private entries = new Map<string, Entry>();
  private sweeper: NodeJS.Timeout;
  private closed = false;
  /** Servers seen asking clients questions: with isolation "auto", each new session gets its own process. */
  private readonly asksClients = new Set<string>();

  constructor(private servers: Record<string, ServerConfig>, private readonly options: PoolOptions) {
    const every = Math.max(250, Math.min(options.idleMs / 4, options.requestTimeoutMs / 4, 5_000));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  /** Replaces the server table (config reload). Children of removed or changed servers stop. */
  async setServers(servers: Record<string, ServerConfig>): Promise<void> {
    const before = this.servers;
    this.servers = servers;
    const stops: Promise<void>[] = [];
    for (const [key, e] of this.entries) {
      if (runKey(before[e.server]) !== runKey(servers[e.server])) {
        this.entries.delete(key);
        stops.push(e.mux.close());
      }
    }
    await Promise.all(stops);
  }

  /** The upstreams of a server now (to tell their sessions something). */
  muxesOf(server: string): Multiplexer[] {
    return [...this.entries.values()].filter((e) => e.server === server).map((e) => e.mux);
  }

  /** The key deciding which sessions share an upstream. */
  keyFor(server: string, user: string, sessionId: string, options: { perUser?: boolean } = {}): string {
    const config = this.servers[server];
    if (!config) throw new Error(`no server named "${server}"`);
    const userKey = `${server}\u0000user\u0000${user}`;
    const sessionKey = `${server}\u0000session\u0000${sessionId}`;
    // HTTP upstreams: one upstream session per gateway session (DESIGN §5). Requests without a
    // session (2026-07-28) always use the person's own upstream.
    if (!isStdioServer(config)) return options.perUser ? userKey : sessionKey;
    switch (config.isolation) {
      case 'shared': return `${server}\u0000shared`;
      case 'per-session': return options.perUser ? userKey : sessionKey;
      case 'auto': return !options.perUser && this.asksClients.has(server) ? sessionKey : userKey;
      default: return userKey;
    }
  }

  /** The multiplexer for this server, user and session, created (not started) if needed. */
  acquire(server: string, user: string, sessionId: string, options: { perUser?: boolean } = {}): Multiplexer {
    if (this.closed) throw new Error('the gateway is shutting down');
    const key = this.keyFor(server, user, sessionId, options);
    let entry = this.entries.get(key);
    if (!entry) {
      const config = this.servers[server]!;
      if (isStdioServer(config) && config.isolation !== 'shared') this.assertRoom(user);
      const logger = this.options.logger.child({ server, user });
      const mux = new Multiplexer({
        createUpstream: () => this.createUpstream(server, config, user, logger),
        logger,
        protocolVersion: UPSTREAM_PROTOCOL_VERSION,
        clientInfo: this.options.clientInfo,
        requestTimeoutMs: this.options.requestTimeoutMs,
        startTimeoutMs: this.options.startTimeoutMs,
        maxBacklogBytes: this.options.maxMessageBytes,
      });
      mux.onserverrequest = () => {
        if (!isStdioServer(config) || config.isolation !== 'auto' || this.asksClients.has(server)) return;
        this.asksClients.add(server);
        logger.info('the server asks clients questions (sampling, elicitation or roots): each new session gets its own process from now on');
      };
      entry = { key, server, user: key.includes('\u0000shared') ? undefined : user, mux, child: isStdioServer(config) && config.isolation !== 'shared' };
      const e = entry;
      mux.onidle = () => {
        // A per-session upstream belongs to its one session: stop it with the session.
        if (key.includes('\u0000session\u0000')) this.drop(e);
        else e.idleSince = Date.now();
      };
      this.entries.set(key, entry);
    }
    entry.idleSince = undefined;
    return entry.mux;
  }

  /** True when `mux` runs a process for one session alone (per-session isolation, or auto once exact). */
  ownsProcessAlone(mux: Multiplexer): boolean {
    for (const e of this.entries.values()) if (e.mux === mux) return e.child && e.key.includes('\u0000session\u0000');
    return false;
  }

  /** Throws LimitError when `user` may not have another child process. */
  private assertRoom(user: string): void {
    const max = this.options.limits?.().processesPerPerson;
    if (max === undefined) return;
    let n = 0;
    for (const e of this.entries.values()) if (e.user === user && e.child) n++;
    if (n >= max) throw new LimitError('processesPerPerson', max);
  }

  private createUpstream(server: string, config: ServerConfig, user: string, logger: Logger): Upstream {
    if (!isStdioServer(config)) return new HttpUpstream({ url: config.url, headers: config.headers, logger });
    const base = childEnvironment(this.options.env ?? process.env, config.env);
    const userEnv = this.options.userEnv;
    const personal = userEnv && config.isolation !== 'shared' && config.userEnv.length > 0;
    return new StdioChild({
      command: config.command, args: config.args, env: base, cwd: config.cwd,
      stderrBytes: this.options.stderrBytes, logger, registry: this.options.registry, maxMessageBytes: this.options.maxMessageBytes,
      // The user's values are looked up at each start, so a change applies on the next restart.
      extraEnv: personal ? () => userEnv(server, user) : undefined,
    });
  }

  private drop(entry: Entry): void {
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    entry.mux.close().catch((e: Error) => this.options.logger.warn({ err: e.message }, 'stopping an upstream failed'));
  }

  private sweep(): void {
    const now = Date.now();
    for (const entry of this.entries.values()) {
      entry.mux.expireRequests(now);
      if (entry.mux.sessionCount > 0) continue;
      entry.idleSince ??= now;
      if (now - entry.idleSince >= this.options.idleMs) {
        this.options.logger.info({ server: entry.server }, 'stopping an idle server process');
        this.drop(entry);
      }
    }
  }

  /** Stops every upstream of a user (removed user), or of a server. */
  async stopWhere(match: (e: { server: string; user?: string }) => boolean): Promise<void> {
    const stops: Promise<void>[] = [];
    for (const [key, e] of this.entries) {
      if (match(e)) {
        this.entries.delete(key);
        stops.push(e.mux.close());
      }
    }
    await Promise.all(stops);
  }

  /** Stops matching upstreams but keeps their sessions: each restarts on its next use (new env). */
  async restartWhere(match: (e: { server: string; user?: string }) => boolean): Promise<void> {
    await Promise.all([...this.entries.values()].filter(match).map((e) => e.mux.stop()));
  }

  list(): UpstreamInfo[] {
    return [...this.entries.values()].map((e) => ({
      key: e.key, server: e.server, user: e.user, pid: e.mux.pid, state: e.mux.state,
      sessions: e.mux.sessionCount, inflight: e.mux.inflightCount, serverRequests: e.mux.serverRequestCount, stderrBytes: e.mux.stderr?.bytes ?? 0, backlog: e.mux.backlog, failure: e.mux.failure,
    }));
  }

  /** The recent stderr of the upstream behind a key, for the UI. */
  stderr(key: string): string | undefined {
    return this.entries.get(key)?.mux.stderr?.text();
  }

  /** Stops every upstream; resolves when every child has exited. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => e.mux.close()));
  }
}

/** What decides how a server's processes run: its settings but its permissions (those change nothing in a process). */
function runKey(config: ServerConfig | undefined): string {
  if (!config) return '';
  const { permissions: _permissions, ...rest } = config as ServerConfig & { permissions?: unknown };
  return JSON.stringify(rest);
}
