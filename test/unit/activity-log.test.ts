// The activity log on disk: rotated by size, bounded in files and age, read newest first with
// filters and a cursor that pages without gaps or repeats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileActivityLog } from '../../src/activity/activity-log.ts';

const call = (i: number, over: Record<string, unknown> = {}) => ({ at: 1_700_000_000_000 + i, server: i % 2 ? 'a' : 'b', user: `u${i % 3}`, session: 's', method: 'tools/call', name: 'echo', ms: 1, ok: i % 5 !== 0, ...over });

test('a log of 300 calls in 16 KiB files keeps at most 3 files, pages newest first without gaps, and filters', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-activity-log-'));
  try {
    const log = new FileActivityLog(dir, () => ({ maxFileKiB: 16, maxFiles: 3, maxAgeDays: 36500 }));
    for (let i = 0; i < 300; i++) log.append(call(i, i % 5 === 0 ? { error: 'x'.repeat(2000) } : {}));
    await log.flush();
    const files = await fs.readdir(dir);
    assert.ok(files.length <= 3, files.join(' '));
    const seen: string[] = [];
    let before: string | undefined;
    do {
      const page = await log.query({ limit: 40, before });
      seen.push(...page.items.map((e) => e.id));
      before = page.next;
    } while (before);
    assert.deepEqual(seen, [...seen].sort().reverse(), 'newest first');
    assert.equal(new Set(seen).size, seen.length, 'no repeats');
    assert.ok(seen.length > 40 && seen.length < 300, `older files were dropped: ${seen.length} kept`);
    const errors = await log.query({ result: 'error', server: 'b', limit: 500 });
    assert.ok(errors.items.every((e) => !e.ok && e.server === 'b' && e.error!.length === 1000), 'filtered; error text cut to 1000');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
