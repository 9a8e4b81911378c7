// Stories of the clients people really use (reference §4), each doing what it is known to do:
// Claude registering a confidential client with its cloud callback, VS Code with loopback on any
// port, Cursor with a private-use scheme, mcp-remote on localhost:3334, ChatGPT reconnecting
// without scope, clients that spell the resource their own way or leave it out, clients that
// never refresh or revoke, browser-based ones that need CORS; and the house-keeping around them:
// metadata, `iss`, stale registrations, rate limits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseErrorResponse } from '@modelcontextprotocol/sdk/client/auth.js';
import { TooManyRequestsError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { fixture, text } from '../support/gateway.ts';
import { Browser, TestOAuthProvider, text as pageText } from '../support/browser.ts';
import { connectWithOAuth, startSignedInGateway, type SignedInGateway } from '../support/signed-in.ts';
import {
  authorize, claimsOf, exchange, freePort, mcpCall, refresh, register, registerClient, revoke, signInByHand, signWithOurKey, token, tokensOf,
} from '../support/oauth.ts';

const ana = { login: { email: 'ana@example.com', password: 'ana-password-1' } };
const access = { allow: { emails: ['ana@example.com'] }, tokens: { accessTokenMinutes: 240 } };

let gw: SignedInGateway;
let port: number;
before(async () => {
  // A named public host (as behind a tunnel), so a client can spell it in upper case.
  port = await freePort();
  gw = await startSignedInGateway({ a: fixture('slow-server'), b: fixture('slow-server') }, { port, access, gateway: { publicUrl: `http://localhost:${port}` } });
  await gw.addLocalUser('ana@example.com', 'ana-password-1');
});
after(async () => { await gw.close(); });

/** A registration as our authorization server keeps it (the SDK keeps fewer fields). */
async function stored(clientId: unknown): Promise<Record<string, unknown>> {
  const [hit] = await gw.state.find<Record<string, unknown>>('oidc.Client', (c) => c.client_id === clientId);
  assert.ok(hit, `client ${String(clientId)} is registered`);
  return hit.value;
}

test('Claude registers a confidential client (client_secret_post) for its cloud callback, signs in and calls a tool', async () => {
  const callback = 'https://claude.ai/api/mcp/auth_callback';
  const provider = new TestOAuthProvider(new Browser(), ana, callback, undefined, {
    client_name: 'Claude', token_endpoint_auth_method: 'client_secret_post', redirect_uris: [callback, 'https://claude.com/api/mcp/auth_callback'],
  });
  const client = await connectWithOAuth(gw.mcpUrl('a'), provider);
  try {
    const registered = provider.client as Record<string, unknown>;
    assert.equal(registered.token_endpoint_auth_method, 'client_secret_post');
    assert.equal((await stored(registered.client_id)).application_type, 'web');
    assert.equal(typeof registered.client_secret, 'string');
    assert.ok(Number.isInteger(registered.client_secret_expires_at), 'an integer: Claude refuses a float');
    const visit = provider.visits[0]!;
    assert.deepEqual(visit.pages, ['login', 'consent']);
    assert.match(pageText(visit.lastHtml), /Claude/);
    assert.match(pageText(visit.lastHtml), /claude\.ai/, 'the consent page names where the code goes');
    assert.equal(visit.final.origin, 'https://claude.ai', 'the browser ends at Claude');
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'hello Claude' } })), 'hello Claude');
    // The registration is confidential: refreshing without the secret is invalid_client.
    const rt = provider.tokens()!.refresh_token!;
    const anonymous = await refresh(gw.issuer, { client_id: String(registered.client_id) }, rt);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json.error, 'invalid_client');
    const renewed = tokensOf(await refresh(gw.issuer, { client_id: String(registered.client_id), client_secret: String(registered.client_secret) }, rt));
    assert.equal(claimsOf(renewed.access_token).aud, gw.mcpUrl('a'));
  } finally {
    await client.close();
  }
});

test('a resource spelled with a trailing slash or an upper-case scheme and host gets a token for our canonical URL', async () => {
  const canonical = gw.mcpUrl('a');
  for (const resource of [`${canonical}/`, `HTTP://LOCALHOST:${port}/servers/a/mcp`, `HTTP://LocalHost:${port}/servers/a/mcp/`]) {
    const { tokens } = await signInByHand(gw.issuer, ana, { resource });
    assert.equal(claimsOf(tokens.access_token).aud, canonical, resource);
    assert.equal((await mcpCall(canonical, tokens.access_token)).status, 200, resource);
  }
});

