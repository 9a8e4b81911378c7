// Stories of the Activity page (issue 12 #8), in headless Chromium: calls are kept in the
// app-data folder, so they are still there after a reload and after the core restarts; a failed
// call says why; the owner filters by person, server and result. Arguments are never kept.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { fixture, text } from '../support/gateway.ts';
import { chromiumMissing, launchChromium, type TestBrowser } from '../support/chromium.ts';
import { buildUi, go, openSettings, screenshot, startUiWorld, type UiWorld } from '../support/ui.ts';
import { openStateStore, type StateStore } from '../../src/state/state-store.ts';
import { MemorySecretStore } from '../../src/secrets/memory-store.ts';

const ANA = { login: { email: 'ana@example.com', password: 'ana-password-1' } };
const BOB = { login: { email: 'bob@example.com', password: 'bob-password-1' } };
const skip = chromiumMissing();
const SERVERS = { slow: fixture('slow-server', { title: 'Echo and friends' }), other: fixture('slow-server') };

let tmp: string;
let uiDir: string;
let browser: TestBrowser;
let state: StateStore;
const secrets = new MemorySecretStore();
let world: UiWorld | undefined;
let page: Page;

const start = () => startUiWorld(uiDir, SERVERS, { state, secrets, access: { allow: { emails: ['ana@example.com', 'bob@example.com'] } } }, { dataDir: tmp });
const rows = () => page.locator('table.activity tbody tr');

/** Waits until the table shows `n` rows. */
async function rowCount(n: number): Promise<void> {
  for (let i = 0; i < 100 && (await rows().count()) !== n; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await rows().count(), n);
}

if (skip) {
  test(`activity stories in Chromium (${skip})`, { skip }, () => {});
} else {
  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-activity-'));
    uiDir = await buildUi();
    state = await openStateStore({});
    world = await start();
    await world.gw.addLocalUser('ana@example.com', 'ana-password-1');
    await world.gw.addLocalUser('bob@example.com', 'bob-password-1');
    browser = await launchChromium();
    ({ page } = await browser.newPage(world.url));
    await openSettings(page, world);
  });

  after(async () => {
    await browser?.close();
    await world?.stop();
    await state?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  test('calls are kept across a reload and a restart of the core; a failed call says why; filters by person, server and result', async () => {
    const { client: ana } = await world!.gw.connect('slow', ANA);
    assert.equal(text(await ana.callTool({ name: 'echo', arguments: { text: 'secret-argument-value' } })), 'secret-argument-value');
    await ana.callTool({ name: 'no_such_tool', arguments: {} }).catch(() => undefined);
    const { client: bob } = await world!.gw.connect('other', BOB);
    await bob.callTool({ name: 'echo', arguments: { text: 'from bob' } });
    await go(page, 'Activity');
    await rows().nth(2).waitFor();

    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Activity' }).waitFor();
    await rows().nth(2).waitFor();
    const failed = rows().filter({ hasText: 'no_such_tool' });
    assert.match(await failed.innerText(), /Error[\s\S]*(not found|unknown|no_such_tool)/i, 'the error row says why');

    // The core restarts: the calls are still there.
    await world!.stop();
    world = await start();
    await page.getByRole('status').filter({ hasText: 'Reconnected' }).waitFor({ timeout: 20_000 });
    await rows().nth(2).waitFor();
    const kept = (await fs.readdir(path.join(tmp, 'activity'))).join(' ');
    assert.match(kept, /activity\.jsonl/);
    const onDisk = await fs.readFile(path.join(tmp, 'activity', 'activity.jsonl'), 'utf8');
    assert.doesNotMatch(onDisk, /secret-argument-value|from bob/, 'arguments are never kept');

    const filters = page.getByRole('form', { name: 'Filter the calls' });
    await filters.getByLabel('Result').selectOption('error');
    await rowCount(1);
    assert.match(await rows().first().innerText(), /no_such_tool/);
    await screenshot(page, 'activity-failed-calls');
    await filters.getByLabel('Result').selectOption('');
    await filters.getByLabel('Person').selectOption({ label: 'bob@example.com' });
    await rowCount(1);
    assert.match(await rows().first().innerText(), /bob@example\.com\s+other\s+echo/);
    await filters.getByLabel('Person').selectOption('');
    await filters.getByLabel('Server').selectOption('slow');
    await rowCount(2);
    await filters.getByLabel('Server').selectOption('');
  });
}
