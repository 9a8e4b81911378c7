// The OS-keychain SecretStore (macOS Keychain, Windows Credential Manager, Secret Service on Linux)
// through @napi-rs/keyring. An `__index__` entry lists the keys, since enumeration is not reliable.
import { randomBytes } from 'node:crypto';
import type { AsyncEntry, EntryOptions } from '@napi-rs/keyring';

/** The native keychain binding, loaded on first use (not at all when secrets go to the encrypted file). */
const keyring = () => import('@napi-rs/keyring');
import { assertSecretKey, assertSecretValue, filterKeys, SecretStoreError, type SecretStore } from './secret-store.ts';

export interface KeychainStoreOptions {
  /** Service name every entry is filed under (what the keychain UI shows). Default `mcp-publish`. */
  service?: string;
  /**
   * How long one keychain call may take before it counts as `locked` (an unlock prompt nobody
   * answers). Default 15000 ms.
   */
  timeoutMs?: number;
}

export const DEFAULT_KEYCHAIN_SERVICE = 'mcp-publish';
const DEFAULT_TIMEOUT_MS = 15_000;
/** Account holding the JSON array of keys; `__` keys are refused for callers (assertSecretKey). */
const INDEX_ACCOUNT = '__index__';
const PROBE_PREFIX = '__probe__';
/**
 * On Linux, pin the Secret Service: the library's default falls back to the kernel keyring
 * (keyutils), which forgets everything at logout or reboot. Ignored on macOS and Windows.
 */
const ENTRY_OPTIONS: EntryOptions = { linux: { store: 'secret-service' } };

export class KeychainSecretStore implements SecretStore {
  readonly kind = 'keychain' as const;
  readonly service: string;
  readonly #timeoutMs: number;
  /** Serializes the read-modify-write of the index within this instance. */
  #queue: Promise<unknown> = Promise.resolve();

