// Persisted state (DESIGN §2 `state/`): users, clients, grants, refresh-token families and
// approvals, kept as collections of JSON values with optional expiry, in one atomically written
// file or only in memory for tests. A change resolves once it is on disk (group-commit.ts).
import type { Logger } from '../logging/logger.ts';
import { readFileIfExists, writeFileAtomic } from '../config/atomic-file.ts';
import { GroupCommit } from './group-commit.ts';

/** One stored value with its id. */
export interface StateEntry<T> {
  id: string;
  value: T;
  /** Epoch milliseconds after which the entry is gone; absent for entries that do not expire. */
  expiresAt?: number;
}

/** What happened to a watched entry, and whether another process sharing the store did it. */
export interface StateChange {
  kind: 'deleted' | 'changed';
  remote: boolean;
}

export interface PutOptions {
  /** When the entry stops existing (epoch ms or Date). From then on it is invisible and purged. */
  expiresAt?: number | Date;
}

/**
 * Collections of JSON values by id. Values go in and come out as JSON would carry them (a `Date`
 * comes back as a string); each read returns a fresh copy, so mutating it changes nothing stored.
 */
export interface StateStore {
  /** The value under `id`, or `undefined` when there is none or it has expired. */
  get<T>(collection: string, id: string): Promise<T | undefined>;

  /**
   * Creates or replaces a value. Visible to reads at once; resolves only once it is on disk (the
   * file and its folder fsynced), so whatever answer hands it out may be sent then (STYLE 16).
   * Concurrent changes share one write. Rejects with `invalid_value` when the value cannot be
   * represented as JSON, and with `io` when the write failed (the change stays in memory and is
   * written with the next one).
   */
  put<T>(collection: string, id: string, value: T, options?: PutOptions): Promise<void>;

  /**
   * Creates a value only where there is no live one, atomically: of several adds at once (by this
   * process or replicas sharing the store) exactly one resolves `true`. Durable as `put`. What
   * makes a first-start record (the owner's account) exist once, whichever replica starts first.
   */
  add<T>(collection: string, id: string, value: T, options?: PutOptions): Promise<boolean>;

  /**
   * Removes a value. Resolves `true` if a live value was there, `false` otherwise, once the
   * removal is on disk (as `put`).
   */
  delete(collection: string, id: string): Promise<boolean>;

  /** Every live entry of a collection, in insertion order. */
  list<T>(collection: string): Promise<StateEntry<T>[]>;

  /**
   * Replaces a live value with `change(current)`, atomically: no other change to this entry, by
   * this process or another sharing the store (a replica), comes between the read and the write.
   * `change` returns `undefined` to leave it as it is. Resolves with the value written, or
   * `undefined` when there was no live entry or nothing changed; durable as `put`. Keeps the
   * expiry. What makes single use exact (a refresh token consumed once, whichever replica asks).
   */
  update<T>(collection: string, id: string, change: (current: T) => T | undefined): Promise<T | undefined>;

  /**
   * Calls `listener` with the id of each entry of `collection` deleted from now on (not those
   * that expire), as soon as reads stop seeing it, and of each entry another process sharing the
   * store (a replica) created or replaced (`changed`, always `remote`): this process knows its
   * own. Returns a function that stops listening. Caches of derived facts (a verified token's
   * grant, the user directory) drop or reload what a change made untrue.
   */
  watch(collection: string, listener: (id: string, change: StateChange) => void): () => void;

  /** The live entries of a collection for which `predicate` returns true, in insertion order. */
  find<T>(collection: string, predicate: (value: T, id: string) => boolean): Promise<StateEntry<T>[]>;

  /** Resolves once every change made so far is on disk; rejects with `io` if writing failed. */
  flush(): Promise<void>;

  /** Flushes, then refuses further use with `closed`. Calling it again does nothing. */
  close(): Promise<void>;
}

/**
 * - `corrupt`: the state file is not JSON, not in our format, or from a newer version; it is left
 *   untouched and the store does not open.
 * - `io`: the file could not be read or written.
 * - `closed`: the store was used after `close()`.
 * - `invalid_value`: a value or argument that cannot be stored (not JSON, empty id, bad expiry).
 */
export const STATE_STORE_ERROR_CODES = ['corrupt', 'io', 'closed', 'invalid_value'] as const;
export type StateStoreErrorCode = (typeof STATE_STORE_ERROR_CODES)[number];

export class StateStoreError extends Error {
  readonly code: StateStoreErrorCode;
  /** The state file concerned; undefined for the in-memory store. */
  readonly file: string | undefined;
  constructor(code: StateStoreErrorCode, message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StateStoreError';
    this.code = code;
    this.file = options.file;
  }
}

