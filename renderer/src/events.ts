// The admin API's live events (GET /api/events, Server-Sent Events): one EventSource for the
// whole window, fanned out to the pages that listen. When the stream drops (the core stopped or
// restarts) it is closed and opened again on a schedule of our own (1 s, 2 s, 4 s … 10 s), so
// the window can say when it tries next; the admin API keeps its port and token across restarts,
// so the same URL works again once the core is back.
import type { AdminEventName, AdminEvents } from '../../src/admin/api.ts';

/**
 * `connecting`: the first connect; `open`: events flow; `reconnecting`: the stream dropped and is
 * tried again at `retryAt` (`lostAt`: when it dropped, `attempt`: tries since).
 */
export type Connection =
  | { state: 'connecting' }
  | { state: 'open'; /** Set when this connection follows a loss. */ lostAt?: number; at: number }
  | { state: 'reconnecting'; lostAt: number; retryAt: number; attempt: number };

type Listener<E extends AdminEventName> = (data: AdminEvents[E]) => void;

const NAMES: readonly AdminEventName[] = ['status', 'activity', 'approval', 'users'];

/** The wait before try `attempt` (1-based). */
export function retryDelay(attempt: number): number {
  return Math.min(10_000, 1000 * 2 ** Math.max(0, attempt - 1));
}

export class LiveEvents {
  private source?: EventSource;
  private retry?: number;
  private readonly listeners = new Map<AdminEventName, Set<Listener<never>>>();
  private readonly watchers = new Set<(c: Connection) => void>();
  connection: Connection = { state: 'connecting' };

  constructor(private readonly url: string) {}

  start(): void {
    this.close();
    const source = new EventSource(this.url);
    this.source = source;
    const lost = this.connection.state === 'reconnecting' ? this.connection : undefined;
    source.onopen = () => this.setConnection({ state: 'open', at: Date.now(), ...(lost ? { lostAt: lost.lostAt } : {}) });
    source.onerror = () => {
      if (this.source !== source) return;
      // Our own schedule instead of EventSource's: the window says when it tries next.
      this.close();
      const attempt = lost && this.connection.state !== 'open' ? lost.attempt + 1 : 1;
      const lostAt = lost && this.connection.state !== 'open' ? lost.lostAt : Date.now();
      const delay = retryDelay(attempt);
      this.setConnection({ state: 'reconnecting', lostAt, retryAt: Date.now() + delay, attempt });
      this.retry = window.setTimeout(() => this.start(), delay);
    };
    for (const name of NAMES) {
      source.addEventListener(name, (e) => {
        let data: unknown;
        try { data = JSON.parse((e as MessageEvent<string>).data); } catch { return; }
        for (const l of this.listeners.get(name) ?? []) (l as Listener<typeof name>)(data as never);
      });
    }
  }

  /** Tries again now instead of at `retryAt`. */
  retryNow(): void {
    if (this.connection.state === 'reconnecting') this.start();
  }

  private close(): void {
    window.clearTimeout(this.retry);
    this.source?.close();
    this.source = undefined;
  }

  stop(): void {
    this.close();
  }

  /** Calls `listener` with each `name` event; returns the unsubscribe function. */
  on<E extends AdminEventName>(name: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  /** Calls `watcher` whenever the connection changes; returns the unsubscribe function. */
  watch(watcher: (c: Connection) => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  private setConnection(c: Connection): void {
    this.connection = c;
    for (const w of this.watchers) w(c);
  }
}
