// The people who signed in (DESIGN §4 steps 3 and 6): one record per person over the state
// store's `users` collection, mirrored in memory so that "may this user still come in?" is a
// synchronous lookup on every MCP request, with change events for revocation and waiting pages.
import { randomBytes } from 'node:crypto';
import type { AccessConfig } from '../config/schema.ts';
import type { Logger } from '../logging/logger.ts';
import type { StateStore } from '../state/state-store.ts';
import { decide, POLICY_DECIDER, type Decision } from './policy.ts';
import { loginKey, normalizeEmail, type LoginMethod, type LoginProfile } from './profile.ts';
import { UnknownUserError, UserDirectoryError } from './user-directory-error.ts';

export { UnknownUserError, UserDirectoryError };

/** The state store collection the records live in. */
export const USERS_COLLECTION = 'users';

export { POLICY_DECIDER };

/**
 * - `allowed`: may come in (`isActive`).
 * - `pending`: waiting for the owner (or not decided yet).
 * - `denied`: refused, by the owner or by the policy (`decidedBy` says which).
 * - `removed`: the owner removed the person; the record stays so their tokens are refused.
 */
export type UserStatus = 'allowed' | 'pending' | 'denied' | 'removed';

/** One person, however many login methods they used. Times are epoch milliseconds. */
export interface UserRecord {
  /** Our stable id (`u_…`): the `sub` of the tokens we issue. */
  id: string;
  email?: string;
  /** Whether `email` was verified by the method that gave it. */
  emailVerified?: boolean;
  name?: string;
  /** Every login method and subject that led to this record. */
  logins: { provider: LoginMethod; subject: string }[];
  /** The most recent of `logins`. */
  lastLogin?: { provider: LoginMethod; subject: string };
  /** OIDC groups as of the last OIDC sign-in. */
  groups: string[];
  githubLogin?: string;
  /** GitHub organizations and "org/team" teams as of the last GitHub sign-in. */
  githubOrgs: string[];
  githubTeams: string[];
  status: UserStatus;
  /** The owner of this MCP Publish: always allowed unless on the deny list. */
  owner?: boolean;
  createdAt: number;
  lastLoginAt: number;
  /** When and by whom `status` was last set: `POLICY_DECIDER` or the owner's name for it. */
  decidedAt?: number;
  decidedBy?: string;
}

/** What changed: the record after the change, and before it (absent for a new record). */
export interface UserChange {
  user: UserRecord;
  previous?: UserRecord;
}

export interface UserDirectoryOptions {
  /** Told when a change listener throws. */
  logger?: Logger;
  /**
   * Ends what a person holds (tokens, refresh tokens, consents, browser sessions) when their
   * status becomes `removed` or `denied`: stored first, so they are refused at once, then this,
   * awaited before the change resolves, so letting them in again later revives nothing.
   */
  revoke?: (user: UserRecord) => Promise<void>;
  /** Clock, epoch ms; default `Date.now`. */
  now?: () => number;
}

export class UserDirectory {
  readonly #state: StateStore;
  readonly #logger: Logger | undefined;
  readonly #revoke: ((user: UserRecord) => Promise<void>) | undefined;
  readonly #now: () => number;
  readonly #byId = new Map<string, UserRecord>();
  readonly #byLogin = new Map<string, string>();
  readonly #byVerifiedEmail = new Map<string, string>();
  readonly #emailOf = new Map<string, string>();
  readonly #listeners = new Set<(change: UserChange) => void>();
  #queue: Promise<unknown> = Promise.resolve();
  #unwatch = () => {};

  private constructor(state: StateStore, options: UserDirectoryOptions) {
    this.#state = state;
    this.#logger = options.logger;
    this.#revoke = options.revoke;
    this.#now = options.now ?? Date.now;
  }

  /** Loads every record into memory. The directory then owns the `users` collection. */
  static async open(state: StateStore, options: UserDirectoryOptions = {}): Promise<UserDirectory> {
    const dir = new UserDirectory(state, options);
    for (const { value } of await state.list<UserRecord>(USERS_COLLECTION)) dir.#index(value);
    // Another replica's change (a sign-in, a removal) is loaded and told here too (children stop).
    dir.#unwatch = state.watch(USERS_COLLECTION, (id, change) => { if (change.remote) void dir.#reload(id); });
    return dir;
  }

  close(): void { this.#unwatch(); } // stops following other replicas' changes
  /** Loads a record another replica changed (and revoked what needed revoking). */
  #reload(id: string): Promise<void> {
    return this.#serial(async () => {
      const [user, previous] = [await this.#state.get<UserRecord>(USERS_COLLECTION, id), this.#byId.get(id)];
      if (!user) return void this.#byId.delete(id);
      if (JSON.stringify(user) !== JSON.stringify(previous)) this.#index(user), this.#tell({ user: structuredClone(user), ...(previous ? { previous: structuredClone(previous) } : {}) });
    }).catch((e: Error) => this.#logger?.error({ err: e.message, userId: id }, 'could not load a user record another replica changed'));
  }