export interface StateStoreOptions {
  /** The state file (`AppPaths.state`); omit for a store that lives only in memory. */
  file?: string;
  /** Clock for expiry, in epoch ms. Default `Date.now`. */
  now?: () => number;
  /** Told when a write fails (the changes it held were refused; the next change writes them again). */
  logger?: Logger;
}

interface StoredEntry {
  value: unknown;
  expiresAt?: number;
}

/** Opens the store, reading the file if there is one. A broken file is refused, never replaced. */
export async function openStateStore(options: StateStoreOptions = {}): Promise<StateStore> {
  const collections = options.file ? await readStateFile(options.file) : new Map<string, Map<string, StoredEntry>>();
  return new JsonStateStore(collections, options);
}

const FILE_VERSION = 1;

class JsonStateStore implements StateStore {
  readonly #collections: Map<string, Map<string, StoredEntry>>;
  readonly #file: string | undefined;
  readonly #now: () => number;
  /** Absent for the in-memory store. */
  readonly #commits: GroupCommit | undefined;
  readonly #watchers = new Map<string, Set<(id: string, change: StateChange) => void>>();
  #closed = false;

  constructor(collections: Map<string, Map<string, StoredEntry>>, options: StateStoreOptions) {
    this.#collections = collections;
    this.#file = options.file;
    this.#now = options.now ?? Date.now;
    const file = options.file;
    if (file) this.#commits = new GroupCommit(() => this.#writeFile(file), options.logger);
    // Entries that expired while we were not running go with the next write.
    for (const [name, entries] of collections) for (const id of entries.keys()) this.#live(name, id);
  }

  async get<T>(collection: string, id: string): Promise<T | undefined> {
    this.#check(collection, id);
    const entry = this.#live(collection, id);
    return entry ? (structuredClone(entry.value) as T) : undefined;
  }

  async put<T>(collection: string, id: string, value: T, options: PutOptions = {}): Promise<void> {
    this.#check(collection, id);
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (e) {
      throw new StateStoreError('invalid_value', `${collection}/${id}: value cannot be stored as JSON: ${(e as Error).message}`, { cause: e });
    }
    if (json === undefined) throw new StateStoreError('invalid_value', `${collection}/${id}: value cannot be stored as JSON (${typeof value})`);
    const entry: StoredEntry = { value: JSON.parse(json) };
    if (options.expiresAt !== undefined) {
      const at = options.expiresAt instanceof Date ? options.expiresAt.getTime() : options.expiresAt;
      if (!Number.isFinite(at)) throw new StateStoreError('invalid_value', `${collection}/${id}: expiresAt must be a finite epoch-ms number or a valid Date`);
      entry.expiresAt = at;
    }
    let entries = this.#collections.get(collection);
    if (!entries) this.#collections.set(collection, (entries = new Map()));
    entries.delete(id); // a replaced value moves to the end, like a new one
    entries.set(id, entry);
    await this.#commits?.commit();
  }

