// The encrypted-file SecretStore for machines without a usable keychain: one AES-256-GCM encrypted
// JSON file, keyed by MCP_PUBLISH_SECRET_KEY or by a 0600 key file created beside it on first write.
import fs from 'node:fs/promises';
import path from 'node:path';
import { createCipheriv, createDecipheriv, randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import type { Logger } from '../logging/logger.ts';
import { readFileIfExists, writeFileAtomic } from '../config/atomic-file.ts';
import { assertSecretKey, assertSecretValue, filterKeys, SecretStoreError, type SecretStore } from './secret-store.ts';

export interface EncryptedFileStoreOptions {
  /** The encrypted file (`AppPaths.secretsFile`); written 0600, atomically. */
  file: string;
  /** The generated key (`AppPaths.secretsKey`), used when `secretKey` is not given; created 0600 on first write. */
  keyFile: string;
  /**
   * The value of `MCP_PUBLISH_SECRET_KEY`; overrides `keyFile`. 32 bytes as 64 hex digits or as
   * base64 are the key itself; anything else is a passphrase run through scrypt with a random
   * salt stored in the file. Default: none.
   */
  secretKey?: string;
  /** Told when a key file is created or has loose permissions. Default: none. */
  logger?: Logger;
}

/** Where the key comes from, as recorded in the file so a mismatch is explained, not guessed. */
type Kdf = { name: 'none' } | { name: 'scrypt'; salt: string; N: number; r: number; p: number };

interface Envelope {
  format: typeof FORMAT;
  version: 1;
  cipher: 'aes-256-gcm';
  kdf: Kdf;
  /** base64: 12-byte IV, fresh for every write (NIST SP 800-38D §8.2: never reuse an IV under one key). */
  iv: string;
  /** base64: 16-byte GCM authentication tag. */
  tag: string;
  /** base64: the encrypted JSON `{ "secrets": { key: value } }`. */
  data: string;
}

const FORMAT = 'mcp-publish-secrets';
const SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;

export class EncryptedFileSecretStore implements SecretStore {
  readonly kind = 'encrypted-file' as const;
  readonly file: string;
  readonly keyFile: string;
  readonly #logger: Logger | undefined;
  /** From `secretKey`: a raw key or a passphrase. Undefined means the key file. */
  readonly #given: { raw: Buffer } | { passphrase: string } | undefined;
  #fileKey: Buffer | undefined;
  readonly #derived = new Map<string, Promise<Buffer>>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: EncryptedFileStoreOptions) {
    this.file = options.file;
    this.keyFile = options.keyFile;
    this.#logger = options.logger;
    this.#given = options.secretKey ? parseSecretKey(options.secretKey) : undefined;
  }

  /** `MCP_PUBLISH_SECRET_KEY (raw key)`, `MCP_PUBLISH_SECRET_KEY (passphrase)` or `key file <path>`. */
  get keySource(): string {
    if (!this.#given) return `key file ${this.keyFile}`;
    return 'raw' in this.#given ? 'MCP_PUBLISH_SECRET_KEY (raw key)' : 'MCP_PUBLISH_SECRET_KEY (passphrase)';
  }

  async get(key: string): Promise<string | undefined> {
    assertSecretKey(key);
    return (await this.#load()).secrets.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    assertSecretKey(key);
    assertSecretValue(value);
    await this.#exclusive(async () => {
      const { secrets, kdf } = await this.#load();
      secrets.set(key, value);
      await this.#save(secrets, kdf);
    });
  }

  async setIfAbsent(key: string, value: string): Promise<string> {
    assertSecretKey(key);
    assertSecretValue(value);
    return this.#exclusive(async () => {
      const { secrets, kdf } = await this.#load();
      const held = secrets.get(key);
      if (held !== undefined) return held;
      secrets.set(key, value);
      await this.#save(secrets, kdf);
      return value;
    });
  }

  async delete(key: string): Promise<boolean> {
    assertSecretKey(key);
    return this.#exclusive(async () => {
      const { secrets, kdf } = await this.#load();
      if (!secrets.delete(key)) return false;
      await this.#save(secrets, kdf);
      return true;
    });
  }

  async list(prefix?: string): Promise<string[]> {
    return filterKeys((await this.#load()).secrets.keys(), prefix);
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Reads and decrypts the whole file; a missing file is an empty store. Never writes. */
  async #load(): Promise<{ secrets: Map<string, string>; kdf: Kdf | undefined }> {
    let text: string | undefined;
    try {
      text = await readFileIfExists(this.file);
    } catch (e) {
      throw new SecretStoreError('io', `cannot read ${this.file}: ${(e as Error).message}`, { cause: e, backend: this.kind });
    }
    if (text === undefined) return { secrets: new Map(), kdf: undefined };
    const envelope = parseEnvelope(text, this.file);
    const key = await this.#keyFor(envelope.kdf);
    let plain: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'));
      decipher.setAAD(aad(envelope.kdf));
      decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
      plain = Buffer.concat([decipher.update(Buffer.from(envelope.data, 'base64')), decipher.final()]).toString('utf8');
    } catch (e) {
      throw this.#corrupt(`cannot decrypt it with ${this.keySource}: wrong key, or the file was altered`, e);
    }
    let body: unknown;
    try {
      body = JSON.parse(plain);
    } catch (e) {
      throw this.#corrupt('it decrypts but does not hold JSON', e);
    }
    const secrets = new Map<string, string>();
    const entries = (body as { secrets?: unknown } | null)?.secrets;
    if (!entries || typeof entries !== 'object' || Array.isArray(entries)) throw this.#corrupt('it decrypts but has no "secrets" object');
    for (const [k, v] of Object.entries(entries)) {
      if (typeof v !== 'string') throw this.#corrupt(`secret "${k}" is not a string`);
      secrets.set(k, v);
    }
    return { secrets, kdf: envelope.kdf };
  }

  async #save(secrets: Map<string, string>, previous: Kdf | undefined): Promise<void> {
    let kdf: Kdf;
    if (this.#given && 'passphrase' in this.#given) {
      // Keep the salt the file already has, so the derived key stays cached and valid.
      kdf = previous?.name === 'scrypt' ? previous : { name: 'scrypt', salt: randomBytes(16).toString('base64'), ...SCRYPT };
    } else {
      kdf = { name: 'none' };
    }
    const key = await this.#keyFor(kdf, { create: true });
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad(kdf));
    const plain = JSON.stringify({ secrets: Object.fromEntries([...secrets].sort(([a], [b]) => (a < b ? -1 : 1))) });
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const envelope: Envelope = {
      format: FORMAT, version: 1, cipher: 'aes-256-gcm', kdf,
      iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64'),
    };
    try {
      await writeFileAtomic(this.file, JSON.stringify(envelope, null, 2) + '\n', { mode: 0o600 });
    } catch (e) {
      throw new SecretStoreError('io', `cannot write ${this.file}: ${(e as Error).message}`, { cause: e, backend: this.kind });
    }
  }

  /** The AES key for a file written with `kdf`; `create` makes the key file when it is missing. */
  async #keyFor(kdf: Kdf, { create = false } = {}): Promise<Buffer> {
    const given = this.#given;
    if (kdf.name === 'scrypt') {
      if (!given || !('passphrase' in given)) {
        throw this.#corrupt(`it was written with a passphrase in MCP_PUBLISH_SECRET_KEY, but ${given ? 'that variable now holds a raw key' : 'the variable is not set'}`);
      }
      const id = `${kdf.salt}:${kdf.N}:${kdf.r}:${kdf.p}`;
      let derived = this.#derived.get(id);
      if (!derived) {
        derived = deriveKey(given.passphrase, Buffer.from(kdf.salt, 'base64'), { N: kdf.N, r: kdf.r, p: kdf.p });
        this.#derived.set(id, derived);
      }
      return derived;
    }
    if (given && 'passphrase' in given) throw this.#corrupt('it was written with a raw key (a key file or a 32-byte MCP_PUBLISH_SECRET_KEY), but MCP_PUBLISH_SECRET_KEY now holds a passphrase');
    if (given) return given.raw;
    return (this.#fileKey ??= await this.#readOrCreateKeyFile(create));
  }

  async #readOrCreateKeyFile(create: boolean): Promise<Buffer> {
    let text: string | undefined;
    try {
      text = await readFileIfExists(this.keyFile);
    } catch (e) {
      throw new SecretStoreError('io', `cannot read key file ${this.keyFile}: ${(e as Error).message}`, { cause: e, backend: this.kind });
    }
    if (text === undefined) {
      if (!create) throw this.#corrupt(`its key file ${this.keyFile} is missing (restore it, or set MCP_PUBLISH_SECRET_KEY to the key it was written with)`);
      return this.#createKeyFile();
    }
    const parsed = parseSecretKey(text.trim());
    if (!('raw' in parsed)) throw new SecretStoreError('corrupt', `key file ${this.keyFile} does not hold a 32-byte key (base64 or hex); it was left untouched`, { backend: this.kind });
    if (process.platform !== 'win32') {
      const mode = (await fs.stat(this.keyFile)).mode & 0o777;
      if (mode & 0o077) this.#logger?.warn({ keyFile: this.keyFile, mode: mode.toString(8) }, 'secrets key file is readable by other users; run chmod 600 on it');
    }
    return parsed.raw;
  }

  /** Creates the key file without ever replacing one: written aside, then hard-linked into place. */
  async #createKeyFile(): Promise<Buffer> {
    const key = randomBytes(32);
    const tmp = `${this.keyFile}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await fs.mkdir(path.dirname(this.keyFile), { recursive: true, mode: 0o700 });
      const handle = await fs.open(tmp, 'wx', 0o600);
      try {
        await handle.writeFile(key.toString('base64') + '\n');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.link(tmp, this.keyFile);
    } catch (e) {
      // Another process created it first: use theirs.
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return this.#readOrCreateKeyFile(false);
      throw new SecretStoreError('io', `cannot create key file ${this.keyFile}: ${(e as Error).message}`, { cause: e, backend: this.kind });
    } finally {
      await fs.rm(tmp, { force: true });
    }
    this.#logger?.info({ keyFile: this.keyFile }, 'created a new key file for the encrypted secrets file');
    return key;
  }

  #corrupt(reason: string, cause?: unknown): SecretStoreError {
    return new SecretStoreError('corrupt', `cannot use secrets file ${this.file}: ${reason}. It was left untouched.`, { cause, backend: this.kind });
  }
}

/** 64 hex digits or base64 of 32 bytes are a raw key; anything else is a passphrase. */
export function parseSecretKey(value: string): { raw: Buffer } | { passphrase: string } {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return { raw: Buffer.from(value, 'hex') };
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const raw = Buffer.from(value, 'base64');
    if (raw.length === 32) return { raw };
  }
  return { passphrase: value };
}

/** The header fields the tag also covers, so a swapped kdf or format is detected, not misread. */
function aad(kdf: Kdf): Buffer {
  const k = kdf.name === 'scrypt' ? [kdf.name, kdf.salt, kdf.N, kdf.r, kdf.p] : [kdf.name];
  return Buffer.from(JSON.stringify([FORMAT, 1, 'aes-256-gcm', ...k]));
}

function parseEnvelope(text: string, file: string): Envelope {
  const corrupt = (reason: string, cause?: unknown) =>
    new SecretStoreError('corrupt', `cannot use secrets file ${file}: ${reason}. It was left untouched.`, { cause, backend: 'encrypted-file' });
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw corrupt('it is not JSON', e);
  }
  const o = v as Partial<Envelope> | null;
  if (!o || typeof o !== 'object' || o.format !== FORMAT) throw corrupt(`it is not an MCP Publish secrets file (no "format": "${FORMAT}")`);
  if (o.version !== 1 || o.cipher !== 'aes-256-gcm') throw corrupt(`unsupported version ${String(o.version)} / cipher ${String(o.cipher)}; a newer MCP Publish may have written it`);
  const kdf = o.kdf as { name?: unknown; salt?: unknown; N?: unknown; r?: unknown; p?: unknown } | undefined;
  const kdfOk = kdf?.name === 'none' || (kdf?.name === 'scrypt' && typeof kdf.salt === 'string'
    && [kdf.N, kdf.r, kdf.p].every((n) => Number.isSafeInteger(n) && (n as number) > 0) && (kdf.N as number) <= 2 ** 20);
  if (!kdfOk) throw corrupt('its "kdf" field is missing or invalid');
  for (const f of ['iv', 'tag', 'data'] as const) if (typeof o[f] !== 'string') throw corrupt(`its "${f}" field is missing`);
  if (Buffer.from(o.iv!, 'base64').length !== 12 || Buffer.from(o.tag!, 'base64').length !== 16) throw corrupt('its IV or tag has the wrong length');
  return o as Envelope;
}

function deriveKey(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r * params.p };
  return new Promise((resolve, reject) =>
    scrypt(passphrase.normalize('NFC'), salt, 32, options, (err, key) => (err ? reject(new SecretStoreError('io', `scrypt failed: ${err.message}`, { cause: err, backend: 'encrypted-file' })) : resolve(key))),
  );
}
