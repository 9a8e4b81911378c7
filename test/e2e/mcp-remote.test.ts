// mcp-remote (the stdio ↔ remote bridge many desktop clients use) as a second real OAuth client
// of our gateway: it discovers our authorization server, registers, prints the authorization URL
// (its attempt to open a browser goes to BROWSER=true, a no-op), a person signs in with a local
// account and consents in our Browser, mcp-remote's own callback server on 127.0.0.1 receives
// the code and exchanges it, and an SDK client speaking stdio to mcp-remote calls a tool through
// the gateway. Its ~/.mcp-auth state lives in a temporary directory; no process is left behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ROOT, alive, fixture, text } from '../support/gateway.ts';
import { Browser } from '../support/browser.ts';
import { chromiumMissing, launchChromium } from '../support/chromium.ts';
import { startSignedInGateway, type SignedInGateway } from '../support/signed-in.ts';
import { freePort, processesWithEnv, waitForNoProcessWithEnv, within } from '../support/processes.ts';

const MCP_REMOTE = path.join(ROOT, 'node_modules/mcp-remote/dist/proxy.js');
const ANA = { email: 'ana@example.com', password: 'ana-password-1' };

const MALLORY = { email: 'mallory@example.com', password: 'mallory-password-1' };

let gw: SignedInGateway;
before(async () => {
  gw = await startSignedInGateway({ slow: fixture('slow-server') }, { access: { allow: { emails: [ANA.email] }, unknownUsers: 'deny' } });
  await gw.addLocalUser(ANA.email, ANA.password);
  await gw.addLocalUser(MALLORY.email, MALLORY.password);
});
after(async () => { await gw.close(); });

/** mcp-remote started by an SDK client over stdio, its state in a temporary home, nothing left behind by `stop`. */
async function startMcpRemote() {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-mcp-remote-'));
  const configDir = path.join(home, '.mcp-auth');
  const marker = `MCP_REMOTE_CONFIG_DIR=${configDir}`;
  // mcp-remote's default callback port (3334 in older releases, now derived from the server URL)
  // may be taken on a shared machine: pass a free one explicitly (it then uses exactly that port).
  const port = await freePort();
  const transport = new StdioClientTransport({
    command: process.execPath,
    // http://127.0.0.1 needs no --allow-http: mcp-remote allows plain http to localhost/127.0.0.1.
    args: [MCP_REMOTE, gw.mcpUrl('slow'), String(port)],
    cwd: ROOT,
    // The SDK passes only HOME, LOGNAME, PATH, SHELL, TERM, USER from our environment, plus these:
    // no DISPLAY, so the `open` package's xdg-open falls back to $BROWSER, here the no-op `true`.
    env: { HOME: home, MCP_REMOTE_CONFIG_DIR: configDir, BROWSER: 'true' },
    stderr: 'pipe',
  });
  let stderr = '';
  const printed = new Promise<URL>((resolve) => {
    transport.stderr!.on('data', (chunk: Buffer | string) => {
      stderr += String(chunk);
      const m = /Please authorize this client by visiting:\s*\n\s*(\S+)/.exec(stderr);
      if (m) resolve(new URL(m[1]!));
    });
  });
  const client = new Client({ name: 'mcp-remote-e2e', version: '1.0.0' });
  // The SDK client spawns mcp-remote and sends initialize; mcp-remote answers it only once it
  // is signed in to the gateway, so the sign-in happens while connect() is pending.
  const connecting = client.connect(transport);
  connecting.catch(() => {});
  const authUrl = () => within(Promise.race([printed, connecting.then(() => { throw new Error('connected without signing in'); })]), 30_000, 'mcp-remote printed no authorization URL', () => stderr);
  return {
    client, transport, connecting, authUrl, configDir, marker, port,
    stderr: () => stderr,
    async stop(pid: number | undefined) {
      await client.close().catch(() => {});
      await transport.close().catch(() => {});
      const left = await waitForNoProcessWithEnv(marker);
      for (const p of left) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
      await fs.rm(home, { recursive: true, force: true });
      assert.deepEqual(left, [], 'no mcp-remote process (or browser helper) is left running');
      if (pid !== undefined) assert.equal(alive(pid), false, 'mcp-remote exited');
    },
  };
}

