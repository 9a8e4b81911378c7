// Stories of the owner at the settings window, in real headless Chromium against the admin API
// of a signed-in gateway: adding servers from pasted Claude Desktop JSON and test-starting one,
// allowing an email, approving a person while their sign-in waits, watching a call arrive, and
// publishing and copying a public URL. Each page is saved as a 1280×800 screenshot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { fixture, npmServer, text } from '../support/gateway.ts';
import { chromiumMissing, launchChromium, type TestBrowser } from '../support/chromium.ts';
import { adminGet, buildUi, checkAccessibility, go, openSettings, screenshot, startUiWorld, type UiWorld } from '../support/ui.ts';
import { startIdp } from '../support/idp.ts';
import { rememberSecret } from '../support/log-audit.ts';
import { openStateStore } from '../../src/state/state-store.ts';
import { localtunnelBrowserNotice } from '../../src/tunnel/localtunnel-provider.ts';
import type { TunnelProvider, TunnelStatus } from '../../src/tunnel/tunnel-provider.ts';

const ANA = { login: { email: 'ana@example.com', password: 'ana-password-1' } };
const BOB = { login: { email: 'bob@example.com', password: 'bob-password-1' } };
const skip = chromiumMissing();

let tmp: string;
let uiDir: string;
let browser: TestBrowser;
let world: UiWorld;
let page: Page;
let pageErrors: string[];

const startWorld = (options: Parameters<typeof startUiWorld>[2], servers: Record<string, unknown>) => startUiWorld(uiDir, servers, options);
const stopWorld = async (w: UiWorld | undefined) => { await w?.stop(); };

