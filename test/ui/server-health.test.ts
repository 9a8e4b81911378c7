// Stories of servers that cannot start (issue 12 #1), in headless Chromium: a command that is
// not on this computer is named on import, on "Check first" and on save, without pressing Test;
// a new server is test-started in the background and its card says why it failed; a server that
// dies at every start shows as crash-looping on its card, in the status stream and in the tray.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { fixture } from '../support/gateway.ts';
import { chromiumMissing } from '../support/chromium.ts';
import { type UiStory, type UiWorld, adminGet, nextEvent, screenshot, startUiStory } from '../support/ui.ts';
import { TestOAuthProvider, Browser } from '../support/browser.ts';
import type { ServerView, StatusView } from '../../src/admin/api.ts';
import { coreState } from '../../electron/core.ts';
import { trayMenu } from '../../electron/tray-menu.ts';

const ANA = { login: { email: 'ana@example.com', password: 'ana-password-1' } };
const skip = chromiumMissing();

let tmp: string;
let story: UiStory;
let world: UiWorld;
let page: Page;

async function addByHand(p: Page, name: string, command: string, args: string[] = []): Promise<void> {
  await p.getByRole('button', { name: 'Add server' }).first().click();
  await p.getByRole('button', { name: 'write one by hand' }).click();
  const form = p.getByRole('form', { name: 'New server' });
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByLabel('Command', { exact: true }).fill(command);
  await form.getByLabel('Arguments').fill(args.join('\n'));
  await form.getByRole('button', { name: 'Add server' }).click();
  await p.getByRole('article', { name, exact: true }).waitFor();
}

if (skip) {
  test(`server health stories in Chromium (${skip})`, { skip }, () => {});
} else {
  before(async () => {
    story = await startUiStory('mcpp-health-', {
      slow: fixture('slow-server', { title: 'Echo and friends' }),
      flaky: fixture('startup-server', { env: { STARTUP_FIXTURE: JSON.stringify({ exitAtStart: 3 }) } }),
    }, { access: { allow: { emails: ['ana@example.com'] } } });
    ({ tmp, world, page } = story);
    await world.gw.addLocalUser('ana@example.com', 'ana-password-1');
  });

  after(async () => { await story?.close(); });

  test('a program that is not installed is named when pasted ("Check first"), and its card says it cannot start as soon as it is saved', async () => {
    await page.getByRole('button', { name: 'Add server' }).first().click();
    const pasted = JSON.stringify({ mcpServers: { sqlite: { command: 'uvx-not-installed', args: ['mcp-server-sqlite'] } } });
    await page.getByLabel('Paste the JSON from Claude Desktop, Cursor or VS Code').fill(pasted);
    await page.getByRole('button', { name: 'Check first' }).click();
    const report = page.getByRole('status', { name: 'Import report' });
    await report.getByText(/Will not start:/).waitFor();
    assert.match(await report.innerText(), /sqlite\s+Would be added[\s\S]*command not found: "uvx-not-installed" is not on PATH[\s\S]*Install it, or give its full path/);
    await page.getByRole('button', { name: 'Close' }).click();

    // Written by hand and saved: the card is red at once, with the reason and the next step.
    await addByHand(page, 'notes', 'mcp-server-nope', ['--stdio']);
    const card = page.getByRole('article', { name: 'notes' });
    await card.getByText("Can't start", { exact: true }).waitFor();
    const problem = card.getByRole('group', { name: 'Why notes cannot start' });
    assert.match(await problem.innerText(), /command not found: "mcp-server-nope" is not on PATH[\s\S]*Install it, or give its full path[\s\S]*Press Edit to change the command/i);
    const servers = await adminGet<ServerView[]>(world, '/api/servers');
    assert.equal(servers.find((s) => s.name === 'notes')?.health.state, 'cannot-start');
    assert.equal(servers.find((s) => s.name === 'slow')?.health.state, 'idle', 'a server that was never started is not called healthy or broken');
    await screenshot(page, 'server-cannot-start', 'article[aria-labelledby="server-notes"]');
  });

  test('a new server is test-started in the background: a program that exits shows "Can\'t start" with the lines it wrote', async () => {
    await addByHand(page, 'needs-key', process.execPath, ['-e', 'console.error("needs-key: GITHUB_TOKEN is not set"); process.exit(2)']);
    const card = page.getByRole('article', { name: 'needs-key' });
    await card.getByText("Can't start", { exact: true }).waitFor({ timeout: 30_000 });
    const problem = card.getByRole('group', { name: 'Why needs-key cannot start' });
    await problem.getByText('The last lines it wrote').click();
    assert.match(await problem.innerText(), /GITHUB_TOKEN is not set/);
    // A working one checked the same way is Ready, without anyone pressing Test.
    await addByHand(page, 'works', process.execPath, ['--import', 'tsx', path.resolve('test/fixtures/slow-server.ts')]);
    await page.getByRole('article', { name: 'works', exact: true }).getByText('Ready', { exact: true }).waitFor({ timeout: 30_000 });
  });

  test('a server that dies at every start is crash-looping: on its card, in the status stream and in the tray menu', async () => {
    const provider = new TestOAuthProvider(new Browser(), ANA);
    // Each attempt starts it; it exits at once, so the person's client cannot connect.
    const streamed = nextEvent<StatusView>(world, 'status', (s) => s.servers.find((x) => x.name === 'flaky')?.health.state === 'crash-looping', 30_000);
    for (let attempt = 0; attempt < 3; attempt++) {
      await assert.rejects(world.gw.connect('flaky', ANA, { provider }));
      await new Promise((r) => setTimeout(r, 1200)); // past the backoff, so the next try starts it again
    }
    const status = await streamed;
    const flaky = status.servers.find((x) => x.name === 'flaky')!;
    assert.ok((flaky.health.crashes ?? 0) >= 2, `crashes in a row: ${flaky.health.crashes}`);
    assert.match(flaky.health.reason ?? '', /status 3|exit/i);

    const card = page.getByRole('article', { name: 'flaky' });
    await card.getByText('Crash-looping', { exact: true }).waitFor();
    assert.match(await card.getByRole('group', { name: 'Why flaky cannot start' }).innerText(), /It keeps stopping: \d+ failed starts in a row/);

    const menu = trayMenu({ ...coreState(world.gw.publisher, [], world.admin.health), startAtLogin: false });
    const item = menu.find((i) => i.id === 'server:flaky');
    assert.equal(item?.type !== 'separator' && item?.label, 'flaky — ⚠ crash-looping');
    await screenshot(page, 'server-crash-looping', 'article[aria-labelledby="server-flaky"]');
  });
}
