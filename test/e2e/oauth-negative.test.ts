// Stories of clients that get OAuth wrong, and of people who try to: no or plain PKCE, a wrong
// verifier, a code used twice or too late, a redirect URI that was never registered, a token for
// another server, forged and expired tokens, a refresh token used twice, unknown clients and
// client ID metadata documents on private addresses. Each is refused with the error its RFC
// names, and nothing else changes: what should still work works, what should be gone is gone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import { fixture, text } from '../support/gateway.ts';
import { Browser, TestOAuthProvider, text as pageText } from '../support/browser.ts';
import { connectWithOAuth, startSignedInGateway, type SignedInGateway } from '../support/signed-in.ts';
import { openStateStore } from '../../src/state/state-store.ts';
import {
  authorize, claimsOf, exchange, mcpCall, refresh, registerClient, signInByHand, signWithOurKey, token, tokensOf,
} from '../support/oauth.ts';

const ana = { login: { email: 'ana@example.com', password: 'ana-password-1' } };
const REDIRECT = 'http://127.0.0.1:3334/oauth/callback';
/** How far ahead of the real clock the state store's clock runs (to let codes expire). */
let ahead = 0;
/** Client ID metadata documents the authorization server fetched (it may fetch none of these). */
const fetched: string[] = [];

let gw: SignedInGateway;
before(async () => {
  const state = await openStateStore({ now: () => Date.now() + ahead });
  gw = await startSignedInGateway({ a: fixture('slow-server'), b: fixture('slow-server') }, {
    access: { allow: { emails: ['ana@example.com'] } },
    state,
    // Serves a valid document for any URL: if one on a private address is refused, the SSRF rule
    // refused it, not a failed fetch.
    authTest: {
      fetchOverride: (url) => {
        fetched.push(url);
        return Response.json({ client_id: url, client_name: 'Private', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
      },
    },
  });
  await gw.addLocalUser('ana@example.com', 'ana-password-1');
});
after(async () => { await gw.close(); });

test('an authorization without PKCE goes back to the client as invalid_request, before anyone is asked to sign in', async () => {
  const client = await registerClient(gw.issuer, { redirect_uris: [REDIRECT] });
  const browser = new Browser();
  const refused = await authorize(gw.issuer, browser, ana, { client, redirectUri: REDIRECT, resource: gw.mcpUrl('a'), pkce: 'none' });
  assert.deepEqual(refused.pages, [], 'no sign-in page was shown');
  assert.equal(refused.params.get('error'), 'invalid_request');
  assert.match(refused.params.get('error_description')!, /PKCE/);
  assert.equal(refused.params.get('iss'), gw.issuer);
  assert.equal(refused.code, undefined);
  // The client did nothing wrong that lasts: with PKCE it signs in.
  const ok = await authorize(gw.issuer, browser, ana, { client, redirectUri: REDIRECT, resource: gw.mcpUrl('a') });
  assert.equal((await mcpCall(gw.mcpUrl('a'), tokensOf(await exchange(gw.issuer, client, ok)).access_token)).status, 200);
});

test('plain PKCE is refused with invalid_request: only S256 is accepted (OAuth 2.1)', async () => {
  const client = await registerClient(gw.issuer, { redirect_uris: [REDIRECT] });
  const refused = await authorize(gw.issuer, new Browser(), ana, { client, redirectUri: REDIRECT, resource: gw.mcpUrl('a'), pkce: 'plain' });
  assert.deepEqual(refused.pages, []);
  assert.equal(refused.params.get('error'), 'invalid_request');
  assert.match(refused.params.get('error_description')!, /code_challenge_method/);
  assert.equal(refused.code, undefined);
});

test('a wrong code_verifier is invalid_grant, and the code stays good for the client that holds the right one', async () => {
  const client = await registerClient(gw.issuer, { redirect_uris: [REDIRECT] });
  const a = await authorize(gw.issuer, new Browser(), ana, { client, redirectUri: REDIRECT, resource: gw.mcpUrl('a') });
  // Someone who intercepted the code but not the verifier.
  const stolen = await exchange(gw.issuer, client, { ...a, verifier: 'x'.repeat(43) });
  assert.equal(stolen.status, 400);
  assert.equal(stolen.json.error, 'invalid_grant');
  assert.equal(stolen.json.access_token, undefined);
  const tokens = tokensOf(await exchange(gw.issuer, client, a));
  assert.equal((await mcpCall(gw.mcpUrl('a'), tokens.access_token)).status, 200);
});

test('an authorization code used twice is invalid_grant, and the tokens issued from it are revoked (RFC 6749 §4.1.2)', async () => {
  const { client, authorization, tokens } = await signInByHand(gw.issuer, ana, { resource: gw.mcpUrl('a') });
  assert.equal((await mcpCall(gw.mcpUrl('a'), tokens.access_token)).status, 200);
  const replay = await exchange(gw.issuer, client, authorization);
  assert.equal(replay.status, 400);
  assert.equal(replay.json.error, 'invalid_grant');
  const call = await mcpCall(gw.mcpUrl('a'), tokens.access_token);
  assert.equal(call.status, 401, 'the access token from the first exchange is dead');
  assert.match(call.challenge!, /error="invalid_token"/);
  assert.equal((await refresh(gw.issuer, client, tokens.refresh_token)).json.error, 'invalid_grant', 'so is the refresh token');
});

test('an authorization code expires after 60 s: then it is invalid_grant, and signing in again works', async () => {
  const client = await registerClient(gw.issuer, { redirect_uris: [REDIRECT] });
  const browser = new Browser();
  const a = await authorize(gw.issuer, browser, ana, { client, redirectUri: REDIRECT, resource: gw.mcpUrl('a') });
  const [stored] = (await gw.state.list('oidc.AuthorizationCode')).slice(-1);
  assert.ok(stored!.expiresAt! - Date.now() <= 60_000, 'stored for a minute at most');
  ahead = 61_000;
  try {
    const late = await exchange(gw.issuer, client, a);
    assert.equal(late.status, 400);
    assert.equal(late.json.error, 'invalid_grant');
  } finally {
    ahead = 0;
  }
  assert.equal((await exchange(gw.issuer, client, a)).json.error, 'invalid_grant', 'the expired code is gone for good');
  const again = await authorize(gw.issuer, browser, ana, { client, redirectUri: REDIRECT, resource: gw.mcpUrl('a') });
  assert.deepEqual(again.pages, [], 'still signed in and consented: straight back with a code');
  assert.equal((await mcpCall(gw.mcpUrl('a'), tokensOf(await exchange(gw.issuer, client, again)).access_token)).status, 200);
});

test('a redirect URI that was not registered gets an error page at /authorize, never a redirect to it', async () => {
  const client = await registerClient(gw.issuer, { redirect_uris: [REDIRECT] });
  for (const redirectUri of ['https://attacker.example/callback', 'http://127.0.0.1:3334/elsewhere', `${REDIRECT}?next=x`]) {
    const refused = await authorize(gw.issuer, new Browser(), ana, { client, redirectUri, resource: gw.mcpUrl('a') });
    assert.equal(refused.final.origin, new URL(gw.issuer).origin, `${redirectUri}: we never redirected there`);
    assert.deepEqual(refused.pages, ['error']);
    assert.match(pageText(refused.lastHtml), /invalid_redirect_uri/);
  }
  const ok = await authorize(gw.issuer, new Browser(), ana, { client, redirectUri: REDIRECT, resource: gw.mcpUrl('a') });
  assert.ok(ok.code, 'the registered one still works');
});

test('a code exchanged with another redirect_uri than it was issued for is invalid_grant; with the right one it works', async () => {
  const other = 'http://127.0.0.1:3334/other-callback';
  const client = await registerClient(gw.issuer, { redirect_uris: [REDIRECT, other] });
  const a = await authorize(gw.issuer, new Browser(), ana, { client, redirectUri: REDIRECT, resource: gw.mcpUrl('a') });
  const mismatched = await exchange(gw.issuer, client, { ...a, redirectUri: other });
  assert.equal(mismatched.status, 400);
  assert.equal(mismatched.json.error, 'invalid_grant');
  assert.equal((await mcpCall(gw.mcpUrl('a'), tokensOf(await exchange(gw.issuer, client, a)).access_token)).status, 200);
});

test("a token for server A is refused by B, and a refresh asking for B is invalid_target without costing the client its refresh token", async () => {
  const { client, tokens } = await signInByHand(gw.issuer, ana, { resource: gw.mcpUrl('a') });
  const onB = await mcpCall(gw.mcpUrl('b'), tokens.access_token);
  assert.equal(onB.status, 401);
  assert.match(onB.challenge!, /error="invalid_token"/);
  assert.match(onB.challenge!, new RegExp(`resource_metadata="${gw.issuer}/.well-known/oauth-protected-resource/servers/b/mcp"`), 'B tells the client where to start for B');
  assert.equal((await mcpCall(gw.mcpUrl('a'), tokens.access_token)).status, 200, 'still good on A');
  // RFC 8707 §2.2: a resource the grant does not cover, ours or not, is invalid_target.
  for (const resource of [gw.mcpUrl('b'), 'https://elsewhere.example/mcp']) {
    const refused = await refresh(gw.issuer, client, tokens.refresh_token, { resource });
    assert.equal(refused.status, 400, resource);
    assert.equal(refused.json.error, 'invalid_target', resource);
  }
  const renewed = tokensOf(await refresh(gw.issuer, client, tokens.refresh_token, { resource: gw.mcpUrl('a') }));
  assert.equal(claimsOf(renewed.access_token).aud, gw.mcpUrl('a'));
  assert.equal((await mcpCall(gw.mcpUrl('a'), renewed.access_token)).status, 200);
});

test('a code exchanged for another server than it was authorized for is invalid_target and issues nothing', async () => {
  const client = await registerClient(gw.issuer, { redirect_uris: [REDIRECT] });
  const a = await authorize(gw.issuer, new Browser(), ana, { client, redirectUri: REDIRECT, resource: gw.mcpUrl('a') });
  const refused = await exchange(gw.issuer, client, a, { resource: gw.mcpUrl('b') });
  assert.equal(refused.status, 400);
  assert.equal(refused.json.error, 'invalid_target');
  assert.equal(refused.json.access_token, undefined);
  // oidc-provider marks the code used before it resolves the resource: the code cannot be
  // replayed for tokens afterwards either (the client starts a new authorization).
  assert.equal((await exchange(gw.issuer, client, a)).json.error, 'invalid_grant');
});

test('a tampered access token is 401 invalid_token with a challenge; the untouched one still works', async () => {
  const { tokens } = await signInByHand(gw.issuer, ana, { resource: gw.mcpUrl('a') });
  const [header, payload, signature] = tokens.access_token.split('.') as [string, string, string];
  const i = 20;
  const flipped = `${header}.${payload}.${signature.slice(0, i)}${signature[i] === 'A' ? 'B' : 'A'}${signature.slice(i + 1)}`;
  const claims = claimsOf(tokens.access_token);
  const altered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else', exp: claims.exp + 86_400 })).toString('base64url')}.${signature}`;
  for (const [what, forged] of [['a flipped signature byte', flipped], ['an altered payload', altered]]) {
    const call = await mcpCall(gw.mcpUrl('a'), forged!);
    assert.equal(call.status, 401, what!);
    assert.match(call.challenge!, /^Bearer resource_metadata="[^"]+\/servers\/a\/mcp"/, what);
    assert.match(call.challenge!, /error="invalid_token"/, what);
    assert.equal(call.json.error, 'invalid_token', what);
  }
  assert.equal((await mcpCall(gw.mcpUrl('a'), tokens.access_token)).status, 200);
});

test('a token signed with our own key is refused once its exp has passed, and one signed with another key always', async () => {
  const { tokens } = await signInByHand(gw.issuer, ana, { resource: gw.mcpUrl('a') });
  const claims = claimsOf(tokens.access_token);
  const now = Math.floor(Date.now() / 1000);
  // The control: the same claims with a future exp, signed by us, are accepted.
  assert.equal((await mcpCall(gw.mcpUrl('a'), await signWithOurKey(gw.secrets, { ...claims, jti: 'fresh', iat: now, exp: now + 600 }))).status, 200);
  const expired = await mcpCall(gw.mcpUrl('a'), await signWithOurKey(gw.secrets, { ...claims, jti: 'stale', iat: now - 7200, exp: now - 3600 }));
  assert.equal(expired.status, 401);
  assert.match(expired.challenge!, /error="invalid_token"/);
  assert.match(expired.json.error_description, /exp/);
  // Same kid, same claims, someone else's key.
  const { privateKey } = await jose.generateKeyPair('ES256');
  const { kid } = jose.decodeProtectedHeader(tokens.access_token);
  const foreign = await new jose.SignJWT({ ...claims, exp: now + 600 }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid }).sign(privateKey);
  const refused = await mcpCall(gw.mcpUrl('a'), foreign);
  assert.equal(refused.status, 401);
  assert.match(refused.challenge!, /error="invalid_token"/);
});

test('a refresh token used twice is invalid_grant and revokes the whole family: the newest refresh token and every access token', async () => {
  const { client, tokens: first } = await signInByHand(gw.issuer, ana, { resource: gw.mcpUrl('a') });
  const second = tokensOf(await refresh(gw.issuer, client, first.refresh_token));
  assert.equal((await mcpCall(gw.mcpUrl('a'), second.access_token)).status, 200);
  // Someone replays the rotated-out refresh token.
  const replay = await refresh(gw.issuer, client, first.refresh_token);
  assert.equal(replay.status, 400);
  assert.equal(replay.json.error, 'invalid_grant');
  assert.equal((await refresh(gw.issuer, client, second.refresh_token)).json.error, 'invalid_grant', 'the newest refresh token is dead');
  for (const t of [first.access_token, second.access_token]) {
    const call = await mcpCall(gw.mcpUrl('a'), t);
    assert.equal(call.status, 401);
    assert.match(call.challenge!, /error="invalid_token"/);
  }
});

test('an unknown client_id gets an error page at /authorize (no redirect anywhere) and invalid_client at /token', async () => {
  const visit = await authorize(gw.issuer, new Browser(), ana, { client: { client_id: 'no-such-client' }, redirectUri: 'https://attacker.example/cb', resource: gw.mcpUrl('a') });
  assert.equal(visit.final.origin, new URL(gw.issuer).origin);
  assert.deepEqual(visit.pages, ['error']);
  assert.match(pageText(visit.lastHtml), /invalid_client/);
  const res = await token(gw.issuer, { grant_type: 'authorization_code', code: 'x', code_verifier: 'y'.repeat(43), redirect_uri: REDIRECT, client_id: 'no-such-client' });
  assert.equal(res.status, 401);
  assert.equal(res.json.error, 'invalid_client');
  const basic = await token(gw.issuer, { grant_type: 'refresh_token', refresh_token: 'x' }, { basic: ['no-such-client', 'secret'] });
  assert.equal(basic.status, 401);
  assert.equal(basic.json.error, 'invalid_client');
});

test('a client ID metadata document on a private or loopback address is never fetched: invalid_client', async () => {
  fetched.length = 0;
  for (const clientId of ['https://127.0.0.1:9/client.json', 'https://localhost/client.json', 'https://[::1]/client.json', 'https://10.1.2.3/client.json', 'https://169.254.169.254/latest/meta-data']) {
    const visit = await authorize(gw.issuer, new Browser(), ana, { client: { client_id: clientId }, redirectUri: REDIRECT, resource: gw.mcpUrl('a') });
    assert.equal(visit.final.origin, new URL(gw.issuer).origin, clientId);
    assert.deepEqual(visit.pages, ['error'], clientId);
    assert.match(pageText(visit.lastHtml), /invalid_client/, clientId);
    const res = await token(gw.issuer, { grant_type: 'refresh_token', refresh_token: 'x', client_id: clientId });
    assert.equal(res.json.error, 'invalid_client', clientId);
  }
  assert.deepEqual(fetched, [], 'no request left for a private address');
});

test('a client with a metadata document on a public https URL signs in with the SDK, without registering', async () => {
  const documentUrl = 'https://client.example/mcp/client-metadata.json';
  const seen: string[] = [];
  const cimd = await startSignedInGateway({ a: fixture('slow-server') }, {
    access: { allow: { emails: ['ana@example.com'] } },
    authTest: {
      // client.example does not resolve in the test sandbox: let the SSRF check pass it.
      allowPrivateMetadataDocuments: true,
      fetchOverride: (url) => {
        if (url !== documentUrl) return undefined;
        seen.push(url);
        return Response.json({ client_id: documentUrl, client_name: 'Metadata Document Client', client_uri: 'https://client.example', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] }, { headers: { 'cache-control': 'max-age=600' } });
      },
    },
  });
  try {
    await cimd.addLocalUser('ana@example.com', 'ana-password-1');
    const provider = new TestOAuthProvider(new Browser(), ana, REDIRECT, documentUrl);
    const client = await connectWithOAuth(cimd.mcpUrl('a'), provider);
    try {
      assert.equal(provider.client!.client_id, documentUrl);
      assert.deepEqual(provider.visits[0]!.pages, ['login', 'consent']);
      assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'by document' } })), 'by document');
      const claims = claimsOf(provider.tokens()!.access_token);
      assert.equal(claims.client_id, documentUrl);
      assert.equal(claims.aud, cimd.mcpUrl('a'));
      assert.deepEqual(await cimd.state.list('oidc.Client'), [], 'nothing was registered');
      assert.ok(seen.length >= 1, 'the document was fetched');
    } finally {
      await client.close();
    }
  } finally {
    await cimd.close();
  }
});
