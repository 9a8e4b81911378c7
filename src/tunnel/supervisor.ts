// Keeps one tunnel up, whatever the service behind it (DESIGN §8): the first connection with a
// few tries, then drops and failed self-checks go `reconnecting`, with backoff, until stop().
// Each provider only says how to open one connection; this file owns every timer and retry.
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger, type Logger } from '../logging/logger.ts';
import { DEFAULT_SELF_CHECK_INTERVAL_MS, type SelfCheck } from './self-check.ts';
import { reasonOf, TunnelError } from './tunnel-error.ts';
import type { TunnelKind, TunnelProvider, TunnelStatus } from './tunnel-provider.ts';

/** One open tunnel, as a provider hands it to the supervisor. */
export interface TunnelConnection {
  /** The public origin (no trailing slash). */
  readonly url: string;
  /** localtunnel's tunnel password, when known. */
  readonly password?: string;
  /** What a remote person's browser sees first, if anything. */
  readonly browserNotice?: string;
  /** Settles with a reason when the connection goes away by itself; never settles after close(). */
  readonly dropped: Promise<string>;
  /** Tears the connection down; resolves once nothing of it is left running. */
  close(): Promise<void>;
}

/** Options every provider accepts, with their defaults. */
export interface SupervisorOptions {
  /** Default: silent. */
  logger?: Logger;
  /** Run after connecting and then every `selfCheckIntervalMs`; two failures in a row reconnect. Default: none. */
  selfCheck?: SelfCheck;
  /** Default 30 s. */
  selfCheckIntervalMs?: number;
  /** One connect attempt gives up after this long; default 30 s. */
  connectTimeoutMs?: number;
  /** Reconnect delays: `initialMs` doubled per attempt up to `maxMs`; default 1 s … 60 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Attempts `start()` makes before it rejects; default 3. A final error (bad settings) rejects at once. */
  startAttempts?: number;
}

/** After one failed self-check the next comes sooner than the interval (at most this long). */
const RECHECK_MS = 5_000;

/** The delay before reconnect attempt `attempt` (1-based): 1 s, 2 s, 4 s … capped. */
export function backoffDelay(attempt: number, initialMs = 1_000, maxMs = 60_000): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
}

export abstract class SupervisedTunnel implements TunnelProvider {
  abstract readonly kind: TunnelKind;
  onstatus?: (status: TunnelStatus) => void;

  protected readonly log: Logger;
  private readonly selfCheck: SelfCheck | undefined;
  private readonly intervalMs: number;
  private readonly connectTimeoutMs: number;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly startAttempts: number;

  private current: TunnelStatus = { state: 'offline', reason: 'not started' };
  private life: AbortController | undefined;
  private running: Promise<void> | undefined;
  /** The open connection, closed by whoever replaces it or by stop(). */
  private conn: TunnelConnection | undefined;
  /** Connects that ignored an abort and may still hand back a connection (closed on arrival). */
  private readonly late = new Set<Promise<unknown>>();

  constructor(kind: TunnelKind, options: SupervisorOptions) {
    this.log = (options.logger ?? silentLogger()).child({ tunnel: kind });
    this.selfCheck = options.selfCheck;
    this.intervalMs = options.selfCheckIntervalMs ?? DEFAULT_SELF_CHECK_INTERVAL_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
    this.initialMs = options.backoff?.initialMs ?? 1_000;
    this.maxMs = options.backoff?.maxMs ?? 60_000;
    this.startAttempts = Math.max(1, options.startAttempts ?? 3);
  }

  get status(): TunnelStatus {
    return this.current;
  }

  /**
   * Opens one connection to http://127.0.0.1:<localPort>. Must give up promptly, leaving nothing
   * behind, when `signal` aborts (stop() or the connect deadline); throws a `TunnelError`.
   */
  protected abstract connect(localPort: number, signal: AbortSignal): Promise<TunnelConnection>;

