// Signing in through the owner's identity provider (DESIGN §4 step 3): a real oidc-provider as the
// upstream OIDC IdP, and a GitHub look-alike on loopback. Groups and organizations decide who
// gets in; the person then consents and uses the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, text } from '../support/gateway.ts';
import { freePort } from '../support/processes.ts';
import { Browser, TestOAuthProvider } from '../support/browser.ts';
import { startSignedInGateway, type SignedInGateway } from '../support/signed-in.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';
import { startFakeGithub, type FakeGithub } from '../support/fake-github.ts';
import { MemorySecretStore } from '../../src/secrets/memory-store.ts';
import { rememberSecret } from '../support/log-audit.ts';


let idp: TestIdp;
let github: FakeGithub;
let gw: SignedInGateway;

before(async () => {
  const port = await freePort();
  idp = await startIdp({
    redirectUris: [`http://127.0.0.1:${port}/login/oidc/callback`],
    users: [
      { id: 'ana-sub', username: 'ana', password: 'ana-idp-pass', email: 'ana@corp.example', emailVerified: true, name: 'Ana', groups: ['eng'] },
      { id: 'max-sub', username: 'max', password: 'max-idp-pass', email: 'max@corp.example', emailVerified: true, groups: ['sales'] },
      // An IdP whose users edit their own email and that does not say whether it is verified.
      { id: 'mallory-sub', username: 'mallory', password: 'mallory-idp-pass', email: 'boss@corp.example', groups: [] },
    ],
  });
  github = await startFakeGithub({
    users: [
      { id: 101, login: 'octo', emails: [{ email: 'octo@gh.example', primary: true, verified: true }], orgs: ['acme'] },
      { id: 102, login: 'stranger', emails: [{ email: 'stranger@gh.example', primary: true, verified: true }], orgs: ['other'] },
    ],
  });
  const secrets = new MemorySecretStore();
  await secrets.set('oidc-client-secret', idp.clientSecret);
  await secrets.set('github-client-secret', github.clientSecret);
  rememberSecret(idp.clientSecret);
  rememberSecret(github.clientSecret);
  gw = await startSignedInGateway({ slow: fixture('slow-server') }, {
    port, secrets,
    access: {
      login: {
        local: false,
        oidc: { issuer: idp.issuer, clientId: idp.clientId, clientSecret: { keychain: 'oidc-client-secret' }, label: 'Sign in with Corp', scopes: ['openid', 'email', 'profile', 'groups'] },
        github: { clientId: github.clientId, clientSecret: { keychain: 'github-client-secret' }, baseUrl: github.baseUrl, apiUrl: github.apiUrl },
      },
      allow: { groups: ['eng'], githubOrgs: ['acme'], emails: ['boss@corp.example'] },
      unknownUsers: 'deny',
    },
  });
});
after(async () => {
  await gw?.close();
  await idp?.close();
  await github?.close();
});

test('a person in an allowed group signs in through the OIDC IdP and calls a tool', async () => {
  const { client, provider } = await gw.connect('slow', { login: { via: 'oidc', username: 'ana', password: 'ana-idp-pass' } });
  assert.deepEqual(provider.visits[0]!.pages, ['login', 'consent']);
  assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'via corp' } })), 'via corp');
  const ana = gw.publisher.signIn!.users.list().find((u) => u.email === 'ana@corp.example')!;
  assert.equal(ana.status, 'allowed');
  assert.deepEqual(ana.groups, ['eng']);
  assert.ok(idp.requests.includes('/token'), 'the code was exchanged at the IdP');
});

test('a person outside the allowed groups is refused with a clear page', async () => {
  const provider = new TestOAuthProvider(new Browser(), { login: { via: 'oidc', username: 'max', password: 'max-idp-pass' } });
  await assert.rejects(gw.connect('slow', provider.person, { provider }), /no code/);
  assert.deepEqual(provider.visits[0]!.pages, ['login', 'denied']);
  assert.match(provider.visits[0]!.lastHtml, /max@corp\.example/);
});

test("an email the IdP does not say is verified does not match the allow list (someone could have typed the boss's address)", async () => {
  const provider = new TestOAuthProvider(new Browser(), { login: { via: 'oidc', username: 'mallory', password: 'mallory-idp-pass' } });
  await assert.rejects(gw.connect('slow', provider.person, { provider }), /no code/);
  assert.deepEqual(provider.visits[0]!.pages, ['login', 'denied']);
  const mallory = gw.publisher.signIn!.users.list().find((u) => u.logins.some((l) => l.subject === 'mallory-sub'))!;
  assert.equal(mallory.status, 'denied');
  assert.equal(mallory.emailVerified, false);
});

test('a member of an allowed GitHub organization signs in with GitHub; others are refused', async () => {
  github.signIn('octo');
  const { client } = await gw.connect('slow', { login: { via: 'github' } });
  assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'via github' } })), 'via github');
  const octo = gw.publisher.signIn!.users.list().find((u) => u.githubLogin === 'octo')!;
  assert.deepEqual(octo.githubOrgs, ['acme']);
  github.signIn('stranger');
  const provider = new TestOAuthProvider(new Browser(), { login: { via: 'github' } });
  await assert.rejects(gw.connect('slow', provider.person, { provider }), /no code/);
  assert.deepEqual(provider.visits[0]!.pages, ['login', 'denied']);
});

test('an IdP link started in one browser cannot sign someone else in (login CSRF)', async () => {
  const { registerClient, authorizeUrl, pkce } = await import('../support/oauth.ts');
  const client = await registerClient(gw.issuer, { redirect_uris: ['http://127.0.0.1:3334/cb'], token_endpoint_auth_method: 'none', client_name: 'attack' });
  const attacker = new Browser();
  // The attacker starts a GitHub sign-in on an interaction of their own…
  let res = await attacker.fetch(authorizeUrl(gw.issuer, { client_id: client.client_id, redirect_uri: 'http://127.0.0.1:3334/cb', response_type: 'code', code_challenge: pkce().challenge, code_challenge_method: 'S256', resource: gw.mcpUrl('slow') }));
  const interaction = new URL(res.headers.get('location')!, gw.issuer);
  res = await attacker.fetch(new URL(`${interaction.pathname}/start/github`, gw.issuer));
  const githubUrl = new URL(res.headers.get('location')!);
  // …and gets the victim, already signed in at GitHub, to open the link.
  github.signIn('octo');
  const victim = new Browser();
  const atGithub = await victim.fetch(githubUrl);
  const callback = new URL(atGithub.headers.get('location')!);
  const landed = await victim.fetch(callback);
  assert.equal(landed.status, 400);
  assert.match(await landed.text(), /did not start here/);
  // The attacker's interaction learned nothing.
  const complete = await attacker.fetch(new URL(`${interaction.pathname}/complete`, gw.issuer));
  assert.equal(complete.status, 400);
});
