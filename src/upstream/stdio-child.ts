// One MCP server process spoken to over stdio: newline-delimited JSON-RPC on stdin/stdout,
// stderr kept in a bounded log. Spawned from an argv array without a shell (DESIGN §5).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { Logger } from '../logging/logger.ts';
import { ErrorCode, errorResponse, nestedDeeperThan, type JsonRpcMessage } from '../jsonrpc/messages.ts';
import { StderrLog, type Upstream, type UpstreamExit } from './upstream.ts';
import { resolveCommand } from './command.ts';

export interface StdioChildOptions {
  command: string;
  args: string[];
  /** The complete environment of the child (see childEnvironment). */
  env: Record<string, string>;
  /** Added to `env` at each start (a user's own values, looked up then so a change applies on restart). */
  extraEnv?: () => Promise<Record<string, string>> | Record<string, string>;
  cwd?: string;
  stderrBytes: number;
  logger: Logger;
  /** Told about every child started and ended, so a crash of ours can be cleaned up later. */
  registry?: { added(pid: number): void; removed(pid: number): void };
  /** Grace after closing stdin before SIGTERM, and after SIGTERM before SIGKILL; default 2 s each. */
  killGraceMs?: number;
  /** Longest line (message) the server may write; a longer one is dropped as it arrives. Default 16 MiB. */
  maxMessageBytes?: number;
}

/** How much of the start and end of a dropped line is kept, to find its id. */
const KEEP = 512;

const SETPRIV = '/usr/bin/setpriv';
let setprivWorks: boolean | undefined;

/** On Linux, `setpriv --pdeathsig` makes the kernel kill the child if we die without cleaning up. */
function withParentDeathSignal(command: string, args: string[]): [string, string[]] {
  if (process.platform !== 'linux') return [command, args];
  if (setprivWorks === undefined) {
    try { fs.accessSync(SETPRIV, fs.constants.X_OK); setprivWorks = true; } catch { setprivWorks = false; }
  }
  return setprivWorks ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', command, ...args]] : [command, args];
}

export class StdioChild implements Upstream {
  onmessage?: (message: JsonRpcMessage) => void;
  onclose?: (exit: UpstreamExit) => void;
  onerror?: (error: Error) => void;
  readonly stderr: StderrLog;
  readonly ordered = true;
  private child?: ChildProcess;
  private parts: string[] = [];
  private partsLength = 0;
  /** Set while the rest of an over-long line is skipped: its start, its last characters, its length. */
  private dropping?: { head: string; tail: string; length: number };
  private closing = false;
  private exited?: Promise<void>;
  private closed?: Promise<void>;
  private corked = false;

  constructor(private readonly options: StdioChildOptions) {
    this.stderr = new StderrLog(options.stderrBytes);
  }

  get pid(): number | undefined { return this.child?.pid; }