  async add<T>(collection: string, id: string, value: T, options: PutOptions = {}): Promise<boolean> {
    this.#check(collection, id);
    // One process owns this store, and `put` changes memory before it awaits: atomic as it is.
    if (this.#live(collection, id)) return false;
    await this.put(collection, id, value, options);
    return true;
  }

  async delete(collection: string, id: string): Promise<boolean> {
    this.#check(collection, id);
    const live = this.#live(collection, id);
    if (!live) return false;
    this.#collections.get(collection)!.delete(id);
    for (const listener of this.#watchers.get(collection) ?? []) listener(id, { kind: 'deleted', remote: false });
    await this.#commits?.commit();
    return true;
  }

  async update<T>(collection: string, id: string, change: (current: T) => T | undefined): Promise<T | undefined> {
    this.#check(collection, id);
    // One process owns this store, and nothing below awaits before the write: atomic as it is.
    const entry = this.#live(collection, id);
    if (!entry) return undefined;
    const next = change(structuredClone(entry.value) as T);
    if (next === undefined) return undefined;
    await this.put(collection, id, next, entry.expiresAt === undefined ? {} : { expiresAt: entry.expiresAt });
    return structuredClone(next);
  }

  watch(collection: string, listener: (id: string, change: StateChange) => void): () => void {
    return addWatcher(this.#watchers, collection, listener);
  }

  async list<T>(collection: string): Promise<StateEntry<T>[]> {
    return this.find<T>(collection, () => true);
  }

  async find<T>(collection: string, predicate: (value: T, id: string) => boolean): Promise<StateEntry<T>[]> {
    this.#check(collection);
    const out: StateEntry<T>[] = [];
    for (const id of [...(this.#collections.get(collection)?.keys() ?? [])]) {
      const entry = this.#live(collection, id);
      if (!entry) continue;
      const value = structuredClone(entry.value) as T;
      if (!predicate(value, id)) continue;
      out.push(entry.expiresAt === undefined ? { id, value } : { id, value, expiresAt: entry.expiresAt });
    }
    return out;
  }

  async flush(): Promise<void> {
    await this.#commits?.settled();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
  }

  #check(collection: string, id?: string): void {
    if (this.#closed) throw new StateStoreError('closed', 'the state store is closed', { file: this.#file });
    if (typeof collection !== 'string' || collection === '') throw new StateStoreError('invalid_value', 'a collection name must be a non-empty string');
    if (id !== undefined && (typeof id !== 'string' || id === '')) throw new StateStoreError('invalid_value', `${collection}: an id must be a non-empty string`);
  }

  /** The entry if it exists and has not expired; an expired one is purged on the way. */
  #live(collection: string, id: string): StoredEntry | undefined {
    const entries = this.#collections.get(collection);
    const entry = entries?.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= this.#now()) {
      entries!.delete(id);
      if (entries!.size === 0) this.#collections.delete(collection);
      this.#commits?.touch();
      return undefined;
    }
    return entry;
  }

  /** Writes a snapshot taken now (synchronously: what the group commit counted is in it). */
  #writeFile(file: string): Promise<void> {
    const text = this.#serialize();
    return writeFileAtomic(file, text, { mode: 0o600, backup: true }).catch((e: unknown) => {
      throw new StateStoreError('io', `cannot write state file ${file}: ${(e as Error).message}`, { file, cause: e });
    });
  }

  #serialize(): string {
    const now = this.#now();
    const collections: Record<string, Record<string, StoredEntry>> = {};
    for (const [name, entries] of this.#collections) {
      const out: Record<string, StoredEntry> = {};
      for (const [id, entry] of entries) if (entry.expiresAt === undefined || entry.expiresAt > now) out[id] = entry;
      if (Object.keys(out).length > 0) collections[name] = out;
    }
    return JSON.stringify({ version: FILE_VERSION, collections }, null, 2) + '\n';
  }
}

/** Reads and checks the state file; a missing file is empty state. */
async function readStateFile(file: string): Promise<Map<string, Map<string, StoredEntry>>> {
  const refuse = (reason: string, cause?: unknown) =>
    new StateStoreError('corrupt', `state file ${file} ${reason}. It was left untouched: fix it, or move it away to start with empty state (the previous version may be in ${file}.bak).`, { file, cause });
  let text: string | undefined;
  try {
    text = await readFileIfExists(file);
  } catch (e) {
    throw new StateStoreError('io', `cannot read state file ${file}: ${(e as Error).message}`, { file, cause: e });
  }
  const collections = new Map<string, Map<string, StoredEntry>>();
  if (text === undefined) return collections;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw refuse(`is not valid JSON (${(e as Error).message})`, e);
  }
  if (!isObject(doc) || typeof doc.version !== 'number') throw refuse('is not an MCP Publish state file (no "version")');
  if (doc.version > FILE_VERSION) throw refuse(`has version ${doc.version}, written by a newer MCP Publish`);
  if (doc.version !== FILE_VERSION || !isObject(doc.collections)) throw refuse('has no "collections" object');
  for (const [name, entries] of Object.entries(doc.collections)) {
    if (!isObject(entries)) throw refuse(`has a collection "${name}" that is not an object`);
    const map = new Map<string, StoredEntry>();
    for (const [id, entry] of Object.entries(entries)) {
      if (!isObject(entry) || !('value' in entry)) throw refuse(`has an entry ${name}/${id} without a "value"`);
      if (entry.expiresAt !== undefined && !Number.isFinite(entry.expiresAt)) throw refuse(`has an entry ${name}/${id} with an invalid "expiresAt"`);
      map.set(id, entry.expiresAt === undefined ? { value: entry.value } : { value: entry.value, expiresAt: entry.expiresAt as number });
    }
    collections.set(name, map);
  }
  return collections;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Adds `listener` to a store's watchers of `collection`; returns the function that removes it. */
export function addWatcher(watchers: Map<string, Set<(id: string, change: StateChange) => void>>, collection: string, listener: (id: string, change: StateChange) => void): () => void {
  let set = watchers.get(collection);
  if (!set) watchers.set(collection, (set = new Set()));
  set.add(listener);
  return () => { set.delete(listener); };
}
