// Who hears what the server sends when several sessions share it (DESIGN §5): the rules as pure
// functions of the sessions' state. A request from the server goes only where the gateway knows
// it belongs (never a guess); log lines never cross from one person to another; resource updates
// reach their subscribers; list changes reach everyone.

/** What the policy needs to know of a session attached to an upstream. */
export interface Listener {
  /** Whose session it is. */
  readonly user?: string;
  /** Requests of this session the upstream has not answered yet. */
  readonly inflight: number;
  /** Requests of this session cancelled upstream that the upstream may still be working on. */
  readonly lingering?: number;
  readonly subscriptions: ReadonlySet<string>;
}

export type Route<T> = { to: T } | { refuse: string };

/**
 * The session a request from the server (sampling, elicitation, roots) goes to. Over stdio
 * nothing ties it to the call that caused it, so it goes to a session only when no other could
 * have caused it: the one session with calls in flight, or the only session there is. A call
 * cancelled upstream counts as in flight until the upstream answers it or its time is up (a
 * server only SHOULD stop), and `departed` counts those of sessions that have left.
 */
export function serverRequestRoute<T extends Listener>(listeners: Iterable<T>, departed = 0): Route<T> {
  let busy: T | undefined;
  let busyCount = departed > 0 ? 1 : 0;
  let only: T | undefined;
  let count = 0;
  for (const l of listeners) {
    count++;
    only = l;
    if (l.inflight > 0 || (l.lingering ?? 0) > 0) {
      busyCount++;
      busy = l;
    }
  }
  if (busyCount === 1 && busy) return { to: busy };
  if (busyCount === 1) return { refuse: 'the call that asked was cancelled, or its session ended' };
  if (busyCount === 0 && count === 1) return { to: only! };
  if (count === 0) return { refuse: 'no client is connected to answer this request' };
  return {
    refuse: busyCount > 1
      ? `${busyCount} sessions have calls in flight on this server: the gateway cannot tell which one this request belongs to (the server is given a process per session from now on when its isolation is "auto")`
      : 'several sessions share this server and none has a call in flight: the gateway cannot tell which one this request belongs to',
  };
}

/**
 * Sessions a log line may go to: every session when they all belong to one person; with several
 * people, only the sessions of the one person with calls in flight, else nobody. Cancelled calls
 * the server may still be running count, and `departed` names the people whose sessions left
 * with such calls.
 */
export function logTargets<T extends Listener>(listeners: Iterable<T>, departed: ReadonlySet<string | undefined> = new Set()): T[] {
  const all = [...listeners];
  const users = new Set([...all.map((l) => l.user), ...departed]);
  if (users.size <= 1) return all;
  const busy = new Set([...all.filter((l) => l.inflight > 0 || (l.lingering ?? 0) > 0).map((l) => l.user), ...departed]);
  const [only] = busy;
  return busy.size === 1 ? all.filter((l) => l.user === only) : [];
}

/** Sessions subscribed to `uri`. */
export function subscribers<T extends Listener>(listeners: Iterable<T>, uri: unknown): T[] {
  if (typeof uri !== 'string') return [];
  return [...listeners].filter((l) => l.subscriptions.has(uri));
}

/** Every resource any session is subscribed to (what a restarted upstream must be told again). */
export function subscribedUris(listeners: Iterable<Listener>): Set<string> {
  const uris = new Set<string>();
  for (const l of listeners) for (const uri of l.subscriptions) uris.add(uri);
  return uris;
}

/** A session whose subscriptions the multiplexer keeps. */
export interface Subscriber extends Listener { readonly subscriptions: Set<string> }

/**
 * Subscriptions are shared upstream: the first session to subscribe to a resource subscribes the
 * upstream, the last one to leave unsubscribes it; the others are answered by the gateway.
 */
export class SharedSubscriptions<T extends Subscriber> {
  constructor(
    private readonly listeners: () => Iterable<T>,
    /** Tells the upstream (a request of the gateway's own). */
    private readonly tell: (method: 'resources/subscribe' | 'resources/unsubscribe', uri: string) => void,
  ) {}

  private heldByOthers(a: T, uri: string): boolean {
    for (const l of this.listeners()) if (l !== a && l.subscriptions.has(uri)) return true;
    return false;
  }

  /**
   * A session's own resources/subscribe or unsubscribe: true when others hold it already (the
   * gateway answers {}), false when it must go upstream as it is.
   */
  request(a: T, method: string, uri: unknown): boolean {
    if (typeof uri !== 'string') return false;
    const others = this.heldByOthers(a, uri);
    if (method === 'resources/subscribe') a.subscriptions.add(uri);
    else a.subscriptions.delete(uri);
    return others;
  }

  /** Subscribes `a` without a request of its own (a listen stream). */
  add(a: T, uri: string): void {
    const others = this.heldByOthers(a, uri);
    a.subscriptions.add(uri);
    if (!others) this.tell('resources/subscribe', uri);
  }

  /** `a` has left (it is no longer among the listeners): what nobody else holds is unsubscribed. */
  left(a: T): void {
    const still = subscribedUris(this.listeners());
    for (const uri of a.subscriptions) if (!still.has(uri)) this.tell('resources/unsubscribe', uri);
  }

  /** A restarted upstream is told again what is subscribed. */
  restore(): void {
    for (const uri of subscribedUris(this.listeners())) this.tell('resources/subscribe', uri);
  }
}