  async start(): Promise<void> {
    const { options } = this;
    const env = options.extraEnv ? { ...options.env, ...(await options.extraEnv()) } : options.env;
    // Closed while its environment was looked up: nothing is spawned that nobody would stop.
    if (this.closing) throw new Error('stopped before it started');
    const resolved = resolveCommand(options.command, env, options.cwd);
    if (!resolved) throw new Error(`command not found: "${options.command}" (searched PATH)`);
    // Inside the desktop app, process.execPath is the app itself, which cannot run as Node (its
    // RunAsNode fuse is off): it would open a second app instead of the server.
    if (process.versions.electron && resolved === process.execPath) throw new Error(`"${options.command}" is the MCP Publish app itself, which does not run scripts; use "node" (installed separately) as the command`);
    const [command, args] = withParentDeathSignal(resolved, options.args);
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'], shell: false, windowsHide: true,
      });
      this.child = child;
      let started = false;
      child.once('spawn', () => {
        started = true;
        options.registry?.added(child.pid!);
        resolve();
      });
      this.exited = new Promise((done) => {
        child.once('close', (code, signal) => {
          if (child.pid) options.registry?.removed(child.pid);
          const expected = this.closing;
          const reason = expected ? 'stopped' : `the server process exited (${signal ? `signal ${signal}` : `code ${code}`})`;
          this.onclose?.({ reason, code, signal, expected });
          done();
        });
      });
      child.once('error', (err) => {
        if (!started) reject(new Error(`cannot start "${options.command}": ${err.message}`));
        else this.onerror?.(err);
      });
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => this.onData(chunk));
      child.stderr!.on('data', (chunk: Buffer) => this.stderr.append(chunk));
      child.stdin!.on('error', (err) => { if (!this.closing) this.onerror?.(err); });
    });
  }

  private onData(chunk: string): void {
    // Only the new chunk is searched for line ends; earlier parts of a long line wait in `parts`
    // (appending to one string would copy a multi-megabyte result once per 64 KiB chunk).
    const limit = this.options.maxMessageBytes ?? 16 * 1024 * 1024;
    let start = 0;
    let nl = chunk.indexOf('\n');
    while (nl !== -1) {
      const piece = chunk.slice(start, nl);
      if (this.dropping) this.endDrop(piece);
      else if (this.partsLength + piece.length > limit) this.drop(piece).endDrop('');
      else {
        const line = (this.parts.length ? this.parts.join('') + piece : piece).trim();
        this.parts = [];
        this.partsLength = 0;
        if (line) this.onLine(line);
      }
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    if (start >= chunk.length) return;
    const rest = chunk.slice(start);
    if (this.dropping) {
      this.dropping.tail = (this.dropping.tail + rest).slice(-KEEP);
      this.dropping.length += rest.length;
    } else if (this.partsLength + rest.length > limit) this.drop(rest);
    else {
      this.parts.push(rest);
      this.partsLength += rest.length;
    }
  }

  /** Starts skipping the line under way: what was kept of it is let go, its ends remembered. */
  private drop(piece: string): this {
    const sofar = this.parts.join('') + piece;
    this.dropping = { head: sofar.slice(0, KEEP), tail: sofar.slice(-KEEP), length: sofar.length };
    this.parts = [];
    this.partsLength = 0;
    return this;
  }

  /** The over-long line ended: its call fails with a clear error (or the server's own request is refused). */
  private endDrop(piece: string): void {
    const d = this.dropping!;
    this.dropping = undefined;
    const tail = (d.tail + piece).slice(-KEEP);
    const limit = this.options.maxMessageBytes ?? 16 * 1024 * 1024;
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    const why = `the server sent a message of ${mb(d.length + piece.length)}, over the limit of ${mb(limit)} (gateway.maxMessageBytes); it was dropped`;
    this.options.logger.warn({ bytes: d.length + piece.length, limit }, 'a message from the server was too large and was dropped');
    this.tooBig(d.head, tail, why);
  }

  /**
   * A message that cannot be forwarded (too large, nested too deep): found by the top-level id the
   * SDKs write last (or first), its call fails; a request of the server's is refused.
   */
  private tooBig(head: string, tail: string, why: string): void {
    const id = /"id"\s*:\s*(\d+)\s*\}\s*$/.exec(tail)?.[1] ?? /^\s*\{\s*"jsonrpc"\s*:\s*"2\.0"\s*,\s*"id"\s*:\s*(\d+)\s*,/.exec(head)?.[1];
    const kind = /"(method|result|error)"\s*:/.exec(head)?.[1];
    if (id === undefined) return this.onerror?.(new Error(why));
    if (kind === 'method') this.send(errorResponse(Number(id), ErrorCode.InvalidRequest, why));
    else this.onmessage?.(errorResponse(Number(id), ErrorCode.InternalError, why));
  }

  private onLine(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      // Some servers print banners on stdout; keep them with stderr for the UI.
      this.stderr.append(Buffer.from(`[stdout] ${line.slice(0, 500)}\n`));
      return;
    }
    if (!message || typeof message !== 'object') return;
    if (nestedDeeperThan(message)) return this.tooBig(line.slice(0, KEEP), line.slice(-KEEP), 'the server sent a message nested too deep to forward; it was dropped');
    this.onmessage?.(message as JsonRpcMessage);
  }

  pause(): void { this.child?.stdout?.pause(); }
  resume(): void { this.child?.stdout?.resume(); }

  get backlog(): number { return this.child?.stdin?.writableLength ?? 0; }

  send(message: JsonRpcMessage): void {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed || !stdin.writable) return;
    // Messages sent in the same tick go out in one write (fewer syscalls under load).
    if (!this.corked) {
      this.corked = true;
      stdin.cork();
      process.nextTick(() => { this.corked = false; stdin.uncork(); });
    }
    stdin.write(JSON.stringify(message) + '\n');
  }

  close(): Promise<void> {
    this.closed ??= this.stop();
    return this.closed;
  }

  private async stop(): Promise<void> {
    this.closing = true;
    const child = this.child;
    if (!child || !this.exited) return;
    if (child.exitCode !== null || child.signalCode !== null) return this.exited;
    const grace = this.options.killGraceMs ?? 2000;
    child.stdin?.end();
    const term = setTimeout(() => child.kill('SIGTERM'), Math.min(grace, 500));
    const kill = setTimeout(() => child.kill('SIGKILL'), grace + Math.min(grace, 500));
    try {
      await this.exited;
    } finally {
      clearTimeout(term);
      clearTimeout(kill);
    }
  }
}
