// The state store on PostgreSQL (`state.url`), shared by every replica of a team's gateway: one
// table of entries (migrations/001_state.sql), each write one transaction acknowledged once
// committed, `update` under a row lock, and every change announced to the other replicas with
// LISTEN/NOTIFY so their caches (verified tokens, the user directory) follow within milliseconds.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../logging/logger.ts';
import { StateStoreError, addWatcher, type PutOptions, type StateChange, type StateEntry, type StateStore } from './state-store.ts';
import { migrate, safeUrl } from './pg-migrate.ts';

export interface PgStateStoreOptions {
  /** `postgres://user:password@host:port/database`; the password never reaches a log. */
  url: string;
  /** Clock for expiry, in epoch ms. Default `Date.now`. */
  now?: () => number;
  /** Told of lost notification connections and failed purges. */
  logger?: Logger;
  /** Connections in the pool; default 10. */
  poolSize?: number;
  /** How often expired entries are deleted; default 60 s. */
  purgeEveryMs?: number;
}

const CHANNEL = 'mcp_publish_state';

/** Connects, migrates the schema and starts listening; rejects with `io` when the database cannot be used. */
export async function openPgStateStore(options: PgStateStoreOptions): Promise<PgStateStore> {
  const store = new PgStateStore(options);
  try {
    await migrate(store.pool);
    await store.listen();
  } catch (e) {
    await store.close().catch(() => undefined);
    throw new StateStoreError('io', `cannot open the PostgreSQL state at ${safeUrl(options.url)}: ${(e as Error).message}`, { cause: e });
  }
  return store;
}

