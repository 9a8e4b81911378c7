// The SecretStore of a team's replicas (`state.url`): rows of the `secrets` table
// (migrations/002_secrets.sql), each value encrypted on its own with AES-256-GCM under the key in
// MCP_PUBLISH_SECRET_KEY, which every replica is given and the database never sees. The key
// name is the authenticated data, so a row copied under another name does not decrypt.
import { createCipheriv, createDecipheriv, createHash, randomBytes, scrypt } from 'node:crypto';
import type pg from 'pg';
import { assertSecretKey, assertSecretValue, filterKeys, SecretStoreError, type SecretStore } from './secret-store.ts';
import { parseSecretKey } from './encrypted-file-store.ts';

/** A passphrase is stretched with scrypt and this salt, the same on every replica (the key itself is never stored). */
const PASSPHRASE_SALT = 'mcp-publish/postgres-secrets/v1';

interface Row { iv: Buffer; tag: Buffer; data: Buffer; key_id: string }

export class PostgresSecretStore implements SecretStore {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #key: Promise<Buffer>;

  /**
   * `secretKey` is MCP_PUBLISH_SECRET_KEY: 32 bytes as 64 hex digits or base64 (recommended), or
   * a passphrase. Throws `unavailable` without one: a shared store cannot fall back to a key file.
   */
  constructor(pool: pg.Pool, secretKey: string | undefined) {
    if (!secretKey) throw new SecretStoreError('unavailable', 'secrets in PostgreSQL need MCP_PUBLISH_SECRET_KEY (the same 32-byte key, e.g. `openssl rand -base64 32`, on every replica)', { backend: 'postgres' });
    this.#pool = pool;
    const given = parseSecretKey(secretKey);
    this.#key = 'raw' in given ? Promise.resolve(given.raw) : new Promise((resolve, reject) =>
      scrypt(given.passphrase.normalize('NFC'), PASSPHRASE_SALT, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }, (e, k) => (e ? reject(e) : resolve(k))));
    this.#key.catch(() => undefined);
  }

  async get(key: string): Promise<string | undefined> {
    assertSecretKey(key);
    const r = await this.#query<Row>('SELECT iv, tag, data, key_id FROM secrets WHERE key = $1', [key]);
    return r.rows[0] ? this.#open(key, r.rows[0]) : undefined;
  }

  async set(key: string, value: string): Promise<void> {
    assertSecretKey(key);
    assertSecretValue(value);
    const row = await this.#seal(key, value);
    await this.#query('INSERT INTO secrets (key, iv, tag, data, key_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO UPDATE SET iv = EXCLUDED.iv, tag = EXCLUDED.tag, data = EXCLUDED.data, key_id = EXCLUDED.key_id',
      [key, row.iv, row.tag, row.data, row.key_id]);
  }

  async setIfAbsent(key: string, value: string): Promise<string> {
    assertSecretKey(key);
    assertSecretValue(value);
    const row = await this.#seal(key, value);
    const r = await this.#query('INSERT INTO secrets (key, iv, tag, data, key_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING', [key, row.iv, row.tag, row.data, row.key_id]);
    if (r.rowCount) return value;
    return (await this.get(key)) ?? value;
  }

  async delete(key: string): Promise<boolean> {
    assertSecretKey(key);
    return ((await this.#query('DELETE FROM secrets WHERE key = $1', [key])).rowCount ?? 0) > 0;
  }

  async list(prefix?: string): Promise<string[]> {
    return filterKeys((await this.#query<{ key: string }>('SELECT key FROM secrets', [])).rows.map((r) => r.key), prefix);
  }

  async #seal(name: string, value: string): Promise<Row> {
    const key = await this.#key;
    // NIST SP 800-38D §8.2: a fresh IV for every encryption under one key.
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(name));
    const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return { iv, tag: cipher.getAuthTag(), data, key_id: keyId(key) };
  }

  async #open(name: string, row: Row): Promise<string> {
    const key = await this.#key;
    if (row.key_id !== keyId(key)) {
      throw new SecretStoreError('corrupt', `the secret "${name}" was encrypted with another MCP_PUBLISH_SECRET_KEY (key id ${row.key_id}, this replica has ${keyId(key)}); give every replica the same key`, { backend: 'postgres' });
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, row.iv);
      decipher.setAAD(Buffer.from(name));
      decipher.setAuthTag(row.tag);
      return Buffer.concat([decipher.update(row.data), decipher.final()]).toString('utf8');
    } catch (e) {
      throw new SecretStoreError('corrupt', `the secret "${name}" does not decrypt (damaged, or moved from another key name); it was left untouched`, { cause: e, backend: 'postgres' });
    }
  }

  async #query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(text, values);
    } catch (e) {
      throw new SecretStoreError('io', `PostgreSQL secret store: ${(e as Error).message}`, { cause: e, backend: 'postgres' });
    }
  }
}

/** Names a key without revealing it: the first 8 bytes of a SHA-256 over a label and the key. */
function keyId(key: Buffer): string {
  return createHash('sha256').update('mcp-publish secret key id\0').update(key).digest('hex').slice(0, 16);
}
