// The admin API's live events (GET /api/events, Server-Sent Events): one EventSource for the
// whole window, fanned out to the pages that listen. EventSource reconnects by itself after a
// drop; a refusal (a wrong or stale token: the core restarted) closes it for good.
import type { AdminEventName, AdminEvents } from '../../src/admin/api.ts';

/**
 * `connecting`: the first connect; `open`: events flow; `reconnecting`: the stream dropped (the
 * core stopped or restarted) and EventSource tries again; `closed`: refused, it will not retry.
 */
export type Connection = 'connecting' | 'open' | 'reconnecting' | 'closed';

type Listener<E extends AdminEventName> = (data: AdminEvents[E]) => void;

const NAMES: readonly AdminEventName[] = ['status', 'activity', 'approval', 'users'];

export class LiveEvents {
  private source?: EventSource;
  private readonly listeners = new Map<AdminEventName, Set<Listener<never>>>();
  private readonly watchers = new Set<(c: Connection) => void>();
  connection: Connection = 'connecting';

  constructor(private readonly url: string) {}

  start(): void {
    this.stop();
    const source = new EventSource(this.url);
    this.source = source;
    this.setConnection('connecting');
    source.onopen = () => this.setConnection('open');
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) this.setConnection('closed');
      else if (this.connection === 'open') this.setConnection('reconnecting');
    };
    for (const name of NAMES) {
      source.addEventListener(name, (e) => {
        let data: unknown;
        try { data = JSON.parse((e as MessageEvent<string>).data); } catch { return; }
        for (const l of this.listeners.get(name) ?? []) (l as Listener<typeof name>)(data as never);
      });
    }
  }

  stop(): void {
    this.source?.close();
    this.source = undefined;
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
    if (c === this.connection) return;
    this.connection = c;
    for (const w of this.watchers) w(c);
  }
}
