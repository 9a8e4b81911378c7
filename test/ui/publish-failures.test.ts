// Stories of publishing when it fails (issue 12 #3), in headless Chromium: the page names the
// tunnel in use, a tunnel that cannot reach its service is one message with a next step (not the
// same raw error three times), the owner switches tunnels in the window, and a reconnecting
// tunnel counts down to its next try.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { fixture } from '../support/gateway.ts';
import { freePort } from '../support/processes.ts';
import { chromiumMissing, launchChromium, type TestBrowser } from '../support/chromium.ts';
import { buildUi, go, openSettings, screenshot, startUiWorld, type UiWorld } from '../support/ui.ts';
import { tunnelProblem } from '../../src/admin/tunnel-words.ts';
import type { TunnelProvider, TunnelStatus } from '../../src/tunnel/tunnel-provider.ts';

const skip = chromiumMissing();
const OFFLINE = 'the localtunnel server https://localtunnel.me cannot be reached: getaddrinfo ENOTFOUND localtunnel.me';

let tmp: string;
let browser: TestBrowser;
const worlds: UiWorld[] = [];

/** localtunnel's public service as seen with no internet: up once, then every reconnect fails. */
class DroppingTunnel implements TunnelProvider {
  readonly kind = 'localtunnel' as const;
  status: TunnelStatus = { state: 'offline', reason: 'not started' };
  onstatus?: (status: TunnelStatus) => void;
  private set(s: TunnelStatus) { this.status = s; this.onstatus?.(s); }
  async start(): Promise<void> {
    this.set({ state: 'online', url: 'https://mcpp-3f9a1c.loca.lt' });
    setTimeout(() => this.set({ state: 'reconnecting', reason: OFFLINE, attempt: 2, retryInMs: 8000 }), 100);
  }
  async stop(): Promise<void> { this.set({ state: 'offline', reason: 'stopped' }); }
}

async function publishPage(w: UiWorld): Promise<Page> {
  const { page } = await browser.newPage(w.url);
  await openSettings(page, w);
  await go(page, 'Publish');
  return page;
}

if (skip) {
  test(`publish failure stories in Chromium (${skip})`, { skip }, () => {});
} else {
  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-publish-'));
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    for (const w of worlds) await w.stop();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  test('the tunnel cannot reach its service: one message with the next step; the owner switches to ngrok in the window and is told what it needs', async () => {
    // The words for the failure the issue saw, without a network.
    assert.deepEqual(tunnelProblem({ tunnel: 'localtunnel', subdomain: 'auto', publicUrl: null }, { state: 'offline', reason: OFFLINE }),
      { title: "Can't reach localtunnel.me", next: 'This computer could not look up localtunnel.me: check its internet connection, or switch to Cloudflare below.', detail: OFFLINE });

    const closed = await freePort(); // nothing listens there: like a service that cannot be reached
    const configFile = path.join(tmp, 'config.json');
    const publish = { tunnel: 'localtunnel', host: `http://127.0.0.1:${closed}` };
    const servers = { slow: fixture('slow-server') };
    await fs.writeFile(configFile, JSON.stringify({ mcpServers: servers, publish, gateway: { port: 0 } }, null, 2));
    const w = await startUiWorld(await buildUi(), servers, { configFile });
    worlds.push(w);
    await w.gw.publisher.updateConfig(JSON.parse(await fs.readFile(configFile, 'utf8')));
    const page = await publishPage(w);
    await page.getByText(`Tunnel: localtunnel (your server 127.0.0.1:${closed})`).waitFor();

    await page.getByRole('switch', { name: 'Publish my servers' }).click();
    const alert = page.getByRole('alert').filter({ hasText: `Can't reach 127.0.0.1:${closed}` });
    await alert.waitFor({ timeout: 20_000 });
    assert.match(await alert.innerText(), /Check this computer's internet connection \(and any firewall or proxy\), or switch to Cloudflare below/);
    const shown = await page.locator('main').innerText();
    assert.equal(shown.split("Can't reach").length - 1, 1, 'said once');
    assert.doesNotMatch(shown, /ECONNREFUSED/, 'the raw error is behind "What the tunnel said"');
    await screenshot(page, 'publish-failed');

    await page.getByRole('button', { name: 'Change tunnel' }).click();
    const form = page.getByRole('form', { name: 'Tunnel settings' });
    await form.getByRole('radio', { name: /^ngrok/ }).check();
    await form.getByRole('button', { name: 'Save tunnel settings' }).click();
    await page.getByText('Tunnel: ngrok', { exact: true }).waitFor();
    assert.equal(JSON.parse(await fs.readFile(configFile, 'utf8')).publish.tunnel, 'ngrok');
    await page.getByRole('switch', { name: 'Publish my servers' }).click();
    const needs = page.getByRole('alert').filter({ hasText: 'ngrok needs your authtoken' });
    await needs.waitFor({ timeout: 20_000 });
    assert.match(await needs.innerText(), /Paste it below: it is on your ngrok dashboard/);

    await page.getByRole('button', { name: 'Change tunnel' }).click();
    await form.getByLabel(/^Authtoken/).fill('2abcTestAuthtokenNotReal');
    await form.getByRole('button', { name: 'Save tunnel settings' }).click();
    await form.waitFor({ state: 'detached' });
    assert.equal(await w.gw.secrets.get('tunnel/ngrok-authtoken'), '2abcTestAuthtokenNotReal', 'kept in the secret store');
    assert.ok(!(await page.content()).includes('2abcTestAuthtokenNotReal'), 'never shown again');
    assert.ok(!(await fs.readFile(configFile, 'utf8')).includes('2abcTestAuthtokenNotReal'), 'never in the config file');
  });

  test('a tunnel that dropped and cannot get back counts down to its next try and says why', async () => {
    const w = await startUiWorld(await buildUi(), { slow: fixture('slow-server') }, { createTunnel: () => new DroppingTunnel() });
    worlds.push(w);
    const page = await publishPage(w);
    await page.getByRole('switch', { name: 'Publish my servers' }).click();
    const line = page.locator('.tunnel-line');
    await line.getByText(/trying again in [5-8] s \(attempt 2\)/).waitFor();
    const first = Number(/trying again in (\d) s/.exec(await line.innerText())![1]);
    await line.getByText(new RegExp(`trying again in ${first - 1} s`)).waitFor();
    const alert = page.getByRole('alert').filter({ hasText: "Can't reach localtunnel.me" });
    assert.match(await alert.innerText(), /check its internet connection, or switch to Cloudflare below/);
    await screenshot(page, 'publish-reconnecting');
  });
}
