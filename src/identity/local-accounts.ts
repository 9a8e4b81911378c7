// Accounts the owner creates (DESIGN §3 `access.login.local`): email + scrypt-hashed password,
// one-time invite links to set the password, and the owner's own account for the embedded
// default. Passwords and invite tokens are never stored or logged; only their hashes are kept.
import { createHash, randomBytes } from 'node:crypto';
import type { StateStore } from '../state/state-store.ts';
import { CodedError } from '../errors.ts';
import { DEFAULT_SCRYPT, hashPassword, sameParams, verifyPassword, type ScryptParams } from './password-hash.ts';
import { normalizeEmail, type LoginProfile } from './profile.ts';

export { DEFAULT_SCRYPT, hashPassword, verifyPassword, type ScryptParams };

export const ACCOUNTS_COLLECTION = 'local-accounts';
/** The id of the owner's account when `ensureOwner` makes it: fixed, so replicas starting at once make it once. */
const OWNER_ACCOUNT_ID = 'la_owner';
/** The cost for a password we generate (the owner's first one): N=2^14 (16 MiB), enough for 144 random bits. */
export const GENERATED_SCRYPT: ScryptParams = { N: 2 ** 14, r: 8, p: 1 };
export const INVITES_COLLECTION = 'local-invites';

/** Shortest password accepted; longest, so hashing stays bounded. */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

/** One account as stored. `passwordHash` is `$scrypt$ln=…,r=…,p=…$<salt>$<hash>` (PHC style). */
interface StoredAccount {
  id: string;
  email: string;
  name?: string;
  owner?: boolean;
  passwordHash?: string;
  createdAt: number;
  passwordSetAt?: number;
}

/** An account as callers see it: never the hash. */
export interface LocalAccount {
  /** Stable id (`la_…`): the subject of its login profile. */
  id: string;
  email: string;
  name?: string;
  owner?: boolean;
  /** False until a password was set (directly, through an invite, or by `ensureOwner`). */
  hasPassword: boolean;
  createdAt: number;
  passwordSetAt?: number;
}

interface StoredInvite { accountId: string; createdAt: number; expiresAt: number; invitedBy?: string }

/** An invite as the owner's list and the invite page show it (never its token). */
export interface InviteInfo { id: string; email: string; name?: string; createdAt: number; expiresAt: number; invitedBy?: string }

/**
 * - `invalid_email`: not an email address.
 * - `exists`: an account with that email exists.
 * - `unknown_account`: no account with that email.
 * - `weak_password`: shorter than `MIN_PASSWORD_LENGTH` or longer than `MAX_PASSWORD_LENGTH`.
 * - `invalid_invite`: the invite token is unknown, used or expired (the three look alike on purpose).
 */
export const LOCAL_ACCOUNT_ERROR_CODES = ['invalid_email', 'exists', 'unknown_account', 'weak_password', 'invalid_invite'] as const;
export type LocalAccountErrorCode = (typeof LOCAL_ACCOUNT_ERROR_CODES)[number];

/** `expose`: the message may be shown to the person at the login or invite page. */
export class LocalAccountError extends CodedError<LocalAccountErrorCode> {
  constructor(code: LocalAccountErrorCode, message: string) {
    super(code, message, { expose: code === 'weak_password' || code === 'invalid_invite' });
  }
}

export interface LocalAccountsOptions {
  /** Cost of new hashes; default `DEFAULT_SCRYPT`. Hashes with other costs are redone at next sign-in. */
  scrypt?: ScryptParams;
  /** Clock, epoch ms; default `Date.now`. */
  now?: () => number;
}

export class LocalAccounts {
  readonly #state: StateStore;
  readonly #params: ScryptParams;
  readonly #now: () => number;
  #dummyHash?: Promise<string>;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(state: StateStore, options: LocalAccountsOptions = {}) {
    this.#state = state;
    this.#params = options.scrypt ?? DEFAULT_SCRYPT;
    this.#now = options.now ?? Date.now;
    // Made a little after start (not on the start's critical path: it costs 128 MiB and a fraction
    // of a second), or at the first sign-in if that comes sooner.
    setTimeout(() => void this.#dummy().catch(() => undefined), 3000).unref();
  }

