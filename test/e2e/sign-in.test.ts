// Stories of people signing in (DESIGN §4): the SDK client discovers our authorization server,
// registers, signs in with a local account, consents, gets tokens bound to one server, calls a
// tool and refreshes; people not on the allow-list are refused; a pending person is approved
// while their sign-in waits; a removed person's next call is refused and their child is gone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { alive, fixture, text } from '../support/gateway.ts';
import { Browser, TestOAuthProvider } from '../support/browser.ts';
import { startSignedInGateway, type SignedInGateway } from '../support/signed-in.ts';
import { openStateStore } from '../../src/state/state-store.ts';
import { USERS_COLLECTION } from '../../src/identity/users.ts';

let gw: SignedInGateway;
before(async () => {
  gw = await startSignedInGateway(
    { slow: fixture('slow-server'), env: fixture('env-server') },
    { access: { allow: { emails: ['ana@example.com'] }, unknownUsers: 'ask-owner' } },
  );
  await gw.addLocalUser('ana@example.com', 'ana-password-1');
  await gw.addLocalUser('bob@example.com', 'bob-password-1');
  await gw.addLocalUser('eve@example.com', 'eve-password-1');
});
after(async () => { await gw.close(); });

test('a user on the allow-list signs in with the SDK client, consents once, calls a tool and refreshes', async () => {
  const { client, provider } = await gw.connect('slow', { login: { email: 'ana@example.com', password: 'ana-password-1' } });
  assert.deepEqual(provider.visits[0]!.pages, ['login', 'consent']);
  assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'signed in' } })), 'signed in');
  const tokens = provider.tokens()!;
  assert.ok(tokens.refresh_token, 'a refresh token is issued without offline_access');
  const [, payload] = tokens.access_token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
  assert.equal(claims.aud, gw.mcpUrl('slow'), 'the token is bound to this one server');
  assert.equal(claims.iss, gw.issuer);
  // Refresh: a new access token and a new (rotated) refresh token.
  const res = await fetch(`${gw.issuer}/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: provider.client!.client_id }),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const fresh = await res.json() as { access_token: string; refresh_token: string };
  assert.notEqual(fresh.refresh_token, tokens.refresh_token);
  const again = await fetch(gw.mcpUrl('slow'), {
    method: 'POST',
    headers: { authorization: `Bearer ${fresh.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
  });
  assert.equal(again.status, 200);
});

