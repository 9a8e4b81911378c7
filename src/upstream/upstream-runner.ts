// The life of one upstream across restarts (DESIGN §5): start it, initialize it within the start
// timeout, restart it after a crash with backoff (failing requests at once while it backs off),
// stop it. Each start is a Run; every state change first checks the run is still the current one,
// so the late failure of an old start never touches a newer one, and whoever started a process
// stops it.
import { announceListChanges } from '../permissions/lists.ts';
import type { Logger } from '../logging/logger.ts';
import { errorResponse, isResponse, ErrorCode, type JsonRpcMessage, type JsonRpcResponse } from '../jsonrpc/messages.ts';
import type { StderrLog, Upstream, UpstreamExit } from './upstream.ts';

export interface InitializeResult {
  protocolVersion: string;
  capabilities: Record<string, unknown>;
  serverInfo: Record<string, unknown>;
  instructions?: string;
  [key: string]: unknown;
}

export interface RunnerOptions {
  /** Makes a fresh upstream for each run. */
  createUpstream: () => Upstream;
  logger: Logger;
  /** The revision the gateway asks the upstream for; it may answer an older one. */
  protocolVersion: string;
  clientInfo: { name: string; version: string };
  /** From spawn to the initialize result. */
  startTimeoutMs: number;
  /** Every message of the current run but the answers to the runner's own requests. */
  onmessage: (message: JsonRpcMessage) => void;
  /** The current run ended (it crashed, or it was stopped): whatever was in flight on it fails with `reason`. */
  onended: (reason: string) => void;
  /** A run became ready; `restarted` when an earlier run had been ready (subscriptions to restore). */
  onready?: (restarted: boolean) => void;
  /** A ready run ended without being asked to. */
  oncrash?: (exit: UpstreamExit) => void;
}

export type RunnerState = 'stopped' | 'starting' | 'ready' | 'closed';

/** Why the last start or run failed (words a client may see), when, how many times in a row, and when a start may happen again. */
export interface RunFailure { reason: string; at: number; crashes: number; retryAt: number }

/** A start that failed. The message may reach remote clients; `stderrTail` is for the owner only. */
export class StartError extends Error {
  constructor(message: string, readonly stderrTail?: string) {
    super(message);
    this.name = 'StartError';
  }
}

interface Run {
  readonly gen: number;
  readonly upstream: Upstream;
  /** The runner's own requests on this run (initialize, subscribe), by their `gw-N` ids. */
  readonly internal: Map<string, (response: JsonRpcResponse) => void>;
  readonly startedAt: number;
  ready?: Promise<InitializeResult>;
  /** Set once the run is over; the reason in-flight requests were given. */
  ended?: string;
  /** It ended without being asked to (counted towards the backoff). */
  crashed?: boolean;
  closing?: Promise<void>;
}

/** Crashes in a row before the next start waits: none after the first, then 1 s, 2 s, 4 s … 30 s. */
export function backoffMs(crashes: number): number {
  return crashes <= 1 ? 0 : Math.min(30_000, 1000 * 2 ** (crashes - 2));
}
/** A run that stayed up this long before crashing starts the count again. */
const STABLE_MS = 60_000;

export class UpstreamRunner {
  state: RunnerState = 'stopped';
  /** The last run's initialize result. */
  init?: InitializeResult;
  lastExit?: UpstreamExit;
  private run?: Run;
  private gen = 0;
  private nextInternal = 1;
  private crashes = 0;
  private retryAt = 0;
  private lastFailure?: string;
  private lastFailureAt = 0;
  private everReady = false;
  private lastStderr?: StderrLog;
  private paused = false;

  constructor(private readonly options: RunnerOptions) {}

  get pid(): number | undefined { return this.run?.upstream.pid; }
  /** Messages keep their order both ways (a stdio child). */
  get ordered(): boolean { return this.run?.upstream.ordered === true; }
  /** The recent stderr of the current (or last) child. */
  get stderr(): StderrLog | undefined { return this.run?.upstream.stderr ?? this.lastStderr; }
  /** Why the last start or run failed, and when the next start may happen (for status displays). */
  get failure(): RunFailure | undefined {
    return this.lastFailure === undefined ? undefined : { reason: this.lastFailure, at: this.lastFailureAt, crashes: this.crashes, retryAt: this.retryAt };
  }

  /**
   * Resolves with the initialize result once the upstream is ready: joins the start in progress,
   * or begins one. While a crashed upstream backs off it rejects at once, saying why and when.
   */
  start(): Promise<InitializeResult> {
    if (this.state === 'closed') return Promise.reject(new StartError('this server was stopped'));
    if (this.run?.ready && !this.run.ended) return this.run.ready;
    const wait = this.retryAt - Date.now();
    if (wait > 0) return Promise.reject(new StartError(`${this.lastFailure}; it is tried again in ${Math.ceil(wait / 1000)} s`, this.lastStderr?.tail(3)));
    return this.begin();
  }

  private begin(): Promise<InitializeResult> {
    const upstream = this.options.createUpstream();
    const run: Run = { gen: ++this.gen, upstream, internal: new Map(), startedAt: Date.now() };
    this.run = run;
    this.state = 'starting';
    this.lastStderr = upstream.stderr;
    upstream.onmessage = (m) => this.fromUpstream(run, m);
    upstream.onerror = (e) => this.options.logger.warn({ err: e.message }, 'upstream problem');
    upstream.onclose = (exit) => this.exited(run, exit);
    run.ready = this.boot(run);
    run.ready.catch(() => {});
    return run.ready;
  }

