// The state store acknowledges a change only once it is on disk (STYLE 16): a put resolves after
// the state file holding it was written, however many puts run at once, and a failed write
// refuses the puts it held instead of letting their answers go out.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openStateStore, StateStoreError, type StateStore } from '../../src/state/state-store.ts';
import { openPgStateStore } from '../../src/state/pg-state-store.ts';
import { shippedMigrations } from '../../src/state/pg-migrate.ts';
import { stateStoreContract } from '../support/state-contract.ts';
import { postgresMissing, startPostgres, type TestPostgres } from '../support/postgres.ts';
import { GroupCommit } from '../../src/state/group-commit.ts';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'mcpp-state-'));
  t.after(() => fsp.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** What the state file holds right now (read synchronously: nothing can run in between). */
function onDisk(file: string): Record<string, Record<string, { value: unknown }>> {
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { collections: Record<string, Record<string, { value: unknown }>> }).collections;
}

test('300 concurrent puts and deletes: each is in the state file at the moment it resolves', async (t) => {
  const file = path.join(await tempDir(t), 'state.json');
  const state = await openStateStore({ file });
  t.after(() => state.close());
  await state.put('tokens', 'old', { n: -1 });
  const missing: string[] = [];
  await Promise.all(Array.from({ length: 300 }, async (_, i) => {
    if (i === 150) {
      await state.delete('tokens', 'old');
      if (onDisk(file).tokens?.old) missing.push('the delete of "old"');
      return;
    }
    // Spread over several turns of the event loop, as requests arrive.
    if (i % 3 === 0) await new Promise((r) => setImmediate(r));
    await state.put('tokens', `t${i}`, { n: i });
    if ((onDisk(file).tokens?.[`t${i}`]?.value as { n?: number } | undefined)?.n !== i) missing.push(`t${i}`);
  }));
  assert.deepEqual(missing, [], 'a put resolved before the file held its change');
});

test('a write that fails refuses the puts it held; the next change writes them all', async (t) => {
  const dir = await tempDir(t);
  const folder = path.join(dir, 'data');
  const file = path.join(folder, 'state.json');
  const state = await openStateStore({ file });
  t.after(() => state.close());
  await state.put('invites', 'first', 1);
  // The folder is replaced by a plain file: nothing can be written there.
  await fsp.rm(folder, { recursive: true });
  await fsp.writeFile(folder, 'not a folder');
  await assert.rejects(state.put('invites', 'second', 2), (e: unknown) => e instanceof StateStoreError && e.code === 'io' && e.file === file);
  await assert.rejects(state.flush(), (e: unknown) => e instanceof StateStoreError && e.code === 'io');

  await fsp.rm(folder);
  await state.put('invites', 'third', 3);
  assert.deepEqual(Object.keys(onDisk(file).invites!), ['first', 'second', 'third']);
});

test('a change made the moment the previous one is acknowledged is written too (no stuck writer)', async () => {
  let writes = 0;
  const commits = new GroupCommit(async () => { writes++; });
  // Chained straight onto the acknowledgement, before the writer has wound down.
  let chained = commits.commit();
  for (let i = 0; i < 20; i++) chained = chained.then(() => commits.commit());
  const stuck = new Promise<string>((resolve) => setTimeout(() => resolve('stuck'), 2000).unref());
  assert.equal(await Promise.race([chained.then(() => 'written'), stuck]), 'written');
  assert.equal(writes, 21);
  await commits.settled();
});

// The contract, against every store.
describe('the StateStore contract: memory', () => {
  stateStoreContract({ open: (o) => openStateStore(o) });
});

describe('the StateStore contract: the state file', () => {
  const files = new Map<StateStore, string>();
  let dir: string;
  before(async () => { dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'mcpp-state-contract-')); });
  after(() => fsp.rm(dir, { recursive: true, force: true }));
  stateStoreContract({
    async open(o) {
      const file = path.join(dir, `${files.size}.json`);
      const s = await openStateStore({ ...o, file });
      files.set(s, file);
      return s;
    },
    reopen: (s) => openStateStore({ file: files.get(s)! }),
  });
});

describe('the StateStore contract: PostgreSQL', { skip: postgresMissing() }, () => {
  let pgServer: TestPostgres;
  const urls = new Map<StateStore, string>();
  before(async () => { pgServer = await startPostgres(); });
  after(() => pgServer?.stop());
  const remember = (s: StateStore, url: string) => { urls.set(s, url); return s; };
  stateStoreContract({
    async open(o) {
      const url = await pgServer.createDatabase();
      return remember(await openPgStateStore({ ...o, url }), url);
    },
    reopen: async (s) => openPgStateStore({ url: urls.get(s)! }),
    replica: async (s) => openPgStateStore({ url: urls.get(s)! }),
  });

  test('the schema is migrated once, by whichever replica comes first, and recorded', async () => {
    const url = await pgServer.createDatabase();
    const stores = await Promise.all([openPgStateStore({ url }), openPgStateStore({ url }), openPgStateStore({ url })]);
    try {
      const rows = (await stores[0]!.pool.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version')).rows;
      assert.deepEqual(rows.map((r) => r.version), (await shippedMigrations()).map((m) => m.version));
      assert.equal(rows[0]!.name, 'state');
    } finally {
      for (const s of stores) await s.close();
    }
  });

  test('a database migrated by a newer version is refused, untouched, with a reason', async () => {
    const url = await pgServer.createDatabase();
    const first = await openPgStateStore({ url });
    await first.pool.query('INSERT INTO schema_migrations (version, name) VALUES (999, $1)', ['future']);
    await first.close();
    await assert.rejects(openPgStateStore({ url }), (e: unknown) => e instanceof StateStoreError && e.code === 'io' && /newer MCP Publish/.test(e.message) && !/password/.test(e.message));
  });
});