export class PgStateStore implements StateStore {
  readonly pool: pg.Pool;
  /** This store's name on its connections: the notifications it caused carry it, and are skipped. */
  readonly origin = `mcp-publish/${randomBytes(6).toString('hex')}`;
  readonly #options: PgStateStoreOptions;
  readonly #now: () => number;
  readonly #watchers = new Map<string, Set<(id: string, change: StateChange) => void>>();
  readonly #purge: NodeJS.Timeout;
  #listener: pg.Client | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: PgStateStoreOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10, application_name: this.origin });
    // An idle connection that broke is replaced by the pool; without a listener it would crash us.
    this.pool.on('error', (e) => options.logger?.warn({ err: e.message }, 'a PostgreSQL connection broke; it is replaced'));
    this.#purge = setInterval(() => void this.#purgeExpired(), options.purgeEveryMs ?? 60_000).unref();
  }

  async get<T>(collection: string, id: string): Promise<T | undefined> {
    this.#check(collection, id);
    const r = await this.#query<{ value: T }>('SELECT value FROM state_entries WHERE collection = $1 AND id = $2 AND (expires_at IS NULL OR expires_at > $3)', [collection, encodeId(id), this.#now()]);
    return r.rows[0]?.value;
  }

  async put<T>(collection: string, id: string, value: T, options: PutOptions = {}): Promise<void> {
    this.#check(collection, id);
    const json = toJson(collection, id, value);
    const expiresAt = toExpiry(collection, id, options.expiresAt);
    // A replaced value moves to the end, like a new one (the file store's order).
    await this.#query(
      `INSERT INTO state_entries (collection, id, value, expires_at) VALUES ($1, $2, $3::json, $4)
       ON CONFLICT (collection, id) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at, seq = DEFAULT`,
      [collection, encodeId(id), json, expiresAt ?? null],
    );
  }

  async add<T>(collection: string, id: string, value: T, options: PutOptions = {}): Promise<boolean> {
    this.#check(collection, id);
    const json = toJson(collection, id, value);
    const expiresAt = toExpiry(collection, id, options.expiresAt);
    // A concurrent insert of the same key waits for the first to commit, then meets the conflict;
    // only an expired row is replaced.
    const r = await this.#query(
      `INSERT INTO state_entries (collection, id, value, expires_at) VALUES ($1, $2, $3::json, $4)
       ON CONFLICT (collection, id) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at, seq = DEFAULT
       WHERE state_entries.expires_at IS NOT NULL AND state_entries.expires_at <= $5`,
      [collection, encodeId(id), json, expiresAt ?? null, this.#now()],
    );
    return r.rowCount === 1;
  }

  async delete(collection: string, id: string): Promise<boolean> {
    this.#check(collection, id);
    const r = await this.#query('DELETE FROM state_entries WHERE collection = $1 AND id = $2 AND (expires_at IS NULL OR expires_at > $3)', [collection, encodeId(id), this.#now()]);
    if (!r.rowCount) return false;
    this.#tell(collection, id, { kind: 'deleted', remote: false });
    return true;
  }

  async update<T>(collection: string, id: string, change: (current: T) => T | undefined): Promise<T | undefined> {
    this.#check(collection, id);
    const client = await this.#connect();
    try {
      await client.query('BEGIN');
      // FOR UPDATE: a second replica's update of this entry waits here until we commit, then reads our value.
      const r = await client.query<{ value: T }>('SELECT value FROM state_entries WHERE collection = $1 AND id = $2 AND (expires_at IS NULL OR expires_at > $3) FOR UPDATE', [collection, encodeId(id), this.#now()]);
      const current = r.rows[0];
      const next = current ? change(current.value) : undefined;
      if (next === undefined) {
        await client.query('ROLLBACK');
        return undefined;
      }
      await client.query('UPDATE state_entries SET value = $3::json, seq = DEFAULT WHERE collection = $1 AND id = $2', [collection, encodeId(id), toJson(collection, id, next)]);
      await client.query('COMMIT');
      return JSON.parse(JSON.stringify(next)) as T;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e instanceof StateStoreError ? e : this.#io(e);
    } finally {
      client.release();
    }
  }

  watch(collection: string, listener: (id: string, change: StateChange) => void): () => void {
    return addWatcher(this.#watchers, collection, listener);
  }

  async list<T>(collection: string): Promise<StateEntry<T>[]> {
    return this.find<T>(collection, () => true);
  }

  async find<T>(collection: string, predicate: (value: T, id: string) => boolean): Promise<StateEntry<T>[]> {
    this.#check(collection);
    const r = await this.#query<{ id: string; value: T; expires_at: string | null }>(
      'SELECT id, value, expires_at FROM state_entries WHERE collection = $1 AND (expires_at IS NULL OR expires_at > $2) ORDER BY seq', [collection, this.#now()]);
    const out: StateEntry<T>[] = [];
    for (const row of r.rows) {
      const id = decodeId(row.id);
      if (!predicate(row.value, id)) continue;
      out.push(row.expires_at === null ? { id, value: row.value } : { id, value: row.value, expiresAt: Number(row.expires_at) });
    }
    return out;
  }

  /** Every change was acknowledged only once committed: nothing is left to wait for. */
  async flush(): Promise<void> {
    if (this.#closed) throw new StateStoreError('closed', 'the state store is closed');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#purge);
    clearTimeout(this.#retry);
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.pool.end();
  }

  /** Opens the connection that hears the other replicas' changes (and opens it again if it breaks). */
  async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#options.url, application_name: `${this.origin}/listen` });
    const lost = (e?: Error) => {
      if (this.#closed || this.#listener !== client) return;
      this.#listener = undefined;
      client.end().catch(() => undefined);
      // Changes made while it is down are not heard: caches may hold them until their tokens expire.
      this.#options.logger?.warn({ err: e?.message }, 'lost the PostgreSQL notification connection; reconnecting in 1 s');
      this.#retry = setTimeout(() => void this.listen().catch((err: Error) => lost(err)), 1000).unref();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (n) => this.#heard(n.payload));
    this.#listener = client;
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
  }

  #heard(payload: string | undefined): void {
    let n: { c?: unknown; i?: unknown; k?: unknown; o?: unknown };
    try { n = JSON.parse(payload ?? '') as typeof n; } catch { return; }
    if (n.o === this.origin || typeof n.c !== 'string' || typeof n.i !== 'string') return;
    this.#tell(n.c, decodeId(n.i), { kind: n.k === 'deleted' ? 'deleted' : 'changed', remote: true });
  }

  #tell(collection: string, id: string, change: StateChange): void {
    for (const listener of this.#watchers.get(collection) ?? []) {
      try {
        listener(id, change);
      } catch (e) {
        this.#options.logger?.error({ err: (e as Error).message, collection }, 'a state watcher threw');
      }
    }
  }

  async #purgeExpired(): Promise<void> {
    if (this.#closed) return;
    const client = await this.pool.connect().catch(() => undefined);
    if (!client) return;
    try {
      await client.query('BEGIN');
      // Expiry is not a deletion: the trigger stays quiet for this transaction.
      await client.query("SET LOCAL mcp_publish.purge = 'on'");
      await client.query('DELETE FROM state_entries WHERE expires_at <= $1', [this.#now()]);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      this.#options.logger?.warn({ err: (e as Error).message }, 'could not purge expired state entries; trying again later');
    } finally {
      client.release();
    }
  }

  async #query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (e) {
      throw this.#closed ? new StateStoreError('closed', 'the state store is closed') : this.#io(e);
    }
  }

  async #connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (e) {
      throw this.#closed ? new StateStoreError('closed', 'the state store is closed') : this.#io(e);
    }
  }

  #io(e: unknown): StateStoreError {
    return new StateStoreError('io', `PostgreSQL state at ${safeUrl(this.#options.url)}: ${(e as Error).message}`, { cause: e });
  }

  #check(collection: string, id?: string): void {
    if (this.#closed) throw new StateStoreError('closed', 'the state store is closed');
    if (typeof collection !== 'string' || collection === '') throw new StateStoreError('invalid_value', 'a collection name must be a non-empty string');
    if (id !== undefined && (typeof id !== 'string' || id === '')) throw new StateStoreError('invalid_value', `${collection}: an id must be a non-empty string`);
  }
}

/** PostgreSQL text cannot hold NUL (our consent keys join ids with one): `%` and NUL are %-escaped. */
const encodeId = (id: string) => id.replace(/%/g, '%25').replace(/\0/g, '%00');
const decodeId = (id: string) => id.replace(/%(25|00)/g, (_m, c: string) => (c === '25' ? '%' : '\0'));

function toJson(collection: string, id: string, value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (e) {
    throw new StateStoreError('invalid_value', `${collection}/${id}: value cannot be stored as JSON: ${(e as Error).message}`, { cause: e });
  }
  if (json === undefined) throw new StateStoreError('invalid_value', `${collection}/${id}: value cannot be stored as JSON (${typeof value})`);
  return json;
}

function toExpiry(collection: string, id: string, at: number | Date | undefined): number | undefined {
  if (at === undefined) return undefined;
  const ms = at instanceof Date ? at.getTime() : at;
  if (!Number.isFinite(ms)) throw new StateStoreError('invalid_value', `${collection}/${id}: expiresAt must be a finite epoch-ms number or a valid Date`);
  return Math.round(ms);
}
