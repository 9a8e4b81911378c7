// Stories of the remote person at the sign-in pages (issue 12 #7 and #10), in headless Chromium:
// the pages name the owner and the server's title; waiting for approval is a visible state that
// goes on by itself (no meta refresh) and can be cancelled; "Not you?" leads to another account
// from the consent, waiting and denied pages; the setup page says truthfully where values are
// kept. axe checks every page shown (the contrast of the brand line included).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { fixture } from '../support/gateway.ts';
import { Browser, TestOAuthProvider } from '../support/browser.ts';
import { chromiumMissing, launchChromium, type TestBrowser } from '../support/chromium.ts';
import { screenshot } from '../support/ui.ts';
import { rememberSecret } from '../support/log-audit.ts';
import { startSignedInGateway, type SignedInGateway } from '../support/signed-in.ts';

const skip = chromiumMissing();
const CALLBACK = 'http://127.0.0.1:3334/oauth/callback';

let browser: TestBrowser;
let gw: SignedInGateway;

/** The authorization URL a client would open in the person's browser (the SDK's own first steps). */
async function authorizationUrl(): Promise<URL> {
  let url: URL | undefined;
  const provider = new TestOAuthProvider(new Browser(), { login: { email: '', password: '' } });
  provider.redirectToAuthorization = async (u: URL) => { url = u; };
  const client = new Client({ name: 'remote-person-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gw.mcpUrl('notes')), { authProvider: provider })).catch(() => undefined);
  await client.close().catch(() => undefined);
  assert.ok(url, 'the client asked for a browser');
  return url;
}

/** A fresh browser window for a person, whose return to the app is caught (nothing listens there). */
async function personWindow(): Promise<{ page: Page; context: BrowserContext; back: Promise<URL> }> {
  const { page, context } = await browser.newPage();
  let arrived!: (u: URL) => void;
  const back = new Promise<URL>((r) => { arrived = r; });
  await context.route(`${CALLBACK}**`, async (route) => {
    arrived(new URL(route.request().url()));
    await route.fulfill({ contentType: 'text/html', body: '<!doctype html><html lang="en"><title>Back in the app</title><main><h1>Back in the app</h1></main></html>' });
  });
  return { page, context, back };
}

async function signIn(page: Page, email: string, password: string): Promise<void> {
  rememberSecret(password);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

if (skip) {
  test(`sign-in page stories in Chromium (${skip})`, { skip }, () => {});
} else {
  before(async () => {
    gw = await startSignedInGateway({
      notes: fixture('env-server', { title: 'Team notes', userEnv: [{ name: 'NOTES_TOKEN', label: 'Notes token', secret: true }] }),
    }, { access: { allow: { emails: ['ana@example.com'] }, deny: { emails: ['carl@example.com'] }, unknownUsers: 'ask-owner' } });
    await gw.publisher.signIn!.local!.ensureOwner({ email: 'olivia@example.com', name: 'Olivia' });
    for (const who of ['ana', 'bob', 'carl']) await gw.addLocalUser(`${who}@example.com`, `${who}-password-1`);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await gw?.close();
  });

  test('a person waits for Olivia with a visible state and Cancel, goes on by itself once approved, sees the server\'s title and where their token is kept', async () => {
    const { page, context, back } = await personWindow();
    try {
      await page.goto((await authorizationUrl()).href);
      await screenshot(page, 'signin-login');
      await signIn(page, 'bob@example.com', 'bob-password-1');
      await page.getByRole('heading', { name: 'Waiting for approval' }).waitFor();
      const waiting = page.getByRole('main');
      assert.match(await waiting.innerText(), /Olivia has been asked to let you in[\s\S]*Waiting for Olivia/);
      assert.equal(await page.locator('meta[http-equiv="refresh"]').count(), 0, 'no meta refresh');
      await waiting.getByRole('button', { name: 'Cancel' }).waitFor();
      await waiting.getByRole('link', { name: 'Sign out and use another account' }).waitFor();
      await screenshot(page, 'signin-waiting');

      const bob = gw.publisher.signIn!.users.list().find((u) => u.email === 'bob@example.com')!;
      await gw.publisher.signIn!.users.setStatus(bob.id, 'allowed', 'owner');
      // No one touches the page: it asks, and moves on to the consent page.
      await page.getByRole('heading', { name: /^Allow / }).waitFor({ timeout: 15_000 });
      assert.match(await page.getByRole('main').innerText(), /the MCP server Team notes, published by Olivia, as bob@example\.com/);
      await page.getByRole('link', { name: 'Sign out and use another account' }).waitFor();
      await screenshot(page, 'signin-consent');
      await page.getByRole('button', { name: 'Allow' }).click();

      await page.getByRole('heading', { name: 'Settings for Team notes' }).waitFor();
      assert.match(await page.getByRole('main').innerText(), /Secrets are kept in memory only, until MCP Publish stops/, 'this gateway keeps them in memory: it says so, not "keychain"');
      assert.doesNotMatch(await page.getByRole('main').innerText(), /keychain/);
      await screenshot(page, 'signin-setup');
      rememberSecret('bob-notes-token');
      await page.getByLabel('Notes token').fill('bob-notes-token');
      await page.getByRole('button', { name: 'Save' }).click();
      const code = (await back).searchParams.get('code');
      assert.ok(code, 'the app got its code');
    } finally {
      await context.close();
    }
  });

  test('Cancel while waiting tells the app access_denied', async () => {
    const { page, context, back } = await personWindow();
    try {
      await gw.addLocalUser('dan@example.com', 'dan-password-1');
      await page.goto((await authorizationUrl()).href);
      await signIn(page, 'dan@example.com', 'dan-password-1');
      await page.getByRole('button', { name: 'Cancel' }).click();
      assert.equal((await back).searchParams.get('error'), 'access_denied');
    } finally {
      await context.close();
    }
  });

  test('a refused account has a way out: "Not you?" signs in again with another account, which goes on', async () => {
    const { page, context, back } = await personWindow();
    try {
      await page.goto((await authorizationUrl()).href);
      await signIn(page, 'carl@example.com', 'carl-password-1');
      await page.getByRole('heading', { name: 'Access denied' }).waitFor();
      assert.match(await page.getByRole('main').innerText(), /MCP Publish · servers of Olivia[\s\S]*ask Olivia, or sign in with another account/);
      await page.getByRole('link', { name: 'Sign out and use another account' }).click();
      await signIn(page, 'ana@example.com', 'ana-password-1');
      await page.getByRole('heading', { name: /^Allow / }).waitFor();
      assert.match(await page.getByRole('main').innerText(), /as ana@example\.com/);
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.getByLabel('Notes token').fill('ana-notes-token');
      rememberSecret('ana-notes-token');
      await page.getByRole('button', { name: 'Save' }).click();
      assert.ok((await back).searchParams.get('code'));
    } finally {
      await context.close();
    }
  });

  test('the denied page passes axe and still goes back to the app by itself', async () => {
    const { page, context, back } = await personWindow();
    try {
      await page.goto((await authorizationUrl()).href);
      await signIn(page, 'carl@example.com', 'carl-password-1');
      await page.getByRole('heading', { name: 'Access denied' }).waitFor();
      await screenshot(page, 'signin-denied');
      assert.equal((await back).searchParams.get('error'), 'access_denied');
    } finally {
      await context.close();
    }
  });
}