test('with one server published, a client that sends neither resource nor scope is bound to it', async () => {
  const solo = await startSignedInGateway({ solo: fixture('slow-server') }, { access });
  try {
    await solo.addLocalUser('ana@example.com', 'ana-password-1');
    const { tokens } = await signInByHand(solo.issuer, ana, {});
    const claims = claimsOf(tokens.access_token);
    assert.equal(claims.aud, solo.mcpUrl('solo'));
    assert.equal(tokens.scope, 'mcp');
    assert.equal((await mcpCall(solo.mcpUrl('solo'), tokens.access_token)).status, 200);
  } finally {
    await solo.close();
  }
});

test('with two servers published, a client that sends neither is told invalid_target, naming the servers', async () => {
  const client = await registerClient(gw.issuer, { redirect_uris: ['http://127.0.0.1:3334/oauth/callback'] });
  const refused = await authorize(gw.issuer, new Browser(), ana, { client, redirectUri: 'http://127.0.0.1:3334/oauth/callback' });
  assert.deepEqual(refused.pages, [], 'refused before anyone signs in');
  assert.equal(refused.params.get('error'), 'invalid_target');
  const description = refused.params.get('error_description')!;
  assert.ok(description.includes(gw.mcpUrl('a')) && description.includes(gw.mcpUrl('b')), description);
  assert.equal(refused.params.get('iss'), gw.issuer);
});

test('ChatGPT reconnects without scope: it comes straight back with a code and a token for the same server', async () => {
  const first = await signInByHand(gw.issuer, ana, { resource: gw.mcpUrl('b'), scope: 'mcp', redirectUri: 'https://chatgpt.com/connector_platform_oauth_redirect' });
  const again = await authorize(gw.issuer, first.browser, ana, { client: first.client, redirectUri: 'https://chatgpt.com/connector_platform_oauth_redirect', resource: gw.mcpUrl('b') });
  assert.deepEqual(again.pages, [], 'signed in and consented before: no page');
  const tokens = tokensOf(await exchange(gw.issuer, first.client, again, { resource: gw.mcpUrl('b') }));
  assert.equal(tokens.scope, 'mcp');
  assert.equal(claimsOf(tokens.access_token).aud, gw.mcpUrl('b'));
  assert.equal((await mcpCall(gw.mcpUrl('b'), tokens.access_token)).status, 200);
});

test('VS Code registers loopback and vscode.dev redirects, then authorizes on another loopback port with OIDC scopes', async () => {
  const client = await registerClient(gw.issuer, {
    client_name: 'Visual Studio Code',
    redirect_uris: ['https://insiders.vscode.dev/redirect', 'https://vscode.dev/redirect', 'http://127.0.0.1/', 'http://127.0.0.1:33418/'],
  });
  assert.equal(client.application_type, 'native', 'loopback redirects make it a native app (RFC 8252)');
  // RFC 8252 §7.3: a loopback redirect may use any port.
  const onPort = await authorize(gw.issuer, new Browser(), ana, { client, redirectUri: 'http://127.0.0.1:51234/', resource: gw.mcpUrl('a'), scope: 'openid profile email' });
  assert.equal(onPort.final.origin, 'http://127.0.0.1:51234');
  const tokens = tokensOf(await exchange(gw.issuer, client, onPort, { resource: gw.mcpUrl('a') }));
  assert.equal(claimsOf(tokens.access_token).aud, gw.mcpUrl('a'));
  assert.equal((await mcpCall(gw.mcpUrl('a'), tokens.access_token)).status, 200);
  const web = await authorize(gw.issuer, new Browser(), ana, { client, redirectUri: 'https://vscode.dev/redirect', resource: gw.mcpUrl('a') });
  assert.equal(web.final.origin, 'https://vscode.dev');
  assert.ok(web.code);
});

test('Cursor registers its private-use scheme as a native app and gets the code at cursor://', async () => {
  const callback = 'cursor://anysphere.cursor-mcp/oauth/callback';
  const client = await registerClient(gw.issuer, { client_name: 'Cursor', redirect_uris: [callback] });
  assert.equal(client.application_type, 'native');
  const a = await authorize(gw.issuer, new Browser(), ana, { client, redirectUri: callback, resource: gw.mcpUrl('a') });
  assert.deepEqual(a.pages, ['login', 'consent']);
  assert.match(pageText(a.lastHtml), /anysphere\.cursor-mcp/, 'the consent page names the redirect');
  assert.ok(a.final.href.startsWith(`${callback}?code=`), a.final.href);
  assert.equal(a.params.get('iss'), gw.issuer);
  assert.equal((await mcpCall(gw.mcpUrl('a'), tokensOf(await exchange(gw.issuer, client, a, { resource: gw.mcpUrl('a') })).access_token)).status, 200);
  // Schemes that are not apps, and codes in clear over a network, are refused (RFC 7591 §3.2.2).
  for (const redirect of ['javascript:alert(1)', 'data:text/html,hi', 'file:///tmp/x', 'http://cursor.example/callback']) {
    const refused = await register(gw.issuer, { redirect_uris: [redirect], token_endpoint_auth_method: 'none' });
    assert.equal(refused.status, 400, redirect);
    assert.equal(refused.json.error, 'invalid_redirect_uri', redirect);
  }
});

