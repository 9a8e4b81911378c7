// Cloudflare Tunnel through the `cloudflared` program on PATH (DESIGN §8): a quick tunnel (no
// account, a random https://*.trycloudflare.com URL each start) or a named tunnel run with its
// token (a stable hostname). The process is restarted with backoff when it exits.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { readSecret, type SecretSource } from './secret-source.ts';
import { SupervisedTunnel, type SupervisorOptions, type TunnelConnection } from './supervisor.ts';
import { TunnelError } from './tunnel-error.ts';

export const CLOUDFLARED_DOWNLOAD_URL = 'https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/';

/** The quick tunnel's URL in cloudflared's banner (api.trycloudflare.com is what it asks, not what it gives). */
const QUICK_URL = /https:\/\/(?!api\.)[a-z0-9-]+\.trycloudflare\.com\b/i;
/** Logged once a connection to Cloudflare's edge is up (`INF Registered tunnel connection connIndex=0 …`). */
const REGISTERED = /Registered tunnel connection/i;
const TAIL_LINES = 20;

export interface CloudflaredOptions extends SupervisorOptions {
  /** The program: a path, or a name looked up on PATH; default `cloudflared`. */
  binary?: string;
  /**
   * A named tunnel: its token (kept in the SecretStore) and the public hostname routed to it in
   * the Cloudflare dashboard, e.g. https://mcp.example.com. Without it: a quick tunnel.
   */
  named?: { token: SecretSource; url: string };
  /** Where the gateway listens; default 127.0.0.1. */
  localHost?: string;
  /** PATH for the lookup and the environment of the process; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** How long cloudflared gets to end after SIGTERM before SIGKILL; default 3 s. */
  killGraceMs?: number;
}

export class CloudflaredProvider extends SupervisedTunnel {
  readonly kind = 'cloudflared' as const;
  private readonly binary: string;
  private readonly named: { token: SecretSource; url: string } | undefined;
  private readonly localHost: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly killGraceMs: number;

  constructor(options: CloudflaredOptions = {}) {
    super('cloudflared', options);
    this.binary = options.binary ?? 'cloudflared';
    this.localHost = options.localHost ?? '127.0.0.1';
    this.env = options.env ?? process.env;
    this.killGraceMs = options.killGraceMs ?? 3_000;
    if (options.named) {
      let url: URL;
      try {
        url = new URL(options.named.url);
      } catch {
        throw new TunnelError('invalid-option', `the cloudflared tunnel hostname ${JSON.stringify(options.named.url)} is not a URL (e.g. https://mcp.example.com)`);
      }
      if (url.protocol !== 'https:') throw new TunnelError('invalid-option', `the cloudflared tunnel hostname ${JSON.stringify(options.named.url)} must be an https URL`);
      this.named = { token: options.named.token, url: url.origin };
    }
  }

  protected async connect(localPort: number, signal: AbortSignal): Promise<TunnelConnection> {
    const program = await findProgram(this.binary, this.env);
    if (!program) {
      throw new TunnelError('not-installed',
        `cloudflared is not installed: no "${this.binary}" program on PATH. Install it from ${CLOUDFLARED_DOWNLOAD_URL}, or choose another tunnel.`);
    }
    const env: NodeJS.ProcessEnv = { ...this.env };
    let args: string[];
    let token: string | undefined;
    if (this.named) {
      token = await readSecret(this.named.token, 'the cloudflared tunnel token');
      // Given by environment, not argv: any local user can read another process's argv.
      env.TUNNEL_TOKEN = token;
      args = ['tunnel', '--no-autoupdate', 'run'];
    } else {
      args = ['tunnel', '--url', `http://${this.localHost}:${localPort}`, '--no-autoupdate'];
    }
    if (signal.aborted) throw signal.reason;
    const child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const proc = new CloudflaredProcess(child, this.killGraceMs, token);
    this.log.debug({ pid: child.pid, args }, 'cloudflared started');
    try {
      const url = await proc.ready(this.named?.url, signal);
      return { url, dropped: proc.exited, close: () => proc.stop() };
    } catch (e) {
      await proc.stop();
      throw e;
    }
  }
}