  /** Does not touch the keychain; use `KeychainSecretStore.open` to probe first. */
  constructor(options: KeychainStoreOptions = {}) {
    this.service = options.service ?? DEFAULT_KEYCHAIN_SERVICE;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * Checks that the keychain really works here by writing, reading back and deleting a
   * throw-away entry. Rejects with `SecretStoreError` `unavailable` (no keychain service) or
   * `locked` (it exists but is locked and nobody unlocked it).
   */
  static async probe(options: KeychainStoreOptions = {}): Promise<void> {
    const service = options.service ?? DEFAULT_KEYCHAIN_SERVICE;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const account = PROBE_PREFIX + randomBytes(6).toString('hex');
    const expected = randomBytes(16).toString('base64url');
    let entry: AsyncEntry | undefined;
    let written = false;
    try {
      // The constructor itself throws when no backend can be reached, so it is inside the try.
      entry = await call('open the keychain', timeoutMs, async () => new (await keyring()).AsyncEntry(service, account, ENTRY_OPTIONS));
      await call('write a probe entry', timeoutMs, (signal) => entry!.setPassword(expected, signal));
      written = true;
      const got = await call('read the probe entry back', timeoutMs, (signal) => entry!.getPassword(signal));
      if (got !== expected) {
        throw new SecretStoreError('unavailable', 'keychain: a probe entry read back differently from what was written', { backend: 'keychain' });
      }
      await call('delete the probe entry', timeoutMs, (signal) => entry!.deletePassword(signal));
      written = false;
    } catch (e) {
      const err = toStoreError(e, 'probe the keychain', timeoutMs);
      // A store that half-works is no store: report anything else as unavailable.
      throw err.code === 'locked' || err.code === 'unavailable' ? err : new SecretStoreError('unavailable', err.message, { cause: err, backend: 'keychain' });
    } finally {
      if (written) await entry?.deletePassword().catch(() => undefined);
    }
  }

  /** Probes the keychain (see `probe`) and returns a store over it. */
  static async open(options: KeychainStoreOptions = {}): Promise<KeychainSecretStore> {
    await KeychainSecretStore.probe(options);
    return new KeychainSecretStore(options);
  }

  async get(key: string): Promise<string | undefined> {
    assertSecretKey(key);
    const value = await this.#call(`read "${key}"`, async (signal) => (await this.#entry(key)).getPassword(signal));
    return value ?? undefined;
  }

  async set(key: string, value: string): Promise<void> {
    assertSecretKey(key);
    assertSecretValue(value);
    await this.#exclusive(async () => {
      // Value first, then index: a crash in between leaves an unlisted key that the next `set`
      // lists, never a listed key without a value.
      await this.#call(`write "${key}"`, async (signal) => (await this.#entry(key)).setPassword(value, signal));
      const keys = await this.#readIndex();
      if (!keys.includes(key)) await this.#writeIndex([...keys, key]);
    });
  }

  /** One process owns the keychain entries of a data folder (STYLE 17): read, then write. */
  async setIfAbsent(key: string, value: string): Promise<string> {
    const held = await this.get(key);
    if (held !== undefined) return held;
    await this.set(key, value);
    return value;
  }

  async delete(key: string): Promise<boolean> {
    assertSecretKey(key);
    return this.#exclusive(async () => {
      const existed = await this.#call(`delete "${key}"`, async (signal) => (await this.#entry(key)).deletePassword(signal));
      const keys = await this.#readIndex();
      if (keys.includes(key)) await this.#writeIndex(keys.filter((k) => k !== key));
      return existed;
    });
  }

  async list(prefix?: string): Promise<string[]> {
    return filterKeys(await this.#readIndex(), prefix);
  }

  async #entry(account: string): Promise<AsyncEntry> {
    return new (await keyring()).AsyncEntry(this.service, account, ENTRY_OPTIONS);
  }

  #call<T>(what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return call(what, this.#timeoutMs, fn);
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The indexed keys. A damaged index is rebuilt from enumeration where the platform has it. */
  async #readIndex(): Promise<string[]> {
    const raw = await this.#call('read the key index', async (signal) => (await this.#entry(INDEX_ACCOUNT)).getPassword(signal));
    if (raw == null) return [];
    try {
      const parsed: unknown = JSON.parse(raw);
      if (Array.isArray(parsed) && parsed.every((k) => typeof k === 'string')) return [...new Set(parsed as string[])];
    } catch {
      // fall through to the rebuild
    }
    try {
      const found = await (await keyring()).findCredentialsAsync(this.service, undefined, AbortSignal.timeout(this.#timeoutMs));
      const keys = found.map((c) => c.account).filter((a) => !a.startsWith('__'));
      await this.#writeIndex(keys);
      return keys;
    } catch (e) {
      throw new SecretStoreError('corrupt', `keychain: the key index of service "${this.service}" is damaged and could not be rebuilt`, { cause: e, backend: 'keychain' });
    }
  }

  async #writeIndex(keys: string[]): Promise<void> {
    const text = JSON.stringify([...new Set(keys)].sort());
    await this.#call('write the key index', async (signal) => (await this.#entry(INDEX_ACCOUNT)).setPassword(text, signal));
  }
}

async function call<T>(what: string, timeoutMs: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  try {
    return await fn(AbortSignal.timeout(timeoutMs));
  } catch (e) {
    throw toStoreError(e, what, timeoutMs);
  }
}

/** Maps @napi-rs/keyring's errors (keyring-rs messages) onto our closed list of codes. */
function toStoreError(e: unknown, what: string, timeoutMs: number): SecretStoreError {
  if (e instanceof SecretStoreError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const name = e instanceof Error ? e.name : '';
  if (name === 'TimeoutError' || name === 'AbortError' || /aborted|timed? ?out/i.test(message)) {
    return new SecretStoreError('locked', `keychain: no answer within ${timeoutMs} ms while trying to ${what} (is it waiting for an unlock prompt?)`, { cause: e, backend: 'keychain' });
  }
  // Secret Service: "unlock prompt was dismissed" / "locked collection"; macOS: "User canceled",
  // "User interaction is not allowed"; Windows has no locked state.
  if (/locked|prompt|dismissed|cancel+ed|interaction is not allowed/i.test(message)) {
    return new SecretStoreError('locked', `keychain is locked; unlock it (your login keychain or keyring) and try again. Could not ${what}: ${message}`, { cause: e, backend: 'keychain' });
  }
  // keyring-rs NoStorageAccess ("Couldn't access platform storage") and PlatformFailure
  // (no D-Bus session bus, no Secret Service provider).
  if (/platform storage|platform failure|dbus|d-bus|secret service|no such|not (available|supported)/i.test(message)) {
    return new SecretStoreError('unavailable', `keychain is not available here: could not ${what}: ${message}`, { cause: e, backend: 'keychain' });
  }
  return new SecretStoreError('io', `keychain: could not ${what}: ${message}`, { cause: e, backend: 'keychain' });
}