test('mcp-remote (the SDK client on localhost:3334) registers, signs in and calls a tool', async () => {
  const provider = new TestOAuthProvider(new Browser(), ana, 'http://localhost:3334/oauth/callback', undefined, {
    client_name: 'MCP CLI Proxy', client_uri: 'https://github.com/geelen/mcp-remote', software_id: '2e6dc280-f3c3-4e01-99a7-8181dbd1d23d', software_version: '0.1.0',
  });
  const client = await connectWithOAuth(gw.mcpUrl('b'), provider);
  try {
    assert.equal((await stored(provider.client!.client_id)).application_type, 'native');
    assert.equal(provider.visits[0]!.final.origin, 'http://localhost:3334');
    assert.match(pageText(provider.visits[0]!.lastHtml), /localhost:3334/);
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'via mcp-remote' } })), 'via mcp-remote');
  } finally {
    await client.close();
  }
});

test('a client that never refreshes keeps working until its access token expires, then gets 401 invalid_token', async () => {
  const { tokens } = await signInByHand(gw.issuer, ana, { resource: gw.mcpUrl('a') });
  const claims = claimsOf(tokens.access_token);
  assert.equal(tokens.expires_in, 240 * 60, 'the owner lengthened the lifetime to 4 hours');
  assert.equal(claims.exp - claims.iat, 240 * 60);
  for (let i = 0; i < 3; i++) assert.equal((await mcpCall(gw.mcpUrl('a'), tokens.access_token)).status, 200);
  // The same token, as it would be a moment before its expiry: accepted (and remembered), then
  // refused once exp passes, even though it was verified before.
  const now = Math.floor(Date.now() / 1000);
  const ending = await signWithOurKey(gw.secrets, { ...claims, jti: 'ending', iat: now - 240 * 60 + 2, exp: now + 2 });
  assert.equal((await mcpCall(gw.mcpUrl('a'), ending)).status, 200);
  await new Promise((r) => setTimeout(r, 3_100));
  const late = await mcpCall(gw.mcpUrl('a'), ending);
  assert.equal(late.status, 401);
  assert.match(late.challenge!, /error="invalid_token"/);
  assert.equal((await mcpCall(gw.mcpUrl('a'), tokens.access_token)).status, 200, 'the real one has hours left');
});

test('revoking the refresh token (RFC 7009) ends the grant: the refresh fails and so does the access token', async () => {
  const { client, tokens } = await signInByHand(gw.issuer, ana, { resource: gw.mcpUrl('a') });
  // Access tokens are JWTs: they cannot be revoked one by one, and saying so changes nothing.
  const jwt = await revoke(gw.issuer, client, tokens.access_token, 'access_token');
  assert.equal(jwt.status, 400);
  assert.equal(jwt.json.error, 'unsupported_token_type');
  assert.equal((await mcpCall(gw.mcpUrl('a'), tokens.access_token)).status, 200);
  // Another client cannot revoke it: answered 200 as RFC 7009 §2.2 allows, and nothing happens.
  const other = await registerClient(gw.issuer, { redirect_uris: ['http://127.0.0.1:3334/oauth/callback'] });
  assert.equal((await revoke(gw.issuer, other, tokens.refresh_token, 'refresh_token')).status, 200);
  assert.equal((await mcpCall(gw.mcpUrl('a'), tokens.access_token)).status, 200);
  // The client itself revokes it (e.g. the person disconnects the server).
  assert.equal((await revoke(gw.issuer, client, tokens.refresh_token, 'refresh_token')).status, 200);
  const refused = await refresh(gw.issuer, client, tokens.refresh_token);
  assert.equal(refused.status, 400);
  assert.equal(refused.json.error, 'invalid_grant');
  const call = await mcpCall(gw.mcpUrl('a'), tokens.access_token);
  assert.equal(call.status, 401);
  assert.match(call.challenge!, /error="invalid_token"/);
});