/** One cloudflared process: its output read line by line, its end awaited. */
class CloudflaredProcess {
  /** Settles with a reason once the process has exited on its own. */
  readonly exited: Promise<string>;
  private readonly tail: string[] = [];
  private readonly closed: Promise<void>;
  private stopping = false;
  private onLine: (line: string) => void = () => {};
  private onExit: (reason: string) => void = () => {};

  constructor(private readonly child: ChildProcess, private readonly killGraceMs: number, private readonly token: string | undefined) {
    let exited!: (reason: string) => void;
    this.exited = new Promise((resolve) => { exited = resolve; });
    let closed!: () => void;
    this.closed = new Promise((resolve) => { closed = resolve; });
    let ended = false;
    const end = (how: string, saysWhy: boolean) => {
      if (ended) return;
      ended = true;
      // cloudflared's last line says why it failed; after a signal it is just its last news.
      const why = saysWhy ? this.lastLine() : '';
      const reason = `cloudflared ${how}${why ? `: ${why}` : ''}`;
      closed();
      this.onExit(reason);
      if (!this.stopping) exited(reason);
    };
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (raw) => {
        const line = this.token ? raw.split(this.token).join('[redacted]') : raw;
        this.tail.push(line);
        if (this.tail.length > TAIL_LINES) this.tail.shift();
        this.onLine(line);
      });
    }
    child.on('error', (e) => {
      this.tail.push(e.message);
      // Spawning failed (not executable, vanished): there is no process to wait for.
      if (child.pid === undefined) end('could not be started', true);
    });
    child.once('close', (code, sig) => end(sig ? `was ended by ${sig}` : `exited with code ${code}`, !sig && code !== 0));
  }

  /** Resolves with the public URL once cloudflared reports a connection to Cloudflare's edge. */
  ready(namedUrl: string | undefined, signal: AbortSignal): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      let url = namedUrl;
      let registered = false;
      const cleanup = () => {
        this.onLine = () => {};
        this.onExit = () => {};
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => { cleanup(); reject(signal.reason); };
      this.onLine = (line) => {
        if (!url) url = QUICK_URL.exec(line)?.[0].toLowerCase();
        if (REGISTERED.test(line)) registered = true;
        if (url && registered) { cleanup(); resolve(url); }
      };
      this.onExit = (reason) => {
        cleanup();
        reject(new TunnelError('dropped', `${reason} before the tunnel was up`));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** SIGTERM, then SIGKILL after the grace time; resolves once the process is gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const killed = new Promise<void>((resolve) => {
        timer = setTimeout(() => { this.child.kill('SIGKILL'); resolve(); }, this.killGraceMs);
      });
      await Promise.race([this.closed, killed]);
      clearTimeout(timer);
    }
    await this.closed;
  }

  private lastLine(): string {
    return this.tail.at(-1)?.replace(/^\S+Z\s+(INF|ERR|WRN)\s+/, '').trim() ?? '';
  }
}

/** The absolute path of `name` (a path, or a program looked up on PATH), or undefined. */
export async function findProgram(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const candidates: string[] = [];
  const exts = process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  if (name.includes('/') || name.includes(path.sep)) {
    candidates.push(...exts.map((e) => path.resolve(name + e)));
  } else {
    for (const dir of (env.PATH ?? env.Path ?? '').split(path.delimiter)) {
      if (dir) candidates.push(...exts.map((e) => path.join(dir, name + e)));
    }
  }
  for (const file of candidates) {
    try {
      const st = await fs.stat(file);
      if (!st.isFile()) continue;
      await fs.access(file, fs.constants.X_OK);
      return file;
    } catch {
      // not there, or not executable
    }
  }
  return undefined;
}
