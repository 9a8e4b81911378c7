// Stories of invites (issue 12 #6), in headless Chromium: a link is listed until it is used
// (copy, revoke, expiry); inviting again says it replaces the old link; a link on this
// computer's own address is flagged until the servers are published, and then uses the public
// URL; the invite page names the invited email and who invited them; a used link says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { fixture } from '../support/gateway.ts';
import { chromiumMissing, launchChromium, type TestBrowser } from '../support/chromium.ts';
import { adminGet, buildUi, go, openSettings, screenshot, startUiWorld, type UiWorld } from '../support/ui.ts';
import { rememberSecret } from '../support/log-audit.ts';
import type { InviteView } from '../../src/admin/api.ts';
import type { TunnelProvider, TunnelStatus } from '../../src/tunnel/tunnel-provider.ts';

const skip = chromiumMissing();
const PUBLIC = 'https://mcpp-3f9a1c.loca.lt';

let browser: TestBrowser;
let world: UiWorld;
let page: Page;

class OnlineTunnel implements TunnelProvider {
  readonly kind = 'localtunnel' as const;
  status: TunnelStatus = { state: 'offline', reason: 'not started' };
  onstatus?: (status: TunnelStatus) => void;
  async start(): Promise<void> { this.status = { state: 'online', url: PUBLIC }; this.onstatus?.(this.status); }
  async stop(): Promise<void> { this.status = { state: 'offline', reason: 'stopped' }; this.onstatus?.(this.status); }
}

/** An invite link opened on this computer (the public host is a stand-in). */
const local = (link: string) => `${world.url.replace(/\/$/, '')}${new URL(link).pathname}`.replace(world.url, world.gw.url);

if (skip) {
  test(`invite stories in Chromium (${skip})`, { skip }, () => {});
} else {
  before(async () => {
    world = await startUiWorld(await buildUi(), { slow: fixture('slow-server') }, { createTunnel: () => new OnlineTunnel() });
    await world.gw.publisher.signIn!.local!.ensureOwner({ email: 'olivia@example.com', name: 'Olivia' });
    browser = await launchChromium();
    ({ page } = await browser.newPage(world.url));
    await openSettings(page, world);
    await go(page, 'Users');
  });

  after(async () => {
    await browser?.close();
    await world?.stop();
  });

  test('an invite is listed with its expiry; inviting again replaces it, said before and after; a link on this computer\'s address is flagged until published', async () => {
    await page.getByLabel('Email', { exact: true }).fill('dan@example.com');
    await page.getByLabel('Name (optional)').fill('Dan');
    await page.getByRole('button', { name: 'Create invite link' }).click();
    const result = page.locator('.invite-result');
    await result.getByText(/Send this link to/).waitFor();
    assert.match(await result.innerText(), /This link works only on this computer/);
    const first = (await adminGet<InviteView[]>(world, '/api/invites'))[0]!;
    assert.equal(first.email, 'dan@example.com');
    assert.ok(first.expiresAt - first.createdAt === 7 * 86_400_000);
    rememberSecret(first.invite!.split('/invite/')[1]);
    const row = page.locator('.pending-invites tr', { hasText: 'dan@example.com' });
    await row.waitFor();
    await screenshot(page, 'invites-local-only', '.pending-invites');

    await page.getByLabel('Email', { exact: true }).fill('dan@example.com');
    await page.getByText(/dan@example\.com has a link from just now: a new one replaces it, and the old one stops working/).waitFor();
    await page.getByRole('button', { name: 'Replace the invite link' }).click();
    await result.getByText(/The link you sent them before no longer works/).waitFor();
    assert.equal((await fetch(local(first.invite!))).status, 410, 'the old link is used up');
    const invites = await adminGet<InviteView[]>(world, '/api/invites');
    assert.equal(invites.length, 1, 'one pending invite per person');
    rememberSecret(invites[0]!.invite!.split('/invite/')[1]);

    // Published: the list gives the public link, and the warning goes.
    await world.gw.publisher.publish();
    await page.locator('.pending-invites code', { hasText: `${PUBLIC}/invite/` }).waitFor();
    assert.equal(await page.locator('.pending-invites').getByText('This link works only on this computer').count(), 0);
  });

  test('the invite page names the invited email and who invited; the password is set once, and the used link says so', async () => {
    const [invite] = await adminGet<InviteView[]>(world, '/api/invites');
    const { page: dan, context } = await browser.newPage();
    try {
      await dan.goto(local(invite!.invite!));
      await dan.getByRole('heading', { name: 'Choose your password' }).waitFor();
      assert.match(await dan.getByRole('main').innerText(), /Olivia invited you to use the MCP servers they publish, as dan@example\.com/);
      await screenshot(dan, 'invite-page');
      rememberSecret('dan-password-1');
      await dan.getByLabel('Password', { exact: true }).fill('dan-password-1');
      await dan.getByLabel('Repeat it').fill('dan-password-1');
      await dan.getByRole('button', { name: 'Save password' }).click();
      await dan.getByRole('heading', { name: 'Password saved' }).waitFor();
      await dan.goto(local(invite!.invite!));
      await dan.getByRole('heading', { name: 'This invite cannot be used' }).waitFor();
      await screenshot(dan, 'invite-used');
    } finally {
      await context.close();
    }
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
    assert.equal(await page.locator('.pending-invites').count(), 0, 'a used invite leaves the list');
  });

  test('Revoke ends a pending invite: its link stops working', async () => {
    await page.getByLabel('Email', { exact: true }).fill('eve@example.com');
    await page.getByRole('button', { name: 'Create invite link' }).click();
    const [invite] = await adminGet<InviteView[]>(world, '/api/invites');
    rememberSecret(invite!.invite!.split('/invite/')[1]);
    await page.getByRole('button', { name: 'Revoke the invite for eve@example.com' }).click();
    await page.locator('.pending-invites').waitFor({ state: 'detached' });
    assert.equal((await fetch(local(invite!.invite!))).status, 410);
  });
}