  private async boot(run: Run): Promise<InitializeResult> {
    const { options } = this;
    try {
      await run.upstream.start();
      if (run.ended) throw new Error(run.ended);
      const response = await this.request(run, 'initialize', {
        protocolVersion: options.protocolVersion,
        capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
        clientInfo: options.clientInfo,
      }, options.startTimeoutMs);
      if (run.ended) throw new Error(run.ended);
      if (response.error) throw new Error(`the server refused to initialize: ${response.error.message}`);
      // Lists can change whenever the owner edits permissions, whatever the server says of its own.
      this.init = announceListChanges(response.result as InitializeResult);
      run.upstream.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      this.state = 'ready';
      if (this.paused) run.upstream.pause?.();
      options.logger.info({ pid: run.upstream.pid, protocolVersion: this.init.protocolVersion, ms: Date.now() - run.startedAt }, 'server started');
      const restarted = this.everReady;
      this.everReady = true;
      options.onready?.(restarted);
      return this.init;
    } catch (e) {
      const stderrTail = run.upstream.stderr?.tail(3);
      await this.end(run, (e as Error).message, true);
      // The stderr tail is for the owner (doctor, test-start, the UI), never for remote clients.
      throw new StartError(run.crashed ? `${run.ended}; ${this.retryHint()}` : run.ended!, stderrTail);
    }
  }

  private retryHint(): string {
    const wait = this.retryAt - Date.now();
    return wait > 0 ? `it is tried again in ${Math.ceil(wait / 1000)} s` : 'it is tried again on the next request';
  }

  /** The upstream went away by itself (or after we closed it). */
  private exited(run: Run, exit: UpstreamExit): void {
    if (run.ended !== undefined) return;
    if (this.run === run) this.lastExit = exit;
    const wasReady = this.run === run && this.state === 'ready';
    // Its stderr may hold a user's secrets: it stays in the owner's UI, not in the client's error.
    void this.end(run, exit.reason, true);
    if (wasReady) {
      this.options.logger.warn({ reason: exit.reason, code: exit.code, signal: exit.signal }, 'server process ended unexpectedly; it restarts on next use');
      this.options.oncrash?.(exit);
    }
  }

  /** Ends a run once: fails what waits on it, counts a crash, stops its process. */
  private end(run: Run, reason: string, crashed: boolean): Promise<void> {
    if (run.ended === undefined) {
      run.ended = reason;
      run.crashed = crashed;
      for (const [id, resolve] of run.internal) resolve(errorResponse(id, ErrorCode.ConnectionClosed, reason));
      run.internal.clear();
      if (this.run === run) {
        this.run = undefined;
        if (this.state !== 'closed') this.state = 'stopped';
        if (crashed) {
          if (Date.now() - run.startedAt > STABLE_MS) this.crashes = 0;
          this.crashes++;
          this.lastFailure = reason;
          this.lastFailureAt = Date.now();
          this.retryAt = Date.now() + backoffMs(this.crashes);
        }
        this.options.onended(reason);
      }
    }
    run.closing ??= run.upstream.close().catch((e: Error) => this.options.logger.warn({ err: e.message }, 'stopping a server process failed'));
    return run.closing;
  }

  private fromUpstream(run: Run, message: JsonRpcMessage): void {
    if (run.ended !== undefined) return;
    if (isResponse(message) && typeof message.id === 'string') {
      const resolve = run.internal.get(message.id);
      if (resolve) {
        run.internal.delete(message.id);
        resolve(message);
        return;
      }
    }
    this.options.onmessage(message);
  }

  /** A request of the runner's own on a run; string ids never clash with the sessions' numbers. */
  private request(run: Run, method: string, params: Record<string, unknown>, timeoutMs: number): Promise<JsonRpcResponse> {
    const id = `gw-${this.nextInternal++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        run.internal.delete(id);
        reject(new Error(`the server did not answer ${method} within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      timer.unref();
      run.internal.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      run.upstream.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  /** A request of the gateway's own on the ready upstream (subscribe, unsubscribe). */
  internalRequest(method: string, params: Record<string, unknown>, timeoutMs: number): Promise<JsonRpcResponse> {
    const run = this.run;
    if (!run || run.ended !== undefined || this.state !== 'ready') return Promise.reject(new Error('the server is not running'));
    return this.request(run, method, params, timeoutMs);
  }

  /** Sends a message on the ready upstream; dropped when there is none (its sender was failed already). */
  send(message: JsonRpcMessage): void {
    const run = this.run;
    if (run && run.ended === undefined && this.state === 'ready') run.upstream.send(message);
  }

  /** Stops (or starts again) reading the server's messages: a client is not taking what it sent. */
  setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    const upstream = this.state === 'ready' ? this.run?.upstream : undefined;
    if (paused) upstream?.pause?.();
    else upstream?.resume?.();
  }

  /** Bytes written to the server that it has not read yet. */
  get backlog(): number { return this.run?.upstream.backlog ?? 0; }

  /**
   * Ends the current run, whatever it is doing (a user's env changed; the server's settings did);
   * the next start() begins a new one. Resolves when its process is gone.
   */
  async stop(reason: string): Promise<void> {
    const run = this.run;
    if (!run) return;
    await this.end(run, reason, false);
    await run.ready?.catch(() => {});
  }

  /** Ends the current run and refuses any later start. Resolves when its process is gone. */
  async close(reason = 'the server was stopped'): Promise<void> {
    this.state = 'closed';
    await this.stop(reason);
  }
}