test('mcp-remote signs in through our authorization server and bridges a tool call over stdio', { timeout: 90_000 }, async () => {
  const remote = await startMcpRemote();
  const { client, connecting, configDir, marker, port } = remote;
  let pid: number | undefined;
  try {
    const authUrl = await remote.authUrl();
    pid = remote.transport.pid ?? undefined;
    assert.equal(authUrl.origin + authUrl.pathname, `${gw.issuer}/authorize`);
    assert.equal(authUrl.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authUrl.searchParams.get('resource'), gw.mcpUrl('slow'), 'RFC 8707 resource is the server URL');
    const redirect = new URL(authUrl.searchParams.get('redirect_uri')!);
    assert.equal(redirect.port, String(port), 'mcp-remote uses the callback port it was given');
    assert.equal(redirect.pathname, '/oauth/callback');

    // The person at the browser: local account, consent; stop at the redirect to mcp-remote.
    const browser = new Browser();
    const visit = await browser.authorize(authUrl, { login: ANA }, (u) => u.origin === redirect.origin && u.pathname === redirect.pathname);
    assert.deepEqual(visit.pages, ['login', 'consent']);
    assert.ok(visit.final.searchParams.get('code'), `a code comes back: ${visit.final.href}`);
    assert.equal(visit.final.searchParams.get('iss'), gw.issuer);
    // The browser lands on mcp-remote's callback server, which takes the code.
    const landed = await browser.fetch(visit.final);
    assert.equal(landed.status, 200);
    assert.match(await landed.text(), /Authorization successful/);

    await within(connecting, 30_000, 'mcp-remote did not finish connecting', remote.stderr);
    assert.equal(client.getServerVersion()?.name, 'slow-server');
    assert.match(remote.stderr(), /Browser opened automatically/, 'its browser launch went to the no-op BROWSER');
    assert.ok((await processesWithEnv(marker)).includes(pid!), 'mcp-remote is found by its marker (so the check at the end means something)');
    const tools = await client.listTools();
    assert.ok(tools.tools.some((t) => t.name === 'echo'));
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'through mcp-remote' } })), 'through mcp-remote');

    // mcp-remote kept its tokens in our temporary config dir: a JWT bound to this one server.
    const files = (await fs.readdir(configDir, { recursive: true })).map(String);
    const tokensFile = files.find((f) => f.endsWith('_tokens.json') || f.endsWith('tokens.json'));
    assert.ok(tokensFile, `tokens saved under MCP_REMOTE_CONFIG_DIR: ${files.join(', ')}`);
    const tokens = JSON.parse(await fs.readFile(path.join(configDir, tokensFile), 'utf8')) as { access_token: string; refresh_token?: string };
    assert.ok(tokens.refresh_token, 'a refresh token too');
    const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims.aud, gw.mcpUrl('slow'));
    assert.equal(claims.iss, gw.issuer);
  } finally {
    await remote.stop(pid);
  }
  assert.deepEqual(await processesWithEnv(marker), []);
});

test('a person who may not come in sees why, and mcp-remote hears access_denied at once instead of waiting for its timeout', { timeout: 90_000, skip: chromiumMissing() }, async () => {
  const remote = await startMcpRemote();
  const chromium = await launchChromium();
  let pid: number | undefined;
  try {
    const authUrl = await remote.authUrl();
    pid = remote.transport.pid ?? undefined;
    const callback = authUrl.searchParams.get('redirect_uri')!;
    // A real browser: it follows the page's own redirect, as a person's would.
    const { page } = await chromium.newPage();
    await page.goto(authUrl.href);
    await page.fill('#email', MALLORY.email);
    await page.fill('#password', MALLORY.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('main[data-page="denied"]');
    assert.match(await page.textContent('main') ?? '', /mallory@example\.com/);
    const shown = Date.now();
    // Nobody clicks anything: the page hands the refusal to the app within seconds.
    await page.waitForURL((u) => u.href.startsWith(callback), { timeout: 15_000 });
    assert.ok(Date.now() - shown < 15_000);
    assert.equal(new URL(page.url()).searchParams.get('error'), 'access_denied');
    assert.match(await page.textContent('body') ?? '', /Authorization failed/);
    await within(new Promise<void>((resolve) => {
      const check = () => (/Authorization failed: access_denied/.test(remote.stderr()) ? resolve() : setTimeout(check, 50));
      check();
    }), 10_000, 'mcp-remote did not hear the refusal', remote.stderr);
  } finally {
    await chromium.close();
    await remote.stop(pid);
  }
});