  start(localPort: number): Promise<void> {
    if (this.life) return Promise.reject(new Error(`the ${this.kind} tunnel is already started; stop() it first`));
    const life = new AbortController();
    this.life = life;
    let settle!: { resolve: () => void; reject: (e: Error) => void };
    const started = new Promise<void>((resolve, reject) => { settle = { resolve, reject }; });
    this.running = this.run(localPort, life.signal, settle).finally(() => {
      if (this.life === life) {
        this.life = undefined;
        this.running = undefined;
      }
    });
    return started;
  }

  async stop(): Promise<void> {
    const life = this.life;
    const running = this.running;
    if (life) life.abort(new TunnelError('stopped', `the ${this.kind} tunnel was stopped`));
    await running;
    await Promise.allSettled([...this.late]);
    if (this.life === life) {
      this.life = undefined;
      this.running = undefined;
    }
  }

  private async run(localPort: number, signal: AbortSignal, started: { resolve: () => void; reject: (e: Error) => void }): Promise<void> {
    let online = false;
    let failure: TunnelError | undefined;
    try {
      this.setStatus({ state: 'connecting' });
      let conn: TunnelConnection;
      for (let attempt = 1; ; attempt++) {
        try {
          conn = await this.attempt(localPort, signal);
          this.conn = conn;
          break;
        } catch (e) {
          if (signal.aborted) throw e;
          const error = asTunnelError(e);
          if (!error.retryable || attempt >= this.startAttempts) {
            failure = error;
            return;
          }
          const retryInMs = this.delay(attempt);
          this.setStatus({ state: 'reconnecting', reason: error.message, attempt, retryInMs });
          await sleep(retryInMs, undefined, { signal });
        }
      }
      this.setOnline(conn);
      online = true;
      started.resolve();

      // Right after the first connect the public URL has not been checked yet: check at once.
      let firstCheckMs = 0;
      for (;;) {
        const reason = await this.watch(conn, signal, firstCheckMs);
        this.log.warn({ reason }, 'tunnel lost');
        await this.closeCurrent();
        conn = await this.reconnect(localPort, reason, signal);
        this.setOnline(conn);
        firstCheckMs = this.intervalMs; // reconnect() just checked it
      }
    } catch (e) {
      if (signal.aborted) {
        failure = asTunnelError(signal.reason);
      } else {
        // Not a stop: a bug in a provider. Say so and end as offline rather than hang.
        failure = asTunnelError(e);
        this.log.error({ err: e }, 'tunnel supervisor failed');
      }
    } finally {
      await this.closeCurrent();
      // The status first, so a caller whose start() rejects already sees `offline` with the reason.
      this.setStatus({ state: 'offline', reason: signal.aborted ? 'stopped' : failure?.message ?? 'stopped' });
      if (!online) started.reject(failure ?? new TunnelError('stopped', `the ${this.kind} tunnel was stopped`));
    }
  }

  /** Attempts with backoff until one connects and (when a self-check is set) passes it. */
  private async reconnect(localPort: number, reason: string, signal: AbortSignal): Promise<TunnelConnection> {
    for (let attempt = 1; ; attempt++) {
      const retryInMs = this.delay(attempt);
      this.setStatus({ state: 'reconnecting', reason, attempt, retryInMs });
      await sleep(retryInMs, undefined, { signal });
      let conn: TunnelConnection;
      try {
        conn = await this.attempt(localPort, signal);
        this.conn = conn;
      } catch (e) {
        if (signal.aborted) throw e;
        reason = reasonOf(e);
        this.log.info({ attempt, reason }, 'tunnel reconnect failed');
        continue;
      }
      if (!this.selfCheck) return conn;
      // Seen broken once already: say `online` only when the public URL answers again.
      const check = await this.selfCheck(conn.url, signal);
      if (signal.aborted) throw signal.reason;
      if (check.ok) return conn;
      reason = `self-check: ${check.reason}`;
      this.log.info({ attempt, reason }, 'tunnel reconnected but its public URL does not answer yet');
      await this.closeCurrent();
    }
  }

