// The SecretStore boundary (DESIGN §7): where signing keys, IdP client secrets, tunnel tokens and
// users' secret `userEnv` values live. OS keychain, encrypted file, memory, and PostgreSQL (replicas).

/** Which backend holds the secrets. */
export type SecretStoreKind = 'keychain' | 'encrypted-file' | 'memory' | 'postgres';

/**
 * Minimal contract for a place that keeps named secret strings.
 *
 * Keys are short names chosen by the app (e.g. `idp/github/client-secret`); values are strings
 * of any content. No member ever logs or echoes a value, including in error messages.
 */
export interface SecretStore {
  /** The backend, for the one log line that says where secrets are kept and for `doctor`. */
  readonly kind: SecretStoreKind;

  /**
   * Reads a secret.
   *
   * Resolves `undefined` when the key has never been set or was deleted; rejects with a
   * `SecretStoreError` only when the store itself cannot be read (locked, corrupt, I/O).
   */
  get(key: string): Promise<string | undefined>;

  /**
   * Creates or replaces a secret.
   *
   * Once this resolves the value is durable (written to the keychain or the file) and a
   * `get` in this or another instance over the same backing store returns it.
   */
  set(key: string, value: string): Promise<void>;

  /**
   * Stores `value` only if the key holds nothing yet; resolves with what the key holds then (the
   * given value, or the one that was there). Atomic for every process sharing the store, so
   * replicas starting together agree on one signing key.
   */
  setIfAbsent(key: string, value: string): Promise<string>;

  /**
   * Removes a secret.
   *
   * Resolves `true` if it existed and is now gone, `false` if there was nothing to remove.
   */
  delete(key: string): Promise<boolean>;

  /**
   * Lists the keys that currently hold a value, sorted, optionally only those starting with
   * `prefix`. Never returns values.
   */
  list(prefix?: string): Promise<string[]>;
}

/** Every code a `SecretStoreError` may carry; callers switch on it. */
export const SECRET_STORE_ERROR_CODES = ['unavailable', 'locked', 'corrupt', 'io'] as const;

/**
 * - `unavailable`: the backend does not exist or does not work here (no Secret Service on the
 *   session bus, no keychain API), so another backend should be chosen.
 * - `locked`: the backend exists but is locked and could not be unlocked without the user.
 * - `corrupt`: stored data cannot be decrypted or parsed (wrong key, damaged file); the data is
 *   left untouched.
 * - `io`: reading or writing failed for another reason (disk full, permissions, odd errors).
 */
export type SecretStoreErrorCode = (typeof SECRET_STORE_ERROR_CODES)[number];

/** A secret store that cannot do what was asked. The original error, if any, is `cause`. */
export class SecretStoreError extends Error {
  readonly code: SecretStoreErrorCode;
  /** The backend that failed, when known. */
  readonly backend: SecretStoreKind | undefined;

  constructor(code: SecretStoreErrorCode, message: string, options: { cause?: unknown; backend?: SecretStoreKind } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SecretStoreError';
    this.code = code;
    this.backend = options.backend;
  }
}

/**
 * Checks a key before any backend sees it. Keys are 1–200 characters without control
 * characters; keys starting with `__` are reserved for the stores' own bookkeeping (the
 * keychain's index and probe entries), so every backend refuses them alike.
 */
export function assertSecretKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > 200) {
    throw new TypeError('a secret key must be a string of 1 to 200 characters');
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new TypeError('a secret key must not contain control characters');
  if (key.startsWith('__')) throw new TypeError(`secret keys starting with "__" are reserved (got ${JSON.stringify(key)})`);
}

/** Checks a value: any string, including empty; anything else is a programming error. */
export function assertSecretValue(value: string): void {
  if (typeof value !== 'string') throw new TypeError('a secret value must be a string');
}

/** Sorted keys, those starting with `prefix` only when given. */
export function filterKeys(keys: Iterable<string>, prefix?: string): string[] {
  const out: string[] = [];
  for (const k of keys) if (prefix === undefined || k.startsWith(prefix)) out.push(k);
  return out.sort();
}