if (skip) {
  test(`the settings UI stories in Chromium (${skip})`, { skip }, () => {});
} else {
  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-ui-'));
    // The UI as `npm run build:ui` builds it, from the sources as they are now.
    uiDir = await buildUi();
    const configFile = path.join(tmp, 'config.json');
    const servers = { slow: fixture('slow-server', { title: 'Echo and friends' }) };
    const access = { allow: { emails: ['ana@example.com'] }, unknownUsers: 'ask-owner' };
    await fs.writeFile(configFile, JSON.stringify({ mcpServers: servers, access, gateway: { port: 0 } }, null, 2));
    world = await startWorld({ access, configFile }, servers);
    await world.gw.addLocalUser('ana@example.com', 'ana-password-1');
    await world.gw.addLocalUser('bob@example.com', 'bob-password-1');
    browser = await launchChromium();
    ({ page, errors: pageErrors } = await browser.newPage(world.url));
    await openSettings(page, world);
  });

  after(async () => {
    await browser?.close();
    await stopWorld(world);
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  test('the token leaves the address bar and stays for reloads of the tab; a wrong one is refused with a way back in', async () => {
    assert.equal(new URL(page.url()).hash, '', 'the fragment with the token is gone');
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Servers' }).waitFor();
    const { page: stranger, context } = await browser.newPage();
    try {
      await stranger.goto(`${world.url}/#token=not-the-token`);
      await stranger.getByRole('heading', { name: 'This settings link has expired' }).waitFor();
      await screenshot(stranger, 'token');
      await stranger.getByLabel('Admin token').fill(world.token);
      await stranger.getByRole('button', { name: 'Open settings' }).click();
      await stranger.getByRole('heading', { level: 1, name: 'Servers' }).waitFor();
    } finally {
      await context.close();
    }
  });

  test('the owner pastes Claude Desktop JSON: the report says what was added and why one is invalid; Test lists the tools', async () => {
    const memory = npmServer('@modelcontextprotocol/server-memory');
    const pasted = JSON.stringify({
      mcpServers: {
        memory: { command: memory.command, args: memory.args },
        sqlite: { command: 'uvx', args: ['mcp-server-sqlite', '--db-path', 42] },
      },
      globalShortcut: 'Ctrl+Space',
    }, null, 2);
    await page.getByRole('button', { name: 'Add server' }).first().click();
    await page.getByLabel('Paste the JSON from Claude Desktop, Cursor or VS Code').fill(pasted);
    await page.getByRole('button', { name: 'Add servers' }).click();
    const report = page.getByRole('status', { name: 'Import report' });
    await report.getByText('Added 1 server.').waitFor();
    const rows = report.locator('tbody tr');
    assert.match(await rows.nth(0).innerText(), /memory\s+Added/);
    assert.match(await rows.nth(1).innerText(), /sqlite\s+Invalid[\s\S]*args\[2\]/);
    await screenshot(page, 'servers-import');

    const card = page.getByRole('article', { name: 'memory' });
    await card.waitFor();
    assert.match(await card.innerText(), /\/servers\/memory\/mcp/, 'its local MCP URL is shown');
    const onDisk = JSON.parse(await fs.readFile(path.join(tmp, 'config.json'), 'utf8'));
    assert.deepEqual(onDisk.mcpServers.memory, { command: memory.command, args: memory.args });

    await card.getByRole('button', { name: 'Test memory' }).click();
    const result = card.getByRole('status', { name: 'Test of memory' });
    await result.getByText(/Started in/).waitFor({ timeout: 30_000 });
    const tools = await result.getByRole('list', { name: 'Tools of memory' }).innerText();
    assert.match(tools, /create_entities/);
    assert.match(tools, /read_graph/);
    await page.getByRole('button', { name: 'Close' }).click();
    await screenshot(page, 'servers-test');
  });

  test('the owner allows an email on the Access page; it is saved to the config', async () => {
    await go(page, 'Access');
    const emails = page.getByLabel('Email addresses', { exact: true });
    await emails.fill('Cy@Example.com');
    await emails.press('Enter');
    await page.getByRole('list', { name: 'Current email addresses' }).getByText('cy@example.com').waitFor();
    await page.getByText('You have unsaved changes.').waitFor();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved.', { exact: true }).waitFor();
    const onDisk = JSON.parse(await fs.readFile(path.join(tmp, 'config.json'), 'utf8'));
    assert.deepEqual(onDisk.access.allow.emails, ['ana@example.com', 'cy@example.com']);

    // A wrong value comes back with its JSON path, next to its field, and nothing is saved.
    const minutes = page.getByLabel('Access tokens last (minutes)');
    await minutes.fill('0');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const problem = page.locator('.field', { has: minutes }).getByRole('alert');
    await problem.waitFor();
    assert.equal(await problem.innerText(), 'Enter a whole number of minutes from 1 to 10080 (a week).');
    assert.equal(JSON.parse(await fs.readFile(path.join(tmp, 'config.json'), 'utf8')).access.tokens.accessTokenMinutes, 60, 'nothing was saved');
    // The browser logs the refused PUT (400) it was meant to get; nothing else.
    assert.deepEqual(pageErrors.splice(0).filter((e) => !/status of 400/.test(e)), []);
    await page.getByRole('button', { name: 'Revert' }).click();
    await page.getByText('All changes saved.').waitFor();
    await page.getByText(/A longer access-token lifetime keeps clients/).waitFor();
  });

  test('the owner sets up OpenID Connect: the secret is kept but never shown, and Test sign-in says what to register', async () => {
    const port = Number(new URL(world.gw.url).port);
    const idp = await startIdp({ redirectUris: [`http://127.0.0.1:${port}/login/oidc/callback`], users: [] });
    try {
      rememberSecret(idp.clientSecret);
      await page.getByRole('checkbox', { name: /Your identity provider/ }).check();
      await page.getByLabel('Issuer URL').fill(idp.issuer);
      await page.getByLabel('Client ID').fill(idp.clientId);
      await page.getByLabel(/^Client secret/).fill(idp.clientSecret);
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByText('Saved.', { exact: true }).waitFor();
      const secret = page.getByLabel(/^Client secret/);
      assert.equal(await secret.inputValue(), '', 'the stored secret is never put back into the page');
      assert.equal(await secret.getAttribute('type'), 'password');
      await page.locator('.field', { has: secret }).getByText('set', { exact: true }).waitFor();
      assert.ok(!(await page.content()).includes(idp.clientSecret));
      assert.equal(await world.gw.secrets.get('oidc-client-secret'), idp.clientSecret);

      await page.getByRole('button', { name: 'Test OpenID Connect sign-in' }).click();
      const result = page.getByRole('status', { name: 'OpenID Connect sign-in test' });
      await result.getByText('OpenID Connect sign-in looks right').waitFor();
      const redirect = `${world.gw.issuer}/login/oidc/callback`;
      await result.getByText(redirect, { exact: true }).waitFor();
      assert.match(await result.innerText(), /once published/);
      await screenshot(page, 'access');

      // Back to local accounts only, as the other stories expect.
      await page.getByRole('checkbox', { name: /Your identity provider/ }).uncheck();
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByText('Saved.', { exact: true }).waitFor();
      assert.equal(JSON.parse(await fs.readFile(path.join(tmp, 'config.json'), 'utf8')).access.login.oidc, null);
    } finally {
      await idp.close();
    }
  });

  test('a person waits for approval; the owner approves on the Users page while the sign-in waits, and it goes on', async () => {
    await go(page, 'Users');
    const { client } = await world.gw.connect('slow', {
      ...BOB,
      onPending: async (round) => {
        if (round !== 1) return;
        // The waiting person shows up live (the `approval` event), counted in the sidebar too.
        const row = page.locator('tr', { hasText: 'bob@example.com' });
        await row.getByText('Waiting for you').waitFor();
        await page.getByRole('navigation', { name: 'Settings' }).getByLabel('1 waiting').waitFor();
        await page.getByText('1 person is waiting for you.').waitFor();
        await screenshot(page, 'users');
        await page.getByRole('button', { name: 'Approve bob@example.com' }).click();
        await row.getByText('Allowed').waitFor();
      },
    });
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'bob is in' } })), 'bob is in');
    // Bob's client shows among the connected clients once he has signed in.
    await page.locator('tr', { hasText: 'Test MCP client' }).first().waitFor();
    await page.getByLabel('Email', { exact: true }).fill('dan@example.com');
    await page.getByLabel('Name (optional)').fill('Dan');
    await page.getByRole('button', { name: 'Create invite link' }).click();
    await page.getByText(/Send this link to/).waitFor();
    assert.match(await page.locator('.invite-result code').innerText(), new RegExp(`^${world.gw.issuer}/invite/`));
    await screenshot(page, 'users-invite');
  });

  test('a call to a tool shows at once on the Activity page, newest first', async () => {
    await go(page, 'Activity');
    const before = await page.locator('table.activity tbody tr').count();
    const { client } = await world.gw.connect('slow', ANA);
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'hello' } })), 'hello');
    await client.callTool({ name: 'no_such_tool', arguments: {} }).catch(() => undefined);
    await page.locator('table.activity tbody tr').nth(before + 1).waitFor();
    const newest = await page.locator('table.activity tbody tr').nth(0).innerText();
    const previous = await page.locator('table.activity tbody tr').nth(1).innerText();
    assert.match(newest, /ana@example\.com\s+oauth-test-client\s+slow\s+no_such_tool[\s\S]*Error/);
    assert.match(previous, /ana@example\.com\s+oauth-test-client\s+slow\s+echo\s+[\d.]+ ms\s+OK/);
    await screenshot(page, 'activity');

    // Back on Servers: the slow server now runs a process per person, each with its stderr.
    await go(page, 'Servers');
    const card = page.getByRole('article', { name: /Echo and friends/ });
    await card.getByText(/Running · 2 processes/).waitFor();
    await card.locator('tr', { hasText: 'ana@example.com' }).getByRole('button', { name: /^Log/ }).click();
    const log = card.getByLabel(/^stderr of slow/);
    await log.waitFor();
    await screenshot(page, 'servers');
    assert.deepEqual(pageErrors, [], 'the page reported no errors');
  });

  test('the owner publishes: the tunnel comes online, the public URL is copied, the changed-URL warning and tunnel password show', async () => {
    const state = await openStateStore({});
    // Published before under another address: clients registered there must be added again.
    await state.put('publish', 'last-public-url', 'https://mcpp-old-name.loca.lt');
    const own = await startWorld({ state, createTunnel: () => new LocalTunnelStandIn() }, { slow: fixture('slow-server'), memory: npmServer('@modelcontextprotocol/server-memory') });
    const { page: p, context, errors } = await browser.newPage(own.url);
    try {
      await openSettings(p, own);
      await go(p, 'Publish');
      const toggle = p.getByRole('switch', { name: 'Publish my servers' });
      assert.equal(await toggle.getAttribute('aria-checked'), 'false');
      await p.getByText('Not published', { exact: true }).first().waitFor();
      await toggle.click();
      await p.locator('.tunnel-line strong', { hasText: 'Online' }).waitFor();
      assert.equal(await toggle.getAttribute('aria-checked'), 'true');

      const url = 'https://mcpp-3f9a1c.loca.lt/servers/slow/mcp';
      await p.getByText(url).waitFor();
      await p.getByRole('button', { name: 'Copy Public MCP URL of slow' }).click();
      await p.getByRole('button', { name: 'Copied Public MCP URL of slow' }).getByText('✓ Copied').waitFor();
      assert.equal(await p.evaluate('navigator.clipboard.readText()'), url);

      const warning = p.getByRole('alert').filter({ hasText: 'Your public URL changed' });
      await warning.waitFor();
      assert.match(await warning.innerText(), /mcpp-old-name\.loca\.lt[\s\S]*add it again with the new URL[\s\S]*stable URL/);
      assert.match(await p.locator('body').innerText(), /203\.0\.113\.7/);
      await p.getByText(/Settings → Connectors → Add custom connector/).waitFor();
      const status = await adminGet<{ published: boolean; publicUrl: string }>(own, '/api/status');
      assert.equal(status.publicUrl, 'https://mcpp-3f9a1c.loca.lt');
      await screenshot(p, 'publish');

      await toggle.click();
      await p.getByText('Turn on Publish to get a public URL for each server.', { exact: false }).waitFor();
      assert.equal(await toggle.getAttribute('aria-checked'), 'false');
      assert.deepEqual(errors, [], 'the page reported no errors');

      // MCP Publish quits: the window says so instead of showing stale state as live.
      await own.admin.stop();
      await p.getByRole('status').filter({ hasText: 'MCP Publish is not answering' }).waitFor();
    } finally {
      await context.close();
      await stopWorld(own);
      await state.close();
    }
  });
}

/** A tunnel like localtunnel's public service (a password for browsers), without leaving this process. */
class LocalTunnelStandIn implements TunnelProvider {
  readonly kind = 'localtunnel' as const;
  status: TunnelStatus = { state: 'offline', reason: 'not started' };
  onstatus?: (status: TunnelStatus) => void;
  private set(status: TunnelStatus) { this.status = status; this.onstatus?.(status); }
  async start(): Promise<void> {
    this.set({ state: 'connecting' });
    await new Promise((r) => setTimeout(r, 150));
    const password = '203.0.113.7';
    this.set({ state: 'online', url: 'https://mcpp-3f9a1c.loca.lt', password, browserNotice: localtunnelBrowserNotice(password) });
  }
  async stop(): Promise<void> { this.set({ state: 'offline', reason: 'stopped' }); }
}
