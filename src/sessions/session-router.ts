// Finds sessions by their Mcp-Session-Id, and closes the ones nobody used for a while.
import type { Logger } from '../logging/logger.ts';
import { Session, type ReplayOptions, type SessionInit } from './session.ts';
import type { LimitsConfig } from '../config/schema.ts';
import { LimitError } from './limits.ts';

export interface SessionRouterOptions {
  /** A session idle this long (no open request or stream) is closed; its next request gets 404. */
  idleMs: number;
  logger: Logger;
  /** Called after a session closed, for any reason (pool release). */
  onclosed?: (session: Session) => void;
  /** Per-person limits (open sessions, parked calls); default none. */
  limits?: () => LimitsConfig;
  /** How dropped streams can be taken up again; default 1 MiB and 60 s per session. */
  replay?: ReplayOptions;
}


/** Something waiting between two HTTP requests of a stateless client (an input_required round). */
export interface Parked {
  readonly user: string;
  readonly server: string;
  /** Ends it: detach from the upstream, which cancels what it was waiting for. */
  close(): void;
}

/** A stream held open for a client outside any session (a 2026-07-28 subscriptions/listen). */
export interface Held {
  readonly user: string;
  readonly server: string;
  /** Ends it, telling its client `why`. */
  close(why: string): void;
  /** Called now and then: a comment keeps idle proxies from closing it. */
  keepAlive(): void;
}

/** Whose and which server's: what closeWhere matches on. */
export interface Owned { readonly user: string; readonly server: string }

export class SessionRouter {
  private sessions = new Map<string, Session>();
  private parked = new Map<string, { item: Parked; expiresAt: number }>();
  private held = new Set<Held>();
  private sweeper: NodeJS.Timeout;

  constructor(private readonly options: SessionRouterOptions) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(200, Math.min(options.idleMs / 4, 2_000)));
    this.sweeper.unref();
  }

  get size(): number { return this.sessions.size; }

  /**
   * Makes room for one more session of `user`: at the limit, their least recently used idle
   * session (no call in flight; a connected GET stream does not count) is closed; when none is
   * idle, LimitError.
   */
  makeRoom(user: string): void {
    const max = this.options.limits?.().sessionsPerPerson;
    if (max === undefined) return;
    let n = 0;
    for (const s of this.sessions.values()) if (s.user === user) n++;
    for (const h of this.held) if (h.user === user) n++;
    if (n < max) return;
    if (!this.evictIdle(user, () => true, 'sessionsPerPerson')) throw new LimitError('sessionsPerPerson', max);
  }

  /**
   * Closes the least recently used idle session of `user` that `fits`, telling it which limit
   * made room for a newer one. Returns whether one was closed.
   */
  evictIdle(user: string, fits: (s: Session) => boolean, limit: string): boolean {
    let oldest: Session | undefined;
    for (const s of this.sessions.values()) {
      if (s.user !== user || s.working || !fits(s)) continue;
      if (!oldest || s.lastActive < oldest.lastActive) oldest = s;
    }
    if (!oldest) return false;
    this.close(oldest, `the session was closed to make room for a newer one (gateway.limits.${limit})`);
    return true;
  }

  /** Keeps a stream open outside any session (counted as one of its person's sessions) until `release`. */
  hold(item: Held): void {
    this.makeRoom(item.user);
    this.held.add(item);
  }

  release(item: Held): void { this.held.delete(item); }

  create(init: SessionInit): Session {
    this.makeRoom(init.user);
    const session = new Session({ replay: this.options.replay, ...init });
    this.sessions.set(session.id, session);
    return session;
  }

  /** The session with this id, if it is open, belongs to this user and is for this server. */
  get(id: string, server: string, user: string): Session | undefined {
    const s = this.sessions.get(id);
    // Spec security practice: a session id is not a credential; bind it to the user.
    if (!s || s.server !== server || s.user !== user) return undefined;
    return s;
  }

  /** Closes a session; `why` is told to its requests still open, in words for the person. */
  close(session: Session, why: string): void {
    if (!this.sessions.delete(session.id)) return;
    session.close(why);
    this.options.logger.debug({ session: session.id, server: session.server, why }, 'session closed');
    this.options.onclosed?.(session);
  }

  /** Closes every session, held stream and parked call matching (a removed user, a removed server). */
  closeWhere(match: (s: Owned) => boolean, why: string): number {
    let n = 0;
    for (const s of [...this.sessions.values()]) if (match(s)) { this.close(s, why); n++; }
    for (const h of [...this.held]) if (match(h)) { this.held.delete(h); h.close(why); n++; }
    for (const [token, p] of this.parked) if (match(p.item)) { this.parked.delete(token); p.item.close(); n++; }
    return n;
  }

  list(): Session[] { return [...this.sessions.values()]; }

  /** Keeps `item` under an unguessable token until taken back or `ttlMs` passes; throws LimitError when its person has too many parked. */
  park(token: string, item: Parked, ttlMs: number): void {
    const max = this.options.limits?.().parkedPerPerson;
    if (max !== undefined) {
      let n = 0;
      for (const p of this.parked.values()) if (p.item.user === item.user) n++;
      if (n >= max) throw new LimitError('parkedPerPerson', max);
    }
    this.parked.set(token, { item, expiresAt: Date.now() + ttlMs });
  }

  /**
   * Takes back what `token` names, if it belongs to `user`, has not expired and `fits` it; what
   * does not fit stays parked for the right taker.
   */
  unpark(token: string, user: string, fits: (item: Parked) => boolean = () => true): Parked | undefined {
    const p = this.parked.get(token);
    if (!p || p.item.user !== user || p.expiresAt <= Date.now() || !fits(p.item)) return undefined;
    this.parked.delete(token);
    return p.item;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [token, p] of this.parked) {
      if (p.expiresAt <= now) {
        this.parked.delete(token);
        p.item.close();
      }
    }
    for (const h of this.held) h.keepAlive();
    for (const s of [...this.sessions.values()]) {
      s.tick(now);
      if (!s.busy && now - s.lastActive >= this.options.idleMs) this.close(s, 'the session expired');
    }
  }

  closeAll(): void {
    clearInterval(this.sweeper);
    for (const p of this.parked.values()) p.item.close();
    this.parked.clear();
    for (const h of [...this.held]) h.close('the gateway is shutting down');
    this.held.clear();
    for (const s of [...this.sessions.values()]) this.close(s, 'the gateway is shutting down');
  }
}