test('without a token the server answers 401 pointing at its protected-resource metadata', async () => {
  const res = await fetch(gw.mcpUrl('slow'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(res.status, 401);
  const challenge = res.headers.get('www-authenticate')!;
  assert.match(challenge, new RegExp(`resource_metadata="${gw.issuer}/.well-known/oauth-protected-resource/servers/slow/mcp"`));
  const prm = await (await fetch(`${gw.issuer}/.well-known/oauth-protected-resource/servers/slow/mcp`)).json() as Record<string, unknown>;
  assert.equal(prm.resource, gw.mcpUrl('slow'));
  assert.deepEqual(prm.authorization_servers, [gw.issuer]);
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    const md = await (await fetch(`${gw.issuer}${path}`)).json() as Record<string, unknown>;
    assert.equal(md.issuer, gw.issuer, `${path}: issuer byte-identical`);
    assert.deepEqual(md.code_challenge_methods_supported, ['S256']);
    assert.equal(md.client_id_metadata_document_supported, true);
    assert.ok((md.token_endpoint_auth_methods_supported as string[]).includes('none'));
  }
});

test('a token for one server is refused by another', async () => {
  const { provider } = await gw.connect('slow', { login: { email: 'ana@example.com', password: 'ana-password-1' } });
  const res = await fetch(gw.mcpUrl('env'), {
    method: 'POST',
    headers: { authorization: `Bearer ${provider.tokens()!.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
  });
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate')!, /invalid_token/);
});

test('an unknown user waits; the owner approves; the waiting sign-in goes on by itself', async () => {
  let approvals = 0;
  gw.publisher.once('approval', () => { approvals++; });
  const { client, provider } = await gw.connect('slow', {
    login: { email: 'bob@example.com', password: 'bob-password-1' },
    onPending: async (round) => {
      if (round === 2) {
        const bob = gw.publisher.signIn!.users.list().find((u) => u.email === 'bob@example.com')!;
        await gw.publisher.signIn!.users.setStatus(bob.id, 'allowed', 'owner');
      }
    },
  });
  assert.equal(approvals, 1, 'the owner was told');
  assert.deepEqual(provider.visits[0]!.pages.slice(0, 3), ['login', 'pending', 'pending']);
  assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'bob is in' } })), 'bob is in');
});

test('a user not on the allow-list is refused with a clear page when unknown users are denied', async () => {
  const strict = await startSignedInGateway({ slow: fixture('slow-server') }, { access: { allow: { emails: ['ana@example.com'] }, unknownUsers: 'deny' } });
  try {
    await strict.addLocalUser('mallory@example.com', 'mallory-password');
    const provider = new TestOAuthProvider(new Browser(), { login: { email: 'mallory@example.com', password: 'mallory-password' } });
    await assert.rejects(strict.connect('slow', provider.person, { provider }), /no code/);
    const visit = provider.visits[0]!;
    assert.deepEqual(visit.pages, ['login', 'denied']);
    assert.match(visit.lastHtml, /Access denied/);
    assert.match(visit.lastHtml, /mallory@example\.com/);
    const mallory = strict.publisher.signIn!.users.list().find((u) => u.email === 'mallory@example.com')!;
    assert.equal(mallory.status, 'denied');
    // The page goes on to tell the app by itself after a moment (mcp-remote.test.ts follows it in
    // Chromium); "Back to the app now" does it at once: access_denied at the client's redirect URI.
    // (its own small script: a meta refresh is an accessibility failure, issue 12 #7)
    assert.match(visit.lastHtml, /data-go="\/interaction\/[^"]+\/denied" data-seconds="5"/);
    assert.doesNotMatch(visit.lastHtml, /http-equiv="refresh"/);
    const back = /<form method="post" action="([^"]+)"/.exec(visit.lastHtml)![1]!;
    const res = await provider.browser.fetch(new URL(back, strict.issuer), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    const location = new URL(res.headers.get('location')!, strict.issuer);
    // oidc-provider finishes through /authorize/<uid>; follow it to the client.
    const final = await provider.browser.fetch(location);
    const redirect = new URL(final.headers.get('location')!);
    assert.equal(redirect.searchParams.get('error'), 'access_denied');
    assert.equal(redirect.searchParams.get('iss'), strict.issuer);
  } finally {
    await strict.close();
  }
});

test('at start the access policy applies to everyone again: someone let in through an email nobody verified is shut out', async () => {
  const state = await openStateStore({});
  const record = {
    id: 'u_mallory', email: 'ana@example.com', emailVerified: false, logins: [{ provider: 'oidc', subject: 'mallory' }], lastLogin: { provider: 'oidc', subject: 'mallory' },
    groups: [], githubOrgs: [], githubTeams: [], status: 'allowed', decidedBy: 'policy', createdAt: 1, lastLoginAt: 1,
  };
  await state.put(USERS_COLLECTION, record.id, record);
  const later = await startSignedInGateway({ slow: fixture('slow-server') }, { state, access: { allow: { emails: ['ana@example.com'] }, unknownUsers: 'deny' } });
  try {
    assert.equal(later.publisher.signIn!.users.get('u_mallory')!.status, 'denied');
    assert.equal(later.publisher.signIn!.users.isActive('u_mallory'), false);
  } finally {
    await later.close();
  }
});

test("a removed user's next call is refused and their child is gone", async () => {
  const { client } = await gw.connect('env', { login: { email: 'ana@example.com', password: 'ana-password-1' } });
  const pid = Number(text(await client.callTool({ name: 'pid', arguments: {} })));
  assert.ok(alive(pid));
  const ana = gw.publisher.signIn!.users.list().find((u) => u.email === 'ana@example.com')!;
  await gw.publisher.signIn!.users.remove(ana.id);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(alive(pid), false, 'their child was stopped');
  await assert.rejects(client.callTool({ name: 'pid', arguments: {} }));
  const transport = client.transport as StreamableHTTPClientTransport;
  assert.ok(transport);
  await gw.publisher.signIn!.users.setStatus(ana.id, 'allowed', 'owner');
});

test('a request that arrives while sign-in is still opening waits for it, and without a token gets 401', async () => {
  const { openStateStore } = await import('../../src/state/state-store.ts');
  const inner = await openStateStore({});
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  // A state store slow to open the user directory: sign-in is not ready while the gateway listens.
  const slow = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop === 'find' || prop === 'list') return async (...args: unknown[]) => { await gate; return (v as (...a: unknown[]) => unknown).apply(target, args); };
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const { parseConfig } = await import('../../src/config/load.ts');
  const { Publisher } = await import('../../src/publisher.ts');
  const { silentLogger } = await import('../../src/logging/logger.ts');
  const publisher = new Publisher({ config: parseConfig({ mcpServers: { slow: fixture('slow-server') }, gateway: { port: 0 } }), logger: silentLogger(), state: slow });
  const started = publisher.start();
  try {
    let url: string | undefined;
    for (let i = 0; i < 200 && !url; i++) { await new Promise((r) => setTimeout(r, 10)); url = (publisher as unknown as { url?: string }).url; }
    assert.ok(url, 'the gateway listens before sign-in is ready');
    const early = fetch(`${url}/servers/slow/mcp`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
    });
    await new Promise((r) => setTimeout(r, 100));
    release();
    assert.equal((await early).status, 401, 'no token: refused, not let in as the local user');
  } finally {
    release();
    await started.catch(() => {});
    await publisher.stop();
  }
});