  /** Creates an account without a password (send an invite, or call `setPassword`). */
  createAccount(input: { email: string; name?: string; owner?: boolean }): Promise<LocalAccount> {
    return this.#serial(async () => {
      const email = input.email.trim();
      if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new LocalAccountError('invalid_email', `not an email address: ${JSON.stringify(input.email)}`);
      if (await this.#find(email)) throw new LocalAccountError('exists', `there is already an account for ${email}`);
      const account: StoredAccount = { id: `la_${randomBytes(12).toString('base64url')}`, email, createdAt: this.#now() };
      if (input.name) account.name = input.name;
      if (input.owner) account.owner = true;
      await this.#state.put(ACCOUNTS_COLLECTION, account.id, account);
      return view(account);
    });
  }

  /** The account with this email (case-insensitive). */
  async get(email: string): Promise<LocalAccount | undefined> {
    const account = await this.#find(email);
    return account && view(account);
  }

  /** Every account, oldest first. */
  async list(): Promise<LocalAccount[]> {
    return (await this.#state.list<StoredAccount>(ACCOUNTS_COLLECTION)).map((e) => view(e.value));
  }

  /** Deletes an account and its invites. Resolves false if there was none. */
  deleteAccount(email: string): Promise<boolean> {
    return this.#serial(async () => {
      const account = await this.#find(email);
      if (!account) return false;
      await this.#dropInvites(account.id);
      return this.#state.delete(ACCOUNTS_COLLECTION, account.id);
    });
  }

  /** Sets (or replaces) a password. Rejects with `unknown_account` or `weak_password`. */
  async setPassword(email: string, password: string, params: ScryptParams = this.#params): Promise<void> {
    checkPassword(password);
    const hash = await hashPassword(password, params);
    await this.#serial(async () => {
      const account = await this.#find(email);
      if (!account) throw new LocalAccountError('unknown_account', `no account for ${email}`);
      await this.#state.put(ACCOUNTS_COLLECTION, account.id, { ...account, passwordHash: hash, passwordSetAt: this.#now() });
    });
  }

  /**
   * Checks an email and password. Resolves the login profile, or `undefined` for a wrong
   * password, an unknown email or an account without a password — all after one scrypt of the
   * same cost, so timing does not tell which.
   */
  async verify(email: string, password: string): Promise<LoginProfile | undefined> {
    const account = await this.#find(email);
    const usable = account?.passwordHash !== undefined && typeof password === 'string' && password.length <= MAX_PASSWORD_LENGTH;
    const stored = usable ? account!.passwordHash! : await this.#dummy();
    const ok = await verifyPassword(typeof password === 'string' ? password.slice(0, MAX_PASSWORD_LENGTH) : '', stored);
    if (!ok || !usable) return undefined;
    if (!sameParams(stored, this.#params)) {
      // Stronger defaults since this hash was made: redo it now that we know the password.
      const hash = await hashPassword(password, this.#params);
      await this.#serial(async () => {
        const current = await this.#state.get<StoredAccount>(ACCOUNTS_COLLECTION, account!.id);
        if (current?.passwordHash === stored) await this.#state.put(ACCOUNTS_COLLECTION, current.id, { ...current, passwordHash: hash });
      });
    }
    return profileOf(account!);
  }

  /**
   * A one-time link token for the account to set its password; earlier invites of the account
   * stop working. Only the token's SHA-256 is stored. Rejects with `unknown_account`.
   */
  createInvite(email: string, ttlMs: number, meta: { invitedBy?: string } = {}): Promise<string> {
    return this.#serial(async () => {
      const account = await this.#find(email);
      if (!account) throw new LocalAccountError('unknown_account', `no account for ${email}`);
      await this.#dropInvites(account.id);
      const token = randomBytes(32).toString('base64url');
      const now = this.#now();
      const invite: StoredInvite = { accountId: account.id, createdAt: now, expiresAt: now + ttlMs, ...(meta.invitedBy ? { invitedBy: meta.invitedBy } : {}) };
      await this.#state.put(INVITES_COLLECTION, tokenId(token), invite, { expiresAt: invite.expiresAt });
      return token;
    });
  }

  /** Invites not used yet and not expired, newest first; `id` is the token's hash (`inviteId`). */
  async listInvites(): Promise<InviteInfo[]> {
    const out: InviteInfo[] = [];
    for (const { id, value } of await this.#state.list<StoredInvite>(INVITES_COLLECTION)) {
      const info = await this.#info(id, value);
      if (info) out.push(info);
    }
    return out.sort((a, b) => b.createdAt - a.createdAt);
  }

  /** The invite behind a token, while it can be used. */
  async inviteInfo(token: string): Promise<InviteInfo | undefined> {
    const id = tokenId(String(token));
    const invite = await this.#state.get<StoredInvite>(INVITES_COLLECTION, id);
    return invite && this.#info(id, invite);
  }

  /** Ends an invite before it is used. Resolves false when there was none. */
  revokeInvite(id: string): Promise<boolean> {
    return this.#serial(() => this.#state.delete(INVITES_COLLECTION, id));
  }

  async #info(id: string, invite: StoredInvite): Promise<InviteInfo | undefined> {
    if (invite.expiresAt <= this.#now()) return undefined;
    const account = await this.#state.get<StoredAccount>(ACCOUNTS_COLLECTION, invite.accountId);
    if (!account) return undefined;
    return { id, email: account.email, ...(account.name ? { name: account.name } : {}), createdAt: invite.createdAt, expiresAt: invite.expiresAt, ...(invite.invitedBy ? { invitedBy: invite.invitedBy } : {}) };
  }

  /** Whether an invite token can still be redeemed (known, unused, not expired). */
  async inviteUsable(token: string): Promise<boolean> {
    const invite = await this.#state.get<StoredInvite>(INVITES_COLLECTION, tokenId(String(token)));
    return invite !== undefined && invite.expiresAt > this.#now();
  }

  /**
   * Sets the password through an invite and uses the invite up. Resolves the login profile, so
   * the page can sign the person in. Rejects with `weak_password` (the invite stays usable) or
   * `invalid_invite` (unknown, used or expired).
   */
  async redeemInvite(token: string, password: string): Promise<LoginProfile> {
    checkPassword(password);
    const hash = await hashPassword(password, this.#params);
    return this.#serial(async () => {
      const id = tokenId(String(token));
      const invite = await this.#state.get<StoredInvite>(INVITES_COLLECTION, id);
      const invalid = new LocalAccountError('invalid_invite', 'this invite link is not valid any more; ask the owner for a new one');
      if (!invite || invite.expiresAt <= this.#now()) throw invalid;
      if (!(await this.#state.delete(INVITES_COLLECTION, id))) throw invalid; // single use
      const account = await this.#state.get<StoredAccount>(ACCOUNTS_COLLECTION, invite.accountId);
      if (!account) throw invalid;
      const updated = { ...account, passwordHash: hash, passwordSetAt: this.#now() };
      await this.#state.put(ACCOUNTS_COLLECTION, account.id, updated);
      return profileOf(updated);
    });
  }

  /**
   * Makes sure the owner has an account with a password (the embedded default: local sign-in
   * only). Resolves `password` only when it generated one — the one time it exists in clear: show
   * it to the owner, never log it. An existing owner account is kept as it is. Exact across
   * replicas starting at once on one database: one makes the account and its password, the
   * others resolve `madeElsewhere` (the password was shown by the one that made it).
   */
  async ensureOwner(input: { email?: string; name?: string } = {}): Promise<{ account: LocalAccount; password?: string; madeElsewhere?: boolean }> {
    const owners = await this.#state.find<StoredAccount>(ACCOUNTS_COLLECTION, (a) => a.owner === true);
    const email = input.email ?? 'owner@localhost';
    const account = owners[0]?.value ?? await this.#find(email);
    if (account?.owner && account.passwordHash) return { account: view(account) };
    const password = randomBytes(18).toString('base64url');
    // A generated 144-bit password needs no slow hash (that protects passwords people choose):
    // a cheap one keeps the first start quick. It is redone at today's cost at the first sign-in.
    const passwordHash = await hashPassword(password, this.#params.N > GENERATED_SCRYPT.N ? GENERATED_SCRYPT : this.#params);
    const passwordSetAt = this.#now();
    if (!account) {
      const fresh: StoredAccount = { id: OWNER_ACCOUNT_ID, email, name: input.name ?? 'Owner', owner: true, createdAt: this.#now(), passwordHash, passwordSetAt };
      if (await this.#state.add(ACCOUNTS_COLLECTION, fresh.id, fresh)) return { account: view(fresh), password };
      return { account: view((await this.#state.get<StoredAccount>(ACCOUNTS_COLLECTION, OWNER_ACCOUNT_ID))!), madeElsewhere: true };
    }
    // An account of that email already: it becomes the owner's, and gets a password unless it has one.
    const had = account.passwordHash !== undefined;
    const updated = await this.#state.update<StoredAccount>(ACCOUNTS_COLLECTION, account.id, (a) => (a.passwordHash ? (a.owner ? undefined : { ...a, owner: true }) : { ...a, owner: true, passwordHash, passwordSetAt }));
    const now = updated ?? (await this.#state.get<StoredAccount>(ACCOUNTS_COLLECTION, account.id))!;
    if (updated && !had && updated.passwordHash === passwordHash) return { account: view(now), password };
    return { account: view(now), ...(had ? {} : { madeElsewhere: true }) };
  }

  #find(email: string): Promise<StoredAccount | undefined> {
    const key = normalizeEmail(email);
    return this.#state.find<StoredAccount>(ACCOUNTS_COLLECTION, (a) => normalizeEmail(a.email) === key).then((r) => r[0]?.value);
  }

  async #dropInvites(accountId: string): Promise<void> {
    for (const { id } of await this.#state.find<StoredInvite>(INVITES_COLLECTION, (i) => i.accountId === accountId)) {
      await this.#state.delete(INVITES_COLLECTION, id);
    }
  }

  /** A hash of a random password with today's cost, checked against when there is no account. */
  #dummy(): Promise<string> {
    return (this.#dummyHash ??= hashPassword(randomBytes(16).toString('base64url'), this.#params));
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

function view(a: StoredAccount): LocalAccount {
  const out: LocalAccount = { id: a.id, email: a.email, hasPassword: a.passwordHash !== undefined, createdAt: a.createdAt };
  if (a.name !== undefined) out.name = a.name;
  if (a.owner) out.owner = true;
  if (a.passwordSetAt !== undefined) out.passwordSetAt = a.passwordSetAt;
  return out;
}

/** The owner typed the address, so it counts as verified (it may match `allow.domains`). */
function profileOf(a: StoredAccount): LoginProfile {
  const profile: LoginProfile = { provider: 'local', subject: a.id, email: a.email, emailVerified: true, groups: [] };
  if (a.name !== undefined) profile.name = a.name;
  if (a.owner) profile.owner = true;
  return profile;
}

function checkPassword(password: string): void {
  if (typeof password !== 'string' || [...password].length < MIN_PASSWORD_LENGTH) {
    throw new LocalAccountError('weak_password', `a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) throw new LocalAccountError('weak_password', `a password may have at most ${MAX_PASSWORD_LENGTH} characters`);
}

/** The id of an invite token in lists (its hash). */
export function inviteId(token: string): string {
  return tokenId(token);
}

function tokenId(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
