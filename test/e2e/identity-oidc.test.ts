// Signing in through an OpenID Connect IdP: a real oidc-provider on loopback plays the company
// IdP; OidcLogin starts the flow, the "browser" signs in at the IdP, OidcLogin finishes it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStateStore } from '../../src/state/state-store.ts';
import { LoginError } from '../../src/identity/login-error.ts';
import { loginRedirectUris, PendingLogins } from '../../src/identity/login-provider.ts';
import { OidcLogin } from '../../src/identity/oidc-login.ts';
import { createLoginProviders } from '../../src/identity/login-setup.ts';
import { MemorySecretStore } from '../../src/secrets/memory-store.ts';
import { AccessConfig } from '../../src/config/schema.ts';
import { startIdp, type IdpUser, type TestIdp } from '../support/idp.ts';

const PUBLIC_URL = 'https://mcp.example.test';
const REDIRECT = loginRedirectUris(PUBLIC_URL).oidc;
const USERS: IdpUser[] = [
  { id: 'u-ana', username: 'ana', password: 'ana-pass', email: 'Ana@Example.com', emailVerified: true, name: 'Ana Lima', groups: ['staff', 'mcp-users'] },
  { id: 'u-bob', username: 'bob', password: 'bob-pass', email: 'bob@elsewhere.test', emailVerified: false, name: 'Bob' },
  { id: 'u-eve', username: 'eve', password: 'eve-pass', name: 'Eve (no email)' },
];

