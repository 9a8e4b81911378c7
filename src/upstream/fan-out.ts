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
  readonly subscriptions: ReadonlySet<string>;
}

export type Route<T> = { to: T } | { refuse: string };

/**
 * The session a request from the server (sampling, elicitation, roots) goes to. Over stdio
 * nothing ties it to the call that caused it, so it goes to a session only when no other could
 * have caused it: the one session with calls in flight, or the only session there is.
 */
export function serverRequestRoute<T extends Listener>(listeners: Iterable<T>): Route<T> {
  let busy: T | undefined;
  let busyCount = 0;
  let only: T | undefined;
  let count = 0;
  for (const l of listeners) {
    count++;
    only = l;
    if (l.inflight > 0) {
      busyCount++;
      busy = l;
    }
  }
  if (busyCount === 1) return { to: busy! };
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
 * people, only the sessions of the one person with calls in flight, else nobody.
 */
export function logTargets<T extends Listener>(listeners: Iterable<T>): T[] {
  const all = [...listeners];
  const users = new Set(all.map((l) => l.user));
  if (users.size <= 1) return all;
  const busy = all.filter((l) => l.inflight > 0);
  return new Set(busy.map((l) => l.user)).size === 1 ? all.filter((l) => l.user === busy[0]!.user) : [];
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
