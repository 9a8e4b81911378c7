// Stories of the Activity page (issue 12 #8, issue 14), in headless Chromium: calls are kept in
// the app-data folder, so they are still there after a reload and after the core restarts; a
// failed call says why; the owner filters by person, server, tool, result and time, reads
// per-tool statistics with a chart, sees their own actions in the log and downloads it as CSV.
// Arguments are never kept.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { fixture, text } from '../support/gateway.ts';
import { chromiumMissing, launchChromium, type TestBrowser } from '../support/chromium.ts';
import { adminGet, buildUi, go, openSettings, screenshot, startUiWorld, type UiWorld } from '../support/ui.ts';
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
let pageErrors: string[];

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
    ({ page, errors: pageErrors } = await browser.newPage(world.url));
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
    assert.match(await rows().first().innerText(), /bob@example\.com\s+oauth-test-client\s+other\s+echo/);
    await filters.getByLabel('Person').selectOption('');
    await filters.getByLabel('Server').selectOption('slow');
    await rowCount(2);
    await filters.getByLabel('Server').selectOption('');
  });

  test('the owner reads per-tool statistics, narrows by tool and time, sees their own actions, and downloads the log as CSV', async () => {
    const stats = page.getByRole('region', { name: 'Tools' });
    const echo = stats.locator('table.stats tbody tr').filter({ hasText: 'slow' }).filter({ hasText: 'echo' });
    await echo.waitFor();
    assert.match(await echo.innerText(), /slow\s+echo\s+1\s+0\s/, 'one call of echo on slow, no error');
    const failing = stats.locator('table.stats tbody tr').filter({ hasText: 'no_such_tool' });
    assert.match(await failing.innerText(), /slow\s+no_such_tool\s+1\s+1\s/, 'the failed call counts as an error');
    await stats.getByLabel('Period').selectOption('hour');
    await stats.getByRole('img', { name: /^Calls per 5 minutes over the last hour: 3 in all, 1 failed/ }).waitFor();
    await stats.getByRole('img', { name: /^echo: calls per 5 minutes/ }).first().waitFor();
    await screenshot(page, 'activity-stats');

    const filters = page.getByRole('form', { name: 'Filter the calls' });
    await filters.getByLabel('Tool').selectOption('echo');
    await rowCount(2);
    assert.ok((await rows().allInnerTexts()).every((r) => /\becho\b/.test(r)));
    await filters.getByLabel('From').fill('2099-01-01T00:00');
    await page.getByText('Nothing matches').waitFor();
    await filters.getByRole('button', { name: 'Clear filters' }).click();
    await rowCount(3);

    // The owner adds a server and refuses Bob (through the API, as the other pages do).
    const call = (method: string, route: string, body: unknown) => fetch(world!.url + route, { method, headers: { authorization: `Bearer ${world!.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await call('PUT', '/api/servers/fresh', fixture('slow-server'))).status, 200);
    const bob = (await adminGet<{ id: string; email?: string }[]>(world!, '/api/users')).find((u) => u.email === 'bob@example.com')!;
    assert.equal((await call('POST', `/api/users/${bob.id}/action`, { action: 'deny' })).status, 200);
    await filters.getByLabel('Show').selectOption('owner');
    await rowCount(2);
    assert.match(await rows().nth(0).innerText(), /You[\s\S]*Refused bob@example\.com[\s\S]*Owner action/);
    assert.match(await rows().nth(1).innerText(), /You\s+fresh\s+Added the server fresh/);
    await screenshot(page, 'activity-owner-actions');
    await filters.getByLabel('Show').selectOption('');
    await rowCount(5);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    assert.match(download.suggestedFilename(), /^mcp-publish-activity-\d{4}-\d\d-\d\d\.csv$/);
    const csv = await fs.readFile((await download.path())!, 'utf8');
    const lines = csv.split('\r\n').filter(Boolean);
    assert.equal(lines[0], 'id,time,kind,person,client,server,tool,method,duration_ms,result,error,action,target,detail');
    assert.equal(lines.length, 1 + 5, 'three calls and two owner actions');
    assert.match(csv, /,call,ana@example\.com,oauth-test-client,slow,echo,tools\/call,\d+,ok,/);
    assert.match(csv, /,owner,,,,,,,,,person\.denied,bob@example\.com,/);
    assert.doesNotMatch(csv, /secret-argument-value/);
    assert.deepEqual(pageErrors.filter((e) => /Content Security Policy/i.test(e)), [], 'the download needs nothing the CSP refuses');
  });
}
