// The layers stay honest (STYLE 14): the core never imports electron, the renderer never
// imports the core at run time, and no file in src/ grows past a size that wants splitting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/gateway.ts';

function files(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  return fs.readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|tsx|js|mjs)$/.test(f))
    .map((f) => path.join(abs, f));
}

test('nothing under src/ imports electron', () => {
  const offenders = files('src').filter((f) => /from ['"]electron['"]|require\(['"]electron['"]\)|import\(['"]electron['"]\)/.test(fs.readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
  assert.ok(files('src').length > 20, 'the check looked at the sources');
});

test('nothing under renderer/ imports src/ at run time (type-only imports are fine)', { skip: fs.existsSync(path.join(ROOT, 'renderer')) ? false : 'skipped: renderer/ does not exist yet (desktop issue)' }, () => {
  const offenders = files('renderer').filter((f) => {
    const text = fs.readFileSync(f, 'utf8');
    return /^import\s+(?!type\b)[^;]*from\s+['"][./]*\/?src\//m.test(text);
  });
  assert.deepEqual(offenders, []);
});

test('every file under src/ opens with a comment saying what it owns', () => {
  const bare = files('src').filter((f) => !fs.readFileSync(f, 'utf8').startsWith('//'));
  assert.deepEqual(bare.map((f) => path.relative(ROOT, f)), []);
});

test('no file under src/ grows past ~300 lines (STYLE 6: a file is one thing)', () => {
  const MAX = 330;
  const big = files('src').map((f) => [path.relative(ROOT, f), fs.readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > MAX);
  assert.deepEqual(big.map(([f, n]) => `${f}: ${n} lines`), []);
});
