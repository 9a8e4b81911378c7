// PostgreSQL schema migrations: the numbered SQL files in ./migrations, each applied once, in
// order, inside one transaction, recorded in `schema_migrations`. An advisory lock makes
// replicas that start together take turns; a database migrated by a newer version is refused.
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const FOLDER = fileURLToPath(new URL('./migrations/', import.meta.url));
/** Arbitrary, fixed: the advisory lock every replica takes while it migrates. */
const MIGRATION_LOCK = 7_415_031_515;

export interface Migration { version: number; name: string; sql: string }

/** The migrations shipped with this version, by number (`001_state.sql` is version 1). */
export async function shippedMigrations(): Promise<Migration[]> {
  const out: Migration[] = [];
  for (const file of (await fs.readdir(FOLDER)).sort()) {
    const m = /^(\d+)_([\w-]+)\.sql$/.exec(file);
    if (!m) continue;
    out.push({ version: Number(m[1]), name: m[2]!, sql: await fs.readFile(FOLDER + file, 'utf8') });
  }
  return out;
}

/** Brings the database up to this version's schema; resolves with the versions it applied. */
export async function migrate(pool: pg.Pool): Promise<number[]> {
  const migrations = await shippedMigrations();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const newest = Math.max(0, ...migrations.map((m) => m.version));
    const unknown = [...applied].filter((v) => v > newest);
    if (unknown.length) throw new Error(`the database has schema version ${Math.max(...unknown)}, written by a newer MCP Publish (this one knows up to ${newest})`);
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      done.push(m.version);
    }
    await client.query('COMMIT');
    return done;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

/** The URL without its password, for logs and messages. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
