// Signing in with GitHub: GithubLogin against a fake GitHub on loopback (authorize, token, REST
// API), as configured for GitHub Enterprise Server (base URL and API URL are settings).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AccessConfig } from '../../src/config/schema.ts';
import { GithubLogin } from '../../src/identity/github-login.ts';
import { LoginError } from '../../src/identity/login-error.ts';
import { loginRedirectUris } from '../../src/identity/login-provider.ts';
import { createLoginProviders } from '../../src/identity/login-setup.ts';
import { decide } from '../../src/identity/policy.ts';
import { MemorySecretStore } from '../../src/secrets/memory-store.ts';
import { startFakeGithub, type FakeGithub } from '../support/fake-github.ts';

const REDIRECT = loginRedirectUris('https://mcp.example.test').github;

describe('GitHub sign-in', () => {
  let gh: FakeGithub;
  before(async () => {
    gh = await startFakeGithub({
      pageSize: 2,
      users: [
        {
          id: 583231, login: 'octocat', name: 'The Octocat', orgs: ['github', 'acme', 'Octo-Org'], teams: ['acme/platform', 'acme/docs', 'octo-org/owners'],
          emails: [{ email: 'octo@old.example', primary: false, verified: true }, { email: 'octocat@github.example', primary: true, verified: true }],
        },
        { id: 42, login: 'newbie', name: null, emails: [{ email: 'newbie@example.com', primary: true, verified: false }] },
      ],
    });
  });
  after(async () => { await gh.close(); });

  const login = (readOrgs = false) => new GithubLogin({ clientId: gh.clientId, clientSecret: gh.clientSecret, baseUrl: gh.baseUrl, apiUrl: gh.apiUrl, readOrgs });

  it('octocat signs in: numeric id as subject, verified primary email, name', async () => {
    gh.signIn('octocat');
    const github = login();
    const { url, pending } = await github.start(REDIRECT);
    assert.equal(url.origin + url.pathname, `${gh.baseUrl}/login/oauth/authorize`);
    assert.equal(url.searchParams.get('scope'), 'read:user user:email');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    const profile = await github.finish(await gh.authorize(url), pending);
    assert.deepEqual(profile, {
      provider: 'github', subject: '583231', email: 'octocat@github.example', emailVerified: true, name: 'The Octocat', groups: [], githubLogin: 'octocat',
    });
    assert.ok(!gh.apiCalls.some((c) => c.startsWith('/user/orgs')), 'orgs are not read unless the allow list needs them');
  });

  it('with org and team rules, it asks for read:org and reads every page of orgs and teams', async () => {
    gh.signIn('octocat');
    const github = login(true);
    const { url, pending } = await github.start(REDIRECT);
    assert.equal(url.searchParams.get('scope'), 'read:user user:email read:org');
    const profile = await github.finish(await gh.authorize(url), pending);
    assert.deepEqual(profile.githubOrgs, ['github', 'acme', 'Octo-Org']);
    assert.deepEqual(profile.githubTeams, ['acme/platform', 'acme/docs', 'octo-org/owners']);
    const access = AccessConfig.parse({ allow: { githubTeams: ['Octo-Org/owners'] }, unknownUsers: 'deny' });
    assert.equal(decide(profile, undefined, access).rule, 'allow-github-team');
  });

  it('a pagination link to another host is not followed, so the token goes nowhere else', async () => {
    gh.signIn('octocat');
    gh.nextLinkOrigin = 'http://127.0.0.1:9';
    try {
      const github = login(true);
      const { url, pending } = await github.start(REDIRECT);
      const profile = await github.finish(await gh.authorize(url), pending);
      assert.deepEqual(profile.githubOrgs, ['github', 'acme']);
    } finally {
      gh.nextLinkOrigin = undefined;
    }
  });

  it('an account whose primary email is not verified is refused with a message for the person', async () => {
    gh.signIn('newbie');
    const github = login();
    const { url, pending } = await github.start(REDIRECT);
    await assert.rejects(github.finish(await gh.authorize(url), pending), (e: unknown) =>
      e instanceof LoginError && e.code === 'no_verified_email' && e.expose && /verified primary email/.test(e.message));
  });

  it('a callback with the wrong state is refused; a replayed code is refused by GitHub', async () => {
    gh.signIn('octocat');
    const github = login();
    const a = await github.start(REDIRECT);
    const b = await github.start(REDIRECT);
    const callback = await gh.authorize(a.url);
    await assert.rejects(github.finish(callback, b.pending), (e: unknown) => e instanceof LoginError && e.code === 'state_mismatch');
    await github.finish(callback, a.pending);
    await assert.rejects(github.finish(callback, a.pending), (e: unknown) =>
      e instanceof LoginError && e.code === 'token_exchange_failed' && e.error === 'bad_verification_code');
  });

  it('a wrong PKCE verifier, a wrong client secret: the token endpoint refuses', async () => {
    gh.signIn('octocat');
    let github = login();
    let s = await github.start(REDIRECT);
    await assert.rejects(github.finish(await gh.authorize(s.url), { ...s.pending, codeVerifier: 'nope' }), (e: unknown) =>
      e instanceof LoginError && e.code === 'token_exchange_failed');
    github = new GithubLogin({ clientId: gh.clientId, clientSecret: 'wrong', baseUrl: gh.baseUrl, apiUrl: gh.apiUrl });
    s = await github.start(REDIRECT);
    await assert.rejects(github.finish(await gh.authorize(s.url), s.pending), (e: unknown) =>
      e instanceof LoginError && e.code === 'token_exchange_failed' && e.error === 'incorrect_client_credentials' && !e.expose);
  });

  it('the person clicks "Cancel" at GitHub: idp_error with access_denied', async () => {
    gh.signIn('octocat', { approve: false });
    const github = login();
    const { url, pending } = await github.start(REDIRECT);
    await assert.rejects(github.finish(await gh.authorize(url), pending), (e: unknown) =>
      e instanceof LoginError && e.code === 'idp_error' && e.error === 'access_denied');
  });

  it('GitHub unreachable: api or token errors, typed', async () => {
    const github = new GithubLogin({ clientId: 'x', clientSecret: 'y', baseUrl: 'http://127.0.0.1:9', apiUrl: 'http://127.0.0.1:9', timeoutMs: 2000 });
    const { pending } = await github.start(REDIRECT);
    await assert.rejects(github.finish(new URLSearchParams({ code: 'c', state: pending.state }), pending), (e: unknown) =>
      e instanceof LoginError && e.code === 'token_exchange_failed');
  });

  it('from the config: base URLs for GitHub Enterprise, secret from the SecretStore, read:org only when rules need it', async () => {
    const secrets = new MemorySecretStore({ 'github-secret': gh.clientSecret });
    const github = { clientId: gh.clientId, clientSecret: { keychain: 'github-secret' }, baseUrl: gh.baseUrl, apiUrl: gh.apiUrl };
    let [provider] = await createLoginProviders(AccessConfig.parse({ login: { github } }), { secrets });
    assert.equal(provider!.id, 'github');
    assert.equal(provider!.label, 'Sign in with GitHub');
    assert.equal((await provider!.start(REDIRECT)).url.searchParams.get('scope'), 'read:user user:email');
    [provider] = await createLoginProviders(AccessConfig.parse({ login: { github }, allow: { githubOrgs: ['acme'] } }), { secrets });
    gh.signIn('octocat');
    const { url, pending } = await provider!.start(REDIRECT);
    assert.equal(url.searchParams.get('scope'), 'read:user user:email read:org');
    assert.deepEqual((await provider!.finish(await gh.authorize(url), pending)).githubOrgs, ['github', 'acme', 'Octo-Org']);
  });
});
