// The state store acknowledges a change only once it is on disk (STYLE 16): a put resolves after
// the state file holding it was written, however many puts run at once, and a failed write
// refuses the puts it held instead of letting their answers go out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openStateStore, StateStoreError } from '../../src/state/state-store.ts';
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
