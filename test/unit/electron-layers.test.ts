// The shell stays thin (STYLE 7, 14): every decision lives in a file that does not import
// electron (and so is tested under plain Node); only the files that draw, open or notify do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/gateway.ts';

const SHELL = path.join(ROOT, 'electron');
/** The files that carry decisions out with Electron's API. */
const USES_ELECTRON = ['main.ts', 'notifications.ts', 'preload.ts', 'tray.ts', 'window.ts'];
const IMPORTS_ELECTRON = /from ['"]electron['"]|require\(['"]electron['"]\)|import\(['"]electron['"]\)/;

function sources(): string[] {
  return fs.readdirSync(SHELL).filter((f) => f.endsWith('.ts'));
}

test('only main, tray, window, preload and notifications import electron; the decisions do not', () => {
  const importing = sources().filter((f) => IMPORTS_ELECTRON.test(fs.readFileSync(path.join(SHELL, f), 'utf8'))).sort();
  assert.deepEqual(importing, USES_ELECTRON);
  for (const pure of ['tray-menu.ts', 'lifecycle.ts', 'navigation.ts', 'ipc-events.ts', 'core.ts', 'login-item.ts']) assert.ok(sources().includes(pure), pure);
});

test('the shell reaches the renderer only over HTTP: nothing under electron/ imports renderer/', () => {
  const offenders = sources().filter((f) => /from ['"][./]*renderer\//.test(fs.readFileSync(path.join(SHELL, f), 'utf8')));
  assert.deepEqual(offenders, []);
});

test('every file under electron/ opens with a comment saying what it owns', () => {
  assert.deepEqual(sources().filter((f) => !fs.readFileSync(path.join(SHELL, f), 'utf8').startsWith('//')), []);
});