test('a browser-based client gets CORS on /token and /register: preflights succeed and answers are readable', async () => {
  const origin = 'https://inspector.example';
  for (const path of ['/token', '/register', '/revoke', '/.well-known/oauth-authorization-server']) {
    const res = await fetch(`${gw.issuer}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': path.startsWith('/.well-known') ? 'GET' : 'POST', 'access-control-request-headers': 'content-type' } });
    assert.equal(res.status, 204, path);
    assert.ok([origin, '*'].includes(res.headers.get('access-control-allow-origin')!), path);
  }
  const redirect = 'http://127.0.0.1:6274/oauth/callback';
  const reg = await fetch(`${gw.issuer}/register`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [redirect], token_endpoint_auth_method: 'none', client_name: 'Inspector' }) });
  assert.equal(reg.status, 201);
  assert.equal(reg.headers.get('access-control-allow-origin'), '*');
  const client = await reg.json() as { client_id: string };
  const a = await authorize(gw.issuer, new Browser(), ana, { client, redirectUri: redirect, resource: gw.mcpUrl('a') });
  const res = await token(gw.issuer, { grant_type: 'authorization_code', code: a.code, code_verifier: a.verifier, redirect_uri: redirect, client_id: client.client_id, resource: gw.mcpUrl('a') }, { origin });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), origin);
});

test('the metadata is the same at both well-known locations, and iss in every authorization response is byte-identical to it', async () => {
  const oauth = await (await fetch(`${gw.issuer}/.well-known/oauth-authorization-server`)).json() as Record<string, unknown>;
  const openid = await (await fetch(`${gw.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
  assert.deepEqual(openid, oauth);
  assert.equal(oauth.issuer, gw.issuer);
  assert.equal(oauth.authorization_response_iss_parameter_supported, true);
  const { authorization } = await signInByHand(gw.issuer, ana, { resource: gw.mcpUrl('a') });
  assert.ok(authorization.code);
  assert.equal(authorization.params.get('iss'), oauth.issuer, 'RFC 9207: compared as strings, no normalizing');
  const client = await registerClient(gw.issuer, { redirect_uris: ['http://127.0.0.1:3334/oauth/callback'] });
  const error = await authorize(gw.issuer, new Browser(), ana, { client, redirectUri: 'http://127.0.0.1:3334/oauth/callback', resource: gw.mcpUrl('a'), pkce: 'none' });
  assert.ok(error.params.get('error'));
  assert.equal(error.params.get('iss'), oauth.issuer, 'error responses carry it too');
});

test('registrations that never led to a grant are swept after a day; used ones stay', async () => {
  const redirect = 'http://127.0.0.1:3334/oauth/callback';
  const stale = await registerClient(gw.issuer, { client_name: 'Abandoned', redirect_uris: [redirect] });
  const used = await signInByHand(gw.issuer, ana, { resource: gw.mcpUrl('a') });
  const auth = gw.publisher.signIn!.auth!;
  assert.equal(await auth.sweepClients(Date.now() + 12 * 3600_000), 0, 'not yet a day old');
  assert.ok(await auth.sweepClients(Date.now() + 2 * 86_400_000) >= 1);
  const ids = (await gw.state.list<{ client_id: string }>('oidc.Client')).map((c) => c.value.client_id);
  assert.ok(!ids.includes(stale.client_id), 'the abandoned one is gone');
  assert.ok(ids.includes(used.client.client_id), 'the used one stays');
  const visit = await authorize(gw.issuer, new Browser(), ana, { client: stale, redirectUri: redirect, resource: gw.mcpUrl('a') });
  assert.deepEqual(visit.pages, ['error']);
  assert.match(pageText(visit.lastHtml), /invalid_client/);
  assert.equal((await mcpCall(gw.mcpUrl('a'), tokensOf(await refresh(gw.issuer, used.client, used.tokens.refresh_token)).access_token)).status, 200);
});

test('after 60 registrations in a minute, /register answers 429 with an OAuth error the SDK understands; other endpoints go on', async () => {
  const fresh = await startSignedInGateway({ solo: fixture('slow-server') }, { access });
  try {
    await fresh.addLocalUser('ana@example.com', 'ana-password-1');
    const metadata = { redirect_uris: ['http://127.0.0.1:3334/oauth/callback'], token_endpoint_auth_method: 'none' };
    const statuses = await Promise.all(Array.from({ length: 60 }, () => register(fresh.issuer, metadata).then((r) => r.status)));
    assert.deepEqual(new Set(statuses), new Set([201]));
    const res = await fetch(`${fresh.issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(metadata) });
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
    const error = await parseErrorResponse(res);
    assert.ok(error instanceof TooManyRequestsError, `${error.constructor.name}: ${error.message}`);
    // The limit is per endpoint: signing in with an existing registration still works.
    const { tokens } = await signInByHand(fresh.issuer, ana, { client: (await fresh.state.list<any>('oidc.Client'))[0]!.value });
    assert.equal((await mcpCall(fresh.mcpUrl('solo'), tokens.access_token)).status, 200);
  } finally {
    await fresh.close();
  }
});
