// Whether each server can start, as the owner sees it on its card, in the tray and in the status
// stream: its command is looked up on PATH when it is saved, imported or loaded; a new or changed
// server is test-started in the background; after that its processes tell (ready, starting, the
// last failure, crash loops), and the last word is remembered after an idle process is reaped.
import { createRequire } from 'node:module';
import { isStdioServer, type ServerConfig } from '../config/schema.ts';
import type { Logger } from '../logging/logger.ts';
import type { Publisher } from '../publisher.ts';
import { childEnvironment, resolveCommand } from '../upstream/command.ts';
import type { ServerHealthView } from './api.ts';
import { testAsOwner } from './server-test.ts';

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export interface ServerHealthOptions {
  publisher: Publisher;
  logger: Logger;
  /** How often the running processes are looked at; default 1 s. */
  pollMs?: number;
  /** A background check gives up after this long; default 30 s. */
  checkTimeoutMs?: number;
  /** PATH for finding commands; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** What is known of one server, for the config it had then. */
interface Known extends ServerHealthView { config: string }

/** The sentence for a command that is not there, with what to do about it. */
export function commandProblem(config: ServerConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!isStdioServer(config)) return undefined;
  const childEnv = childEnvironment(env, config.env);
  if (resolveCommand(config.command, childEnv, config.cwd)) return undefined;
  return config.command.includes('/') || config.command.includes('\\')
    ? `command not found: "${config.command}" does not exist or cannot be run. Check the path`
    : `command not found: "${config.command}" is not on PATH on this computer (searched PATH). Install it, or give its full path`;
}

export class ServerHealth {
  private readonly known = new Map<string, Known>();
  private readonly listeners = new Set<() => void>();
  private readonly checks = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private shown = '';
  private stopped = false;

  constructor(private readonly o: ServerHealthOptions) {}

  /** Looks up every server's command, then follows their processes until `stop()`. */
  start(): void {
    this.stopped = false;
    this.poll(false);
    this.timer = setInterval(() => this.poll(true), this.o.pollMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.listeners.clear();
  }

  /** Calls `listener` whenever some server's health changed; returns the unsubscribe function. */
  onchange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  /** One server's health now. */
  view(name: string, config: ServerConfig | undefined = this.o.publisher.currentConfig.mcpServers[name]): ServerHealthView {
    if (!config) return { state: 'idle' };
    if (!config.enabled) return { state: 'disabled' };
    const ups = this.o.publisher.pool.list().filter((u) => u.server === name);
    const ready = ups.filter((u) => u.state === 'ready').length;
    const known = this.knownFor(name, config);
    if (ready > 0) return { state: 'ready', processes: ready };
    if (ups.some((u) => u.state === 'starting') && known.state !== 'crash-looping') return { state: 'starting' };
    const { config: _c, ...view } = known;
    return view;
  }

  /** After a save or an import: the command is looked up at once, and the server test-started in the background. */
  checkInBackground(name: string): void {
    const config = this.o.publisher.currentConfig.mcpServers[name];
    if (!config?.enabled || this.checks.has(name)) return;
    const key = JSON.stringify(config);
    this.knownFor(name, config);
    if (commandProblem(config, this.o.env)) return this.changed(); // the command is missing: no need to run it
    this.known.set(name, { config: key, state: 'checking' });
    this.checks.add(name);
    this.changed();
    this.queue = this.queue.then(async () => {
      if (this.stopped) return;
      const r = await testAsOwner(this.o.publisher, name, config, { name: 'mcp-publish-check', version: VERSION }, this.o.checkTimeoutMs ?? 30_000)
        .catch((e: Error) => ({ ok: false as const, error: e.message, stderr: '', ms: 0, notes: [], missingUserEnv: [] }));
      this.checks.delete(name);
      // Changed again meanwhile: that change has its own check.
      if (JSON.stringify(this.o.publisher.currentConfig.mcpServers[name]) !== key) return;
      const at = Date.now();
      if (r.ok) this.known.set(name, { config: key, state: 'ready', at });
      else if (r.missingUserEnv.length) {
        this.known.set(name, { config: key, state: 'idle', at, reason: `not checked: it needs values each person gives (${r.missingUserEnv.join(', ')}), and you have not set yours` });
      } else this.known.set(name, { config: key, state: 'cannot-start', reason: r.error, at, ...(r.stderr ? { detail: r.stderr } : {}) });
      this.o.logger.info({ server: name, ok: r.ok }, 'server checked in the background');
      this.changed();
    });
  }

  /** What is known for this config of the server; a new or changed config starts from its command. */
  private knownFor(name: string, config: ServerConfig): Known {
    const key = JSON.stringify(config);
    let known = this.known.get(name);
    if (!known || known.config !== key) {
      const problem = commandProblem(config, this.o.env);
      known = problem ? { config: key, state: 'cannot-start', reason: problem, at: Date.now() } : { config: key, state: 'idle' };
      this.known.set(name, known);
    }
    return known;
  }

  /** Takes in what the processes say (so it outlives them) and tells listeners when anything changed. */
  private poll(notify: boolean): void {
    const servers = this.o.publisher.currentConfig.mcpServers;
    for (const name of this.known.keys()) if (!servers[name]) this.known.delete(name);
    for (const [name, config] of Object.entries(servers)) {
      const known = this.knownFor(name, config);
      const ups = this.o.publisher.pool.list().filter((u) => u.server === name);
      if (ups.some((u) => u.state === 'ready')) {
        if (known.state !== 'ready') this.known.set(name, { config: known.config, state: 'ready', at: Date.now() });
        continue;
      }
      const failed = ups.filter((u) => u.failure).sort((a, b) => b.failure!.at - a.failure!.at)[0];
      const failure = failed?.failure;
      if (failure && failure.at >= (known.at ?? 0) && (known.at !== failure.at || known.crashes !== failure.crashes)) {
        const detail = this.o.publisher.pool.stderr(failed.key)?.trimEnd().split('\n').slice(-20).join('\n');
        this.known.set(name, {
          config: known.config, state: failure.crashes > 1 ? 'crash-looping' : 'cannot-start',
          reason: failure.reason, at: failure.at, crashes: failure.crashes, retryAt: failure.retryAt, ...(detail ? { detail } : {}),
        });
      }
    }
    const now = JSON.stringify(Object.keys(servers).map((n) => [n, this.view(n, servers[n])]));
    if (now !== this.shown) {
      this.shown = now;
      if (notify) for (const l of [...this.listeners]) l();
    }
  }

  private changed(): void {
    this.shown = '';
    this.poll(true);
  }
}
