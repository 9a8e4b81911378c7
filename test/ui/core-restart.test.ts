// Stories of the settings window while the core restarts (issue 12 #4), in headless Chromium:
// the admin API comes back on the same port with the same token, so the open tab reconnects by
// itself and shows the new core's state; while the core is away the window says so, greys out
// what it shows and counts down to the next try; after a day the token is new and the tab asks
// to be opened again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { fixture } from '../support/gateway.ts';
import { chromiumMissing, launchChromium, type TestBrowser } from '../support/chromium.ts';
import { buildUi, openSettings, screenshot, startUiWorld, type UiWorld } from '../support/ui.ts';
import { openStateStore, type StateStore } from '../../src/state/state-store.ts';
import { MemorySecretStore } from '../../src/secrets/memory-store.ts';

const skip = chromiumMissing();

let tmp: string;
let uiDir: string;
let browser: TestBrowser;
let state: StateStore;
const secrets = new MemorySecretStore();
let world: UiWorld | undefined;
let page: Page;

async function startCore(servers: Record<string, unknown>): Promise<UiWorld> {
  const configFile = path.join(tmp, 'config.json');
  await fs.writeFile(configFile, JSON.stringify({ mcpServers: servers, gateway: { port: 0 } }, null, 2));
  return startUiWorld(uiDir, servers, { configFile, state, secrets }, { dataDir: tmp });
}

if (skip) {
  test(`core restart stories in Chromium (${skip})`, { skip }, () => {});
} else {
  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-restart-'));
    uiDir = await buildUi();
    state = await openStateStore({});
    world = await startCore({ slow: fixture('slow-server', { title: 'Echo and friends' }) });
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

  test('the core stops: the window says so, greys out what it shows and counts down; once it is back the tab reconnects by itself', async () => {
    const first = world!;
    const kept = JSON.parse(await fs.readFile(path.join(tmp, 'admin-session.json'), 'utf8'));
    assert.equal(kept.port, Number(new URL(first.url).port));
    assert.equal((await fs.stat(path.join(tmp, 'admin-session.json'))).mode & 0o777, 0o600);
    await first.stop();
    world = undefined;

    const banner = page.getByRole('status').filter({ hasText: 'MCP Publish is not answering: it may be restarting.' });
    await banner.waitFor();
    assert.match(await banner.innerText(), /Trying again in \d+ s/);
    await page.locator('.sidebar-status').getByText('MCP Publish is not answering').waitFor();
    assert.equal(await page.locator('.sidebar-status').getByText('Gateway running').count(), 0, 'the sidebar no longer says the gateway runs');
    assert.equal(await page.locator('main .is-stale[inert]').count(), 1, 'what it shows is greyed out and inactive');
    // Still away after a while: it is taken to have stopped, and the window says how to go on.
    await page.getByRole('status').filter({ hasText: 'MCP Publish is not running.' }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'core-gone');

    // It starts again (with a server added meanwhile): same port, same token.
    world = await startCore({ slow: fixture('slow-server', { title: 'Echo and friends' }), notes: fixture('slow-server', { title: 'Notes' }) });
    assert.equal(world.url, first.url);
    assert.equal(world.token, first.token);
    await page.getByRole('status').filter({ hasText: 'Reconnected: MCP Publish is back' }).waitFor({ timeout: 20_000 });
    await page.getByRole('article', { name: /^Notes/ }).waitFor();
    await page.locator('.sidebar-status').getByText('Gateway running').waitFor();
    assert.equal(await page.locator('main .is-stale').count(), 0);
    await screenshot(page, 'core-reconnected');
  });

  test('after a day the token is replaced at the next start: the tab finds the core on its port and asks to be opened again', async () => {
    await world!.stop();
    world = undefined;
    const file = path.join(tmp, 'admin-session.json');
    const kept = JSON.parse(await fs.readFile(file, 'utf8'));
    await fs.writeFile(file, JSON.stringify({ ...kept, createdAt: Date.now() - 25 * 3600_000 }), { mode: 0o600 });
    world = await startCore({ slow: fixture('slow-server') });
    assert.equal(Number(new URL(world.url).port), kept.port, 'the same port');
    assert.notEqual(world.token, kept.token, 'a new token');
    await page.getByRole('heading', { name: 'This settings link has expired' }).waitFor({ timeout: 20_000 });
  });
}