describe('OIDC sign-in against a real IdP', () => {
  let idp: TestIdp;
  let idpWithClaims: TestIdp;
  before(async () => {
    idp = await startIdp({ users: USERS, redirectUris: [REDIRECT] });
    idpWithClaims = await startIdp({ users: USERS, redirectUris: [REDIRECT], claimsInIdToken: true, tokenEndpointAuthMethod: 'client_secret_post' });
  });
  after(async () => { await idp.close(); await idpWithClaims.close(); });

  const loginFor = (i: TestIdp, extra: Partial<ConstructorParameters<typeof OidcLogin>[0]> = {}) =>
    new OidcLogin({ issuer: i.issuer, clientId: i.clientId, clientSecret: i.clientSecret, scopes: ['openid', 'email', 'profile', 'groups'], ...extra });

  it('Ana signs in and we learn her email, its verification, her name and her groups (from userinfo)', async () => {
    const login = loginFor(idp);
    const { url, pending } = await login.start(REDIRECT);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(url.searchParams.get('redirect_uri'), REDIRECT);
    assert.ok(url.searchParams.get('nonce') && url.searchParams.get('state') === pending.state);
    assert.ok(!url.href.includes(pending.codeVerifier), 'the PKCE verifier never leaves the server');
    const callback = await idp.login(url, 'ana', 'ana-pass');
    const seen = idp.requests.length;
    const profile = await login.finish(callback, pending);
    assert.deepEqual(profile, {
      provider: 'oidc', subject: 'u-ana', email: 'Ana@Example.com', emailVerified: true, name: 'Ana Lima', groups: ['staff', 'mcp-users'],
    });
    assert.ok(idp.requests.slice(seen).includes('/me'), 'claims missing from the ID token came from userinfo');
  });

  it('claims already in the ID token need no userinfo call; client_secret_post is used when that is all the IdP takes', async () => {
    const login = loginFor(idpWithClaims);
    const { url, pending } = await login.start(REDIRECT);
    const callback = await idpWithClaims.login(url, 'ana', 'ana-pass');
    const seen = idpWithClaims.requests.length;
    const profile = await login.finish(callback.searchParams, pending);
    assert.equal(profile.email, 'Ana@Example.com');
    assert.deepEqual(profile.groups, ['staff', 'mcp-users']);
    assert.ok(!idpWithClaims.requests.slice(seen).includes('/me'));
    assert.equal(idpWithClaims.tokenAuth.at(-1), 'post');
    assert.equal(idp.tokenAuth.at(-1), 'basic');
  });

  it('an unverified email comes through as emailVerified: false', async () => {
    const login = loginFor(idp);
    const { url, pending } = await login.start(REDIRECT);
    const profile = await login.finish(await idp.login(url, 'bob', 'bob-pass'), pending);
    assert.equal(profile.email, 'bob@elsewhere.test');
    assert.equal(profile.emailVerified, false);
    assert.deepEqual(profile.groups, []);
  });

  it('a configurable identity claim: "sub" as identity, and a missing identity claim is a clear error', async () => {
    const bySub = loginFor(idp, { identityClaim: 'sub' });
    let s = await bySub.start(REDIRECT);
    const profile = await bySub.finish(await idp.login(s.url, 'ana', 'ana-pass'), s.pending);
    assert.equal(profile.email, 'u-ana');
    assert.equal(profile.emailVerified, undefined, 'only the email claim carries email_verified');

    const byEmail = loginFor(idp);
    s = await byEmail.start(REDIRECT);
    const callback = await idp.login(s.url, 'eve', 'eve-pass');
    await assert.rejects(byEmail.finish(callback, s.pending), (e: unknown) => e instanceof LoginError && e.code === 'missing_claim' && e.expose);
  });

  it('a callback with another state is refused before the code is used', async () => {
    const login = loginFor(idp);
    const first = await login.start(REDIRECT);
    const second = await login.start(REDIRECT);
    const callback = await idp.login(first.url, 'ana', 'ana-pass');
    await assert.rejects(login.finish(callback, second.pending), (e: unknown) => e instanceof LoginError && e.code === 'state_mismatch');
    const forged = new URL(callback);
    forged.searchParams.set('state', 'forged');
    await assert.rejects(login.finish(forged, first.pending), (e: unknown) => e instanceof LoginError && e.code === 'state_mismatch');
    // The code was not spent by the refused attempts.
    assert.equal((await login.finish(callback, first.pending)).subject, 'u-ana');
  });

  it('a replayed callback is refused: by the pending-login store, and by the IdP if it gets that far', async () => {
    const state = await openStateStore();
    const pendings = new PendingLogins(state);
    const login = loginFor(idp);
    const { url, pending } = await login.start(REDIRECT);
    await pendings.save(pending);
    const callback = await idp.login(url, 'ana', 'ana-pass');

    const taken = await pendings.take(callback.searchParams.get('state'));
    assert.ok(taken);
    await login.finish(callback, taken);
    assert.equal(await pendings.take(callback.searchParams.get('state')), undefined, 'a pending login is good once');

    await assert.rejects(login.finish(callback, pending), (e: unknown) =>
      e instanceof LoginError && e.code === 'token_exchange_failed' && e.error === 'invalid_grant');
    await state.close();
  });

  it('a wrong PKCE verifier is refused by the IdP', async () => {
    const login = loginFor(idp);
    const { url, pending } = await login.start(REDIRECT);
    const callback = await idp.login(url, 'ana', 'ana-pass');
    await assert.rejects(login.finish(callback, { ...pending, codeVerifier: 'x'.repeat(43) }), (e: unknown) =>
      e instanceof LoginError && e.code === 'token_exchange_failed' && e.error === 'invalid_grant');
  });

  it('a nonce that does not match the ID token is refused', async () => {
    const login = loginFor(idp);
    const { url, pending } = await login.start(REDIRECT);
    const callback = await idp.login(url, 'ana', 'ana-pass');
    await assert.rejects(login.finish(callback, { ...pending, nonce: 'another-nonce' }), (e: unknown) => e instanceof LoginError && e.code === 'id_token_invalid');
  });

  it('an error sent back by the IdP (the person cancelled) is an idp_error with the IdP fields', async () => {
    const login = loginFor(idp);
    const { pending } = await login.start(REDIRECT);
    const callback = new URL(`${REDIRECT}?error=access_denied&error_description=End-User+aborted+interaction&state=${pending.state}&iss=${encodeURIComponent(idp.issuer)}`);
    await assert.rejects(login.finish(callback, pending), (e: unknown) =>
      e instanceof LoginError && e.code === 'idp_error' && e.error === 'access_denied' && e.expose);
  });

  it('an unreachable issuer is discovery_failed, and http:// is refused off loopback', async () => {
    const login = new OidcLogin({ issuer: 'http://127.0.0.1:9', clientId: 'x' });
    await assert.rejects(login.start(REDIRECT), (e: unknown) => e instanceof LoginError && e.code === 'discovery_failed');
    assert.throws(() => new OidcLogin({ issuer: 'http://idp.example.com', clientId: 'x' }), (e: unknown) => e instanceof LoginError && e.code === 'misconfigured');
  });

  it('the providers come from the config, secrets from the SecretStore; a missing secret is named', async () => {
    const access = AccessConfig.parse({ login: { oidc: { issuer: idp.issuer, clientId: idp.clientId, clientSecret: { keychain: 'oidc-secret' }, scopes: ['openid', 'email', 'groups'] } } });
    await assert.rejects(createLoginProviders(access, { secrets: new MemorySecretStore() }), (e: unknown) =>
      e instanceof LoginError && e.code === 'misconfigured' && e.message.includes('"oidc-secret"'));
    const [provider, ...rest] = await createLoginProviders(access, { secrets: new MemorySecretStore({ 'oidc-secret': idp.clientSecret }) });
    assert.equal(rest.length, 0);
    assert.equal(provider!.id, 'oidc');
    assert.match(provider!.label, /127\.0\.0\.1/);
    const { url, pending } = await provider!.start(REDIRECT);
    const profile = await provider!.finish(await idp.login(url, 'ana', 'ana-pass'), pending);
    assert.deepEqual(profile.groups, ['staff', 'mcp-users']);
  });

  it('the redirect URIs to register follow from the public URL', () => {
    assert.deepEqual(loginRedirectUris('https://abc.loca.lt/'), {
      oidc: 'https://abc.loca.lt/login/oidc/callback', github: 'https://abc.loca.lt/login/github/callback',
    });
  });
});