  /**
   * Finds or creates the record of the person behind `profile` and refreshes what it knows
   * (name, verified email, groups, GitHub orgs and teams, last login). Matches by provider and
   * subject, else by a verified email equal to a record's verified email (linking this login to
   * it). A new record starts `pending`; apply the policy's verdict with `applyDecision`.
   */
  upsertFromLogin(profile: LoginProfile): Promise<UserRecord> {
    return this.#serial(async () => {
      const login = { provider: profile.provider, subject: profile.subject };
      const now = this.#now();
      let id = this.#byLogin.get(loginKey(login));
      if (id === undefined && profile.email && profile.emailVerified) id = this.#byVerifiedEmail.get(normalizeEmail(profile.email));
      const previous = id === undefined ? undefined : this.#byId.get(id);
      const user: UserRecord = previous
        ? structuredClone(previous)
        : { id: `u_${randomBytes(12).toString('base64url')}`, logins: [], groups: [], githubOrgs: [], githubTeams: [], status: 'pending', createdAt: now, lastLoginAt: now };
      if (!user.logins.some((l) => loginKey(l) === loginKey(login))) user.logins.push(login);
      user.lastLogin = login;
      user.lastLoginAt = now;
      // A verified email replaces anything; an unverified one only fills a record without a verified one.
      if (profile.email && (profile.emailVerified || !user.emailVerified)) {
        user.email = profile.email;
        user.emailVerified = profile.emailVerified === true;
      }
      if (profile.name) user.name = profile.name;
      if (profile.provider === 'oidc') user.groups = [...profile.groups];
      if (profile.provider === 'github') {
        if (profile.githubLogin) user.githubLogin = profile.githubLogin;
        user.githubOrgs = [...(profile.githubOrgs ?? [])];
        user.githubTeams = [...(profile.githubTeams ?? [])];
      }
      if (profile.owner) user.owner = true;
      await this.#save(user, previous);
      return structuredClone(user);
    });
  }

  /**
   * Records the access policy's verdict as the user's status (`decidedBy: "policy"`). Does
   * nothing when the status already says so (an owner's decision keeps its `decidedBy`), and
   * never turns `removed` into `denied`.
   */
  applyDecision(id: string, decision: Pick<Decision, 'verdict'>): Promise<UserRecord> {
    const status: UserStatus = decision.verdict === 'allow' ? 'allowed' : decision.verdict === 'deny' ? 'denied' : 'pending';
    return this.#serial(async () => {
      const previous = this.#require(id);
      if (previous.status === status || (previous.status === 'removed' && status === 'denied')) return structuredClone(previous);
      const user = { ...structuredClone(previous), status, decidedAt: this.#now(), decidedBy: POLICY_DECIDER };
      await this.#save(user, previous);
      return structuredClone(user);
    });
  }

  /**
   * The owner's decision: sets the status and who decided (`by`, e.g. "owner"). Approving or
   * denying a pending user ends their `waitForDecision`; `removed` or `denied` makes
   * `isActive` false at once and revokes what they hold (`revoke`) before resolving. Rejects
   * with `UnknownUserError` for an unknown id, and with `owner_protected` when asked to remove
   * or deny the owner.
   */
  setStatus(id: string, status: UserStatus, by: string): Promise<UserRecord> {
    return this.#serial(async () => {
      const previous = this.#require(id);
      if (previous.owner && blocked(status)) {
        throw new UserDirectoryError('owner_protected', `${previous.email ?? 'This account'} is the owner's own account: you cannot ${status === 'removed' ? 'remove' : 'deny'} yourself (you would lock yourself out of your own servers).`, id);
      }
      const user = { ...structuredClone(previous), status, decidedAt: this.#now(), decidedBy: by };
      // Revoked even when the status was already so: a retry after a failed revocation finishes it.
      await this.#save(user, previous, blocked(status));
      return structuredClone(user);
    });
  }

  /** Removes a person: status `removed`, record kept so their tokens stay refused. */
  remove(id: string, by = 'owner'): Promise<UserRecord> {
    return this.setStatus(id, 'removed', by);
  }

  /** Marks or unmarks a record as the owner's. */
  setOwner(id: string, owner: boolean): Promise<UserRecord> {
    return this.#serial(async () => {
      const previous = this.#require(id);
      const user = structuredClone(previous);
      if (owner) user.owner = true;
      else delete user.owner;
      await this.#save(user, previous);
      return structuredClone(user);
    });
  }

  /**
   * Re-runs the access policy for every user after the access configuration changed, from what
   * each record knows of its last login: owner decisions stay unless the deny list now names
   * the person. Resolves with the records whose status changed.
   */
  async reevaluate(access: AccessConfig): Promise<UserRecord[]> {
    const changed: UserRecord[] = [];
    for (const user of this.list()) {
      // The policy itself respects owner decisions; only the deny list overrides them.
      const profile = profileOfRecord(user);
      if (!profile) continue;
      const after = await this.applyDecision(user.id, decide(profile, user, access));
      if (after.status !== user.status) changed.push(after);
    }
    return changed;
  }

  /** A copy of the record, from memory. */
  get(id: string): UserRecord | undefined {
    const user = this.#byId.get(id);
    return user ? structuredClone(user) : undefined;
  }

  /** Copies of every record, oldest first. */
  list(): UserRecord[] {
    return [...this.#byId.values()].map((u) => structuredClone(u));
  }

  /** True when the user exists and is `allowed`. Synchronous and cheap: call it per request. */
  isActive(id: string): boolean {
    return this.#byId.get(id)?.status === 'allowed';
  }

  /**
   * Calls `listener` after every change, once the change is stored and visible to `get` and
   * `isActive`. Returns a function that unsubscribes. A throwing listener is logged and ignored.
   */
  onChange(listener: (change: UserChange) => void): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  /**
   * Resolves with the user's status as soon as it is no longer `pending` (at once if it is not).
   * Rejects with `signal.reason` when `signal` aborts, and with `UnknownUserError` for an
   * unknown id.
   */
  waitForDecision(id: string, signal?: AbortSignal): Promise<UserStatus> {
    return new Promise<UserStatus>((resolve, reject) => {
      const current = this.#byId.get(id);
      if (!current) return reject(new UnknownUserError(id));
      if (current.status !== 'pending') return resolve(current.status);
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => { unsubscribe(); reject(signal!.reason); };
      const unsubscribe = this.onChange(({ user }) => {
        if (user.id !== id || user.status === 'pending') return;
        unsubscribe();
        signal?.removeEventListener('abort', onAbort);
        resolve(user.status);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Runs writes one at a time, so two sign-ins of one new person cannot create two records. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #require(id: string): UserRecord {
    const user = this.#byId.get(id);
    if (!user) throw new UnknownUserError(id);
    return user;
  }

  async #save(user: UserRecord, previous: UserRecord | undefined, revoke = blocked(user.status) && previous?.status !== user.status): Promise<void> {
    await this.#state.put(USERS_COLLECTION, user.id, user);
    this.#index(user);
    if (revoke) await this.#revoke?.(structuredClone(user));
    this.#tell({ user: structuredClone(user), ...(previous ? { previous: structuredClone(previous) } : {}) });
  }

  #tell(change: UserChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch (e) {
        this.#logger?.error({ err: e, userId: change.user.id }, 'a user-change listener threw');
      }
    }
  }

  #index(user: UserRecord): void {
    this.#byId.set(user.id, user);
    for (const login of user.logins) this.#byLogin.set(loginKey(login), user.id);
    const before = this.#emailOf.get(user.id);
    const key = user.email && user.emailVerified ? normalizeEmail(user.email) : undefined;
    if (before !== undefined && before !== key && this.#byVerifiedEmail.get(before) === user.id) this.#byVerifiedEmail.delete(before);
    if (key === undefined) this.#emailOf.delete(user.id);
    else {
      this.#emailOf.set(user.id, key);
      if (!this.#byVerifiedEmail.has(key)) this.#byVerifiedEmail.set(key, user.id);
    }
  }
}

/** Statuses that shut a person out: what they hold is revoked. */
function blocked(status: UserStatus): boolean {
  return status === 'removed' || status === 'denied';
}

/** The profile of a record's last login, as the record remembers it; undefined if it never signed in. */
export function profileOfRecord(user: UserRecord): LoginProfile | undefined {
  const login = user.lastLogin ?? user.logins.at(-1);
  if (!login) return undefined;
  const profile: LoginProfile = { provider: login.provider, subject: login.subject, groups: [...user.groups] };
  if (user.email !== undefined) profile.email = user.email;
  if (user.emailVerified !== undefined) profile.emailVerified = user.emailVerified;
  if (user.name !== undefined) profile.name = user.name;
  if (user.githubLogin !== undefined) profile.githubLogin = user.githubLogin;
  if (user.githubOrgs.length > 0) profile.githubOrgs = [...user.githubOrgs];
  if (user.githubTeams.length > 0) profile.githubTeams = [...user.githubTeams];
  if (user.owner) profile.owner = true;
  return profile;
}