  /** Resolves with a reason once `conn` drops or fails its self-check twice in a row. */
  private async watch(conn: TunnelConnection, signal: AbortSignal, firstCheckMs: number): Promise<string> {
    const watching = new AbortController();
    const onAbort = () => watching.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const checks = this.checkLoop(conn.url, watching.signal, firstCheckMs);
    checks.catch(() => {}); // it rejects when the watch ends for another reason
    try {
      return await Promise.race([conn.dropped.then((r) => `dropped: ${r}`), checks]);
    } finally {
      signal.removeEventListener('abort', onAbort);
      watching.abort();
    }
  }

  private async checkLoop(url: string, signal: AbortSignal, firstMs: number): Promise<string> {
    const selfCheck = this.selfCheck;
    if (!selfCheck) {
      return new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    }
    let failures = 0;
    let waitMs = firstMs;
    for (;;) {
      await sleep(waitMs, undefined, { signal });
      const check = await selfCheck(url, signal);
      if (signal.aborted) throw signal.reason;
      if (check.ok) {
        if (failures > 0) this.log.info('tunnel self-check passes again');
        failures = 0;
        waitMs = this.intervalMs;
        continue;
      }
      failures += 1;
      this.log.warn({ failures, reason: check.reason }, 'tunnel self-check failed');
      if (failures >= 2) return `self-check failed twice in a row: ${check.reason}`;
      waitMs = Math.min(this.intervalMs, RECHECK_MS);
    }
  }

  /** One connect under the connect deadline; a connection that arrives after an abort is closed. */
  private attempt(localPort: number, signal: AbortSignal): Promise<TunnelConnection> {
    const attempt = new AbortController();
    const onAbort = () => attempt.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      const after = this.connectTimeoutMs < 10_000 ? `${this.connectTimeoutMs} ms` : `${Math.round(this.connectTimeoutMs / 1000)} s`;
      attempt.abort(new TunnelError('timeout', `no ${this.kind} tunnel after ${after}`));
    }, this.connectTimeoutMs);
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const connecting = this.connect(localPort, attempt.signal);
    return new Promise<TunnelConnection>((resolve, reject) => {
      const onAttemptAbort = () => {
        done();
        reject(attempt.signal.reason);
        // The provider may still hand back a connection: close it when it does.
        const late = connecting.then((c) => c.close(), () => {}).catch(() => {}).finally(() => this.late.delete(late));
        this.late.add(late);
      };
      if (attempt.signal.aborted) { onAttemptAbort(); return; }
      attempt.signal.addEventListener('abort', onAttemptAbort, { once: true });
      connecting.then(
        (c) => {
          if (attempt.signal.aborted) return; // handled by onAttemptAbort
          attempt.signal.removeEventListener('abort', onAttemptAbort);
          done();
          resolve(c);
        },
        (e) => {
          if (attempt.signal.aborted) return;
          attempt.signal.removeEventListener('abort', onAttemptAbort);
          done();
          reject(e);
        },
      );
    });
  }

  private async closeCurrent(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    if (!conn) return;
    try {
      await conn.close();
    } catch (e) {
      this.log.warn({ err: e }, 'closing the tunnel failed');
    }
  }

  private delay(attempt: number): number {
    return backoffDelay(attempt, this.initialMs, this.maxMs);
  }

  private setOnline(conn: TunnelConnection): void {
    const status: TunnelStatus = { state: 'online', url: conn.url };
    if (conn.password !== undefined) status.password = conn.password;
    if (conn.browserNotice !== undefined) status.browserNotice = conn.browserNotice;
    this.setStatus(status);
  }

  private setStatus(status: TunnelStatus): void {
    if (JSON.stringify(status) === JSON.stringify(this.current)) return;
    this.current = status;
    const { password: _password, ...loggable } = status as TunnelStatus & { password?: string };
    this.log.info(loggable, `tunnel ${status.state}`);
    try {
      this.onstatus?.(status);
    } catch (e) {
      this.log.error({ err: e }, 'a tunnel status listener threw');
    }
  }
}

function asTunnelError(e: unknown): TunnelError {
  if (e instanceof TunnelError) return e;
  return new TunnelError('unreachable', reasonOf(e), { cause: e });
}
