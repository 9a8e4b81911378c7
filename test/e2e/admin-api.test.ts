// Stories of the owner at the settings window and the tray, through the admin API on loopback:
// strangers are refused; servers are added, refused with the JSON path when wrong, imported from
// pasted Claude Desktop JSON and test-started; a waiting person is approved; a client is revoked
// and its next call refused; the event stream shows calls, config changes and the public URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fixture, text } from '../support/gateway.ts';
import { startSignedInGateway, type SignedInGateway } from '../support/signed-in.ts';
import { Admin, startAdmin } from '../support/admin.ts';
import { startIdp, type TestIdp } from '../support/idp.ts';
import { rememberSecret } from '../support/log-audit.ts';
import { AdminServer } from '../../src/admin/admin-server.ts';
import {
  ADMIN_ROUTES, adminPath, type AccessView, type ClientView, type ImportResult, type ServerTestResult, type ServerView,
  type StatusView, type TestSignInResult, type UpstreamView, type UserView,
} from '../../src/admin/api.ts';
import type { TunnelProvider, TunnelStatus } from '../../src/tunnel/tunnel-provider.ts';

const ANA = { login: { email: 'ana@example.com', password: 'ana-password-1' } };
const BOB = { login: { email: 'bob@example.com', password: 'bob-password-1' } };

/** Raw HTTP, for what fetch will not send (a foreign Host). */
function raw(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers }, (res) => { res.resume(); resolve(res.statusCode!); });
    req.on('error', reject);
    req.end();
  });
}

/** An EventSource-like reader of the admin event stream that keeps every event. */
class EventLog {
  readonly events: { name: string; data: any }[] = [];
  comments = 0;
  private readonly abort = new AbortController();

  static async open(url: string): Promise<EventLog> {
    const log = new EventLog();
    const res = await fetch(url, { signal: log.abort.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/event-stream/);
    void log.read(res.body!);
    return log;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    let buffer = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let name = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) this.comments++;
            else if (line.startsWith('event: ')) name = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length) this.events.push({ name, data: JSON.parse(data.join('\n')) });
        }
      }
    } catch { /* aborted */ }
  }

  /** The first event at or after index `from` with this name for which `match` holds. */
  async waitFor(name: string, match: (data: any) => boolean = () => true, from = 0, timeoutMs = 10_000): Promise<any> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.slice(from).find((e) => e.name === name && match(e.data));
      if (hit) return hit.data;
      if (Date.now() > until) throw new Error(`no "${name}" event matched; saw ${this.events.map((e) => e.name).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void { this.abort.abort(); }
}

let dir: string;
let configFile: string;
let gw: SignedInGateway;
let server: AdminServer;
let admin: Admin;

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-admin-'));
  configFile = path.join(dir, 'config.json');
  const servers = { slow: fixture('slow-server'), noisy: fixture('noisy-server') };
  const access = { allow: { emails: ['ana@example.com'] }, unknownUsers: 'ask-owner' };
  await fs.writeFile(configFile, JSON.stringify({ mcpServers: servers, access, gateway: { port: 0 } }, null, 2));
  gw = await startSignedInGateway(servers, { access, configFile });
  await gw.addLocalUser('ana@example.com', 'ana-password-1');
  await gw.addLocalUser('bob@example.com', 'bob-password-1');
  ({ server, admin } = await startAdmin(gw, { configFile, keepAliveMs: 100 }));
});
after(async () => {
  await server?.stop();
  await gw?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

test('the admin API refuses requests without the token, with a wrong one, from a foreign Host or Origin', async () => {
  const status = admin.url + ADMIN_ROUTES.status;
  assert.equal((await fetch(status)).status, 403, 'no token');
  const refused = await fetch(status, { headers: { authorization: 'Bearer not-the-token' } });
  assert.equal(refused.status, 403, 'wrong token');
  assert.deepEqual(await refused.json(), { error: 'forbidden', message: 'missing or wrong admin token, or a foreign Host or Origin' });
  const bearer = { authorization: `Bearer ${admin.token}` };
  assert.equal(await raw(status, bearer), 200, 'the right token from this computer');
  assert.equal(await raw(status, { ...bearer, host: 'evil.example' }), 403, 'DNS rebinding: a foreign Host');
  assert.equal(await raw(status, { ...bearer, host: `evil.example:${new URL(admin.url).port}` }), 403);
  assert.equal((await fetch(status, { headers: { ...bearer, origin: 'https://evil.example' } })).status, 403, 'a foreign Origin');
  assert.equal((await fetch(status, { headers: { ...bearer, origin: admin.url } })).status, 200, 'our own pages');
  assert.equal((await fetch(`${status}?token=${admin.token}`)).status, 403, 'the token in the query only on the events route');
  // The settings page holds nothing secret: no token, but Host and Origin still checked.
  const home = await fetch(admin.url + '/');
  assert.equal(home.status, 200);
  assert.match(await home.text(), /<div id="root">|npm run build:ui/);
  assert.equal(await raw(admin.url + '/', { host: 'evil.example' }), 403);
  const missing = await admin.call('GET', '/api/nothing-here');
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error, 'not_found');
});

test('the status lists each server with its local MCP URL and isolation', async () => {
  const s = await admin.ok<StatusView>('GET', ADMIN_ROUTES.status);
  assert.equal(s.state, 'running');
  assert.equal(s.signIn, true);
  assert.equal(s.published, false);
  const slow = s.servers.find((x) => x.name === 'slow')!;
  assert.equal(slow.localUrl, `${s.gatewayUrl}/servers/slow/mcp`);
  assert.equal(slow.isolation, 'auto');
  assert.equal(slow.kind, 'stdio');
  assert.equal(slow.publicUrl, undefined);
});

test('the owner adds, replaces and deletes a server; an invalid one is refused with its JSON path and the file is untouched', async () => {
  const added = await admin.ok<ServerView>('PUT', adminPath(ADMIN_ROUTES.server, { name: 'echo2' }), { ...fixture('slow-server'), title: 'Echo two', isolation: 'shared' });
  assert.equal(added.name, 'echo2');
  assert.equal(added.isolation, 'shared');
  assert.match(added.localUrl!, /\/servers\/echo2\/mcp$/);
  let onDisk = JSON.parse(await fs.readFile(configFile, 'utf8'));
  assert.equal(onDisk.mcpServers.echo2.title, 'Echo two');
  assert.deepEqual(onDisk.gateway, { port: 0 }, 'the file keeps its own shape (no defaults written into it)');
  const replaced = await admin.ok<ServerView>('PUT', adminPath(ADMIN_ROUTES.server, { name: 'echo2' }), { ...fixture('slow-server'), title: 'Echo 2' });
  assert.equal(replaced.title, 'Echo 2');
  assert.equal(replaced.isolation, 'auto');

  const before = await fs.readFile(configFile, 'utf8');
  const bad = await admin.call('PUT', adminPath(ADMIN_ROUTES.server, { name: 'broken' }), { command: 'node', args: 'server.js' });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error, 'invalid_config');
  assert.equal(bad.json.problems[0].path, 'mcpServers.broken.args');
  assert.match(bad.json.problems[0].reason, /array/);
  const badName = await admin.call('PUT', adminPath(ADMIN_ROUTES.server, { name: 'has space' }), fixture('slow-server'));
  assert.equal(badName.status, 400);
  assert.equal(badName.json.problems[0].path, 'mcpServers["has space"]');
  const neither = await admin.call('PUT', adminPath(ADMIN_ROUTES.server, { name: 'neither' }), { args: [] });
  assert.equal(neither.status, 400);
  assert.match(neither.json.problems[0].reason, /either "command".*or "url"/);
  assert.equal(await fs.readFile(configFile, 'utf8'), before, 'the config file is unchanged');
  assert.equal(gw.publisher.currentConfig.mcpServers.broken, undefined, 'and so is the running config');

  const list = await admin.ok<ServerView[]>('GET', ADMIN_ROUTES.servers);
  assert.deepEqual(list.map((s) => s.name).sort(), ['echo2', 'noisy', 'slow']);
  assert.deepEqual(await admin.ok('DELETE', adminPath(ADMIN_ROUTES.server, { name: 'echo2' })), { deleted: 'echo2' });
  onDisk = JSON.parse(await fs.readFile(configFile, 'utf8'));
  assert.equal(onDisk.mcpServers.echo2, undefined);
  assert.equal((await admin.call('DELETE', adminPath(ADMIN_ROUTES.server, { name: 'echo2' }))).status, 404);
});

test('pasted Claude Desktop JSON is imported: a dry run reports, the real run adds and saves', async () => {
  const pasted = `{
    "mcpServers": {
      "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] },
      "github": {
        "command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"],
        "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "<your token>" }
      },
      "bad": { "command": "uvx", "args": ["mcp-server-sqlite", 42] }
    },
    "globalShortcut": "Ctrl+Space"
  }`;
  const before = await fs.readFile(configFile, 'utf8');
  const dry = await admin.ok<ImportResult>('POST', ADMIN_ROUTES.import, { json: pasted, dryRun: true });
  assert.equal(dry.applied, false);
  assert.deepEqual(dry.report.map((r) => [r.name, r.status]), [['memory', 'added'], ['github', 'added'], ['bad', 'invalid']]);
  assert.match(dry.report[2]!.reason!, /mcpServers\.bad\.args\[1\]/);
  assert.ok(dry.report[1]!.notes!.some((n) => /GITHUB_PERSONAL_ACCESS_TOKEN looks like a secret/.test(n)));
  assert.equal(await fs.readFile(configFile, 'utf8'), before, 'a dry run changes nothing');

  const done = await admin.ok<ImportResult>('POST', ADMIN_ROUTES.import, { json: pasted });
  assert.equal(done.applied, true);
  assert.deepEqual(done.sources, ['pasted JSON']);
  const onDisk = JSON.parse(await fs.readFile(configFile, 'utf8'));
  assert.deepEqual(onDisk.mcpServers.memory, { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] });
  assert.ok(gw.publisher.currentConfig.mcpServers.github, 'applied to the running gateway');

  // Just the block, as a README shows it, and again: already there.
  const again = await admin.ok<ImportResult>('POST', ADMIN_ROUTES.import, { json: '"mcpServers": { "memory": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"] } }' });
  assert.equal(again.applied, false);
  assert.deepEqual(again.report.map((r) => [r.name, r.status, r.reason]), [['memory', 'skipped', 'already configured']]);
  const broken = await admin.ok<ImportResult>('POST', ADMIN_ROUTES.import, { json: '{ "mcpServers": ' });
  assert.match(broken.errors[0]!.problems[0]!.reason, /not valid JSON/);

  for (const name of ['memory', 'github']) await admin.ok('DELETE', adminPath(ADMIN_ROUTES.server, { name }));
});

test('test-start: a working server lists its tools; a broken one says why, with its stderr', async () => {
  const good = await admin.ok<ServerTestResult>('POST', adminPath(ADMIN_ROUTES.serverTest, { name: 'slow' }));
  assert.equal(good.ok, true);
  assert.ok(good.ok && good.serverInfo.name === 'slow-server');
  assert.ok(good.ok && good.tools.includes('sleep') && good.tools.includes('echo'), JSON.stringify(good));
  assert.ok(good.ok && good.protocolVersion);
  assert.equal(gw.publisher.pool.list().filter((u) => u.server === 'slow' && u.user === undefined).length, 0, 'the serving pool was not used');

  const crash = { command: process.execPath, args: ['-e', "process.stderr.write('fatal: MISSING_API_KEY is not set\\n'); process.exit(3)"] };
  const bad = await admin.ok<ServerTestResult>('POST', adminPath(ADMIN_ROUTES.serverTest, { name: 'crashy' }), { server: crash });
  assert.equal(bad.ok, false);
  assert.ok(!bad.ok && /exited \(code 3\)/.test(bad.error), JSON.stringify(bad));
  assert.ok(!bad.ok && /MISSING_API_KEY is not set/.test(bad.stderr));

  const absent = await admin.ok<ServerTestResult>('POST', adminPath(ADMIN_ROUTES.serverTest, { name: 'nope' }), { server: { command: 'no-such-command-mcpp' } });
  assert.ok(!absent.ok && /command not found/.test(absent.error), JSON.stringify(absent));
  const invalid = await admin.call('POST', adminPath(ADMIN_ROUTES.serverTest, { name: 'x' }), { server: { command: '' } });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.json.problems[0].path, 'mcpServers.x.command');
  assert.equal((await admin.call('POST', adminPath(ADMIN_ROUTES.serverTest, { name: 'unknown' }))).status, 404);
});

test('the event stream shows a signed-in call as activity and a config change as status', async () => {
  const events = await EventLog.open(`${admin.url}${ADMIN_ROUTES.events}?token=${admin.token}`);
  try {
    const first = await events.waitFor('status');
    assert.equal(first.state, 'running', 'the current status comes at once');
    const { client } = await gw.connect('slow', ANA);
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'hello' } })), 'hello');
    const activity = await events.waitFor('activity', (a) => a.name === 'echo');
    assert.equal(activity.server, 'slow');
    assert.equal(activity.userEmail, 'ana@example.com');
    assert.equal(activity.method, 'tools/call');
    assert.equal(activity.ok, true);
    assert.equal(typeof activity.ms, 'number');

    const mark = events.events.length;
    await admin.ok('PUT', adminPath(ADMIN_ROUTES.server, { name: 'fresh' }), fixture('slow-server'));
    const changed = await events.waitFor('status', (s: StatusView) => s.servers.some((x) => x.name === 'fresh'), mark);
    assert.match(changed.servers.find((x: { name: string }) => x.name === 'fresh').localUrl, /\/servers\/fresh\/mcp$/);
    await admin.ok('DELETE', adminPath(ADMIN_ROUTES.server, { name: 'fresh' }));
    await events.waitFor('status', (s: StatusView) => !s.servers.some((x) => x.name === 'fresh'), mark + 1);
    const comments = events.comments;
    await new Promise((r) => setTimeout(r, 250));
    assert.ok(events.comments > comments, 'keep-alive comments keep coming');
  } finally {
    events.close();
  }
  const header = await fetch(admin.url + ADMIN_ROUTES.events, { headers: { authorization: `Bearer ${admin.token}` } });
  assert.equal(header.status, 200, 'the header works there too');
  await header.body?.cancel();
  assert.equal((await fetch(`${admin.url}${ADMIN_ROUTES.events}?token=wrong`)).status, 403);
});

test('a person waits for approval; the owner approves through the API and the sign-in goes on', async () => {
  const events = await EventLog.open(`${admin.url}${ADMIN_ROUTES.events}?token=${admin.token}`);
  try {
    const { client } = await gw.connect('slow', {
      ...BOB,
      onPending: async (round) => {
        if (round !== 2) return;
        const waiting = (await admin.ok<UserView[]>('GET', ADMIN_ROUTES.users)).find((u) => u.email === 'bob@example.com')!;
        assert.equal(waiting.status, 'pending');
        const s = await admin.ok<StatusView>('GET', ADMIN_ROUTES.status);
        assert.equal(s.pending, 1, 'the tray can show who waits');
        const decided = await admin.ok<UserView>('POST', adminPath(ADMIN_ROUTES.userAction, { id: waiting.id }), { action: 'approve' });
        assert.equal(decided.status, 'allowed');
      },
    });
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'bob is in' } })), 'bob is in');
    const approval = await events.waitFor('approval', (u: UserView) => u.email === 'bob@example.com');
    assert.equal(approval.status, 'pending');
    await events.waitFor('users', (u: UserView) => u.email === 'bob@example.com' && u.status === 'allowed');
  } finally {
    events.close();
  }
  const bad = await admin.call('POST', adminPath(ADMIN_ROUTES.userAction, { id: 'bob@example.com' }), { action: 'promote' });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.problems[0].path, 'action');
  assert.equal((await admin.call('POST', adminPath(ADMIN_ROUTES.userAction, { id: 'nobody@example.com' }), { action: 'deny' })).status, 404);
  const invite = await admin.ok('POST', ADMIN_ROUTES.localAccounts, { email: 'cy@example.com', name: 'Cy' });
  assert.match(invite.invite, new RegExp(`^${gw.issuer}/invite/`));
});

test('the owner sees the clients people signed in to and revokes one: its next MCP call gets 401', async () => {
  const { client, provider } = await gw.connect('slow', ANA);
  assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'before' } })), 'before');
  const clientId = provider.client!.client_id;
  const mine = (await admin.ok<ClientView[]>('GET', ADMIN_ROUTES.clients)).find((c) => c.clientId === clientId)!;
  assert.ok(mine, 'the grant is listed');
  assert.equal(mine.clientName, 'Test MCP client');
  assert.equal(mine.user.email, 'ana@example.com');
  assert.deepEqual(mine.servers, ['slow']);
  assert.ok(mine.createdAt! > Date.now() - 60_000);

  assert.deepEqual(await admin.ok('DELETE', adminPath(ADMIN_ROUTES.client, { grantId: mine.id })), { revoked: mine.id });
  const tokens = provider.tokens()!;
  const res = await fetch(gw.mcpUrl('slow'), {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
  });
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate')!, /revoked/);
  const refresh = await fetch(`${gw.issuer}/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: clientId }),
  });
  assert.equal(refresh.status, 400, 'its refresh token is gone too');
  assert.equal(((await refresh.json()) as { error: string }).error, 'invalid_grant');
  assert.ok(!(await admin.ok<ClientView[]>('GET', ADMIN_ROUTES.clients)).some((c) => c.id === mine.id));
  assert.equal((await admin.call('DELETE', adminPath(ADMIN_ROUTES.client, { grantId: mine.id }))).status, 404);
});

test("the running upstreams are listed and a child's stderr can be read", async () => {
  const { client } = await gw.connect('noisy', ANA);
  assert.equal(text(await client.callTool({ name: 'flood', arguments: { mb: 0.01 } })), 'done');
  const ups = await admin.ok<UpstreamView[]>('GET', ADMIN_ROUTES.upstreams);
  const noisy = ups.find((u) => u.server === 'noisy')!;
  assert.ok(noisy.pid);
  assert.equal(noisy.userEmail, 'ana@example.com');
  const servers = await admin.ok<ServerView[]>('GET', ADMIN_ROUTES.servers);
  assert.equal(servers.find((s) => s.name === 'noisy')!.running[0]!.pid, noisy.pid, 'and per server');
  const stderr = await admin.call('GET', adminPath(ADMIN_ROUTES.upstreamStderr, { key: noisy.key }));
  assert.equal(stderr.status, 200);
  assert.match(stderr.type, /^text\/plain/);
  assert.match(stderr.text, /noise 0000000000 x+/);
  assert.equal((await admin.call('GET', adminPath(ADMIN_ROUTES.upstreamStderr, { key: 'nope' }))).status, 404);
});

test('sign-in settings: a pasted client secret goes to the secret store, the config keeps a reference; the IdP is checked', async () => {
  const port = Number(new URL(gw.url).port);
  const idp: TestIdp = await startIdp({ redirectUris: [`http://127.0.0.1:${port}/login/oidc/callback`], users: [] });
  try {
    rememberSecret(idp.clientSecret);
    const current = await admin.ok<AccessView>('GET', ADMIN_ROUTES.access);
    assert.equal(current.login.oidc, null);
    assert.equal(current.redirectUris.oidc, `${gw.issuer}/login/oidc/callback`);
    const saved = await admin.ok<AccessView>('PUT', ADMIN_ROUTES.access, {
      ...current, login: { ...current.login, oidc: { issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret } },
    });
    assert.deepEqual(saved.login.oidc!.clientSecret, { keychain: 'oidc-client-secret', set: true });
    assert.equal(await gw.secrets.get('oidc-client-secret'), idp.clientSecret);
    const file = await fs.readFile(configFile, 'utf8');
    assert.ok(!file.includes(idp.clientSecret), 'the value never reaches the config file');
    assert.deepEqual(JSON.parse(file).access.login.oidc.clientSecret, { keychain: 'oidc-client-secret' });
    assert.deepEqual(JSON.parse(file).access.allow.emails, ['ana@example.com'], 'the rest round-trips');
    // GET's view goes back unchanged.
    await admin.ok('PUT', ADMIN_ROUTES.access, saved);

    const check = await admin.ok<TestSignInResult>('POST', ADMIN_ROUTES.accessTestSignIn, { provider: 'oidc' });
    assert.equal(check.ok, true, check.problems.join('; '));
    assert.equal(check.redirectUri, `${gw.issuer}/login/oidc/callback`);
    assert.equal(check.endpoints!.token, `${idp.issuer}/token`);
    assert.ok(check.notes.some((n) => /once published/.test(n)));
    const wrong = await admin.ok<TestSignInResult>('POST', ADMIN_ROUTES.accessTestSignIn, { provider: 'oidc', issuer: `${idp.issuer}/tenant` });
    assert.equal(wrong.ok, false);
    assert.match(wrong.problems[0]!, /HTTP 404/);
    const free = http.createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const nobody = (free.address() as { port: number }).port;
    await new Promise((r) => free.close(r));
    const closed = await admin.ok<TestSignInResult>('POST', ADMIN_ROUTES.accessTestSignIn, { provider: 'oidc', issuer: `http://127.0.0.1:${nobody}` });
    assert.equal(closed.ok, false);
    assert.equal(closed.problems[0], `nothing answers at 127.0.0.1:${nobody}: check the issuer URL (and the port)`);

    const before = await fs.readFile(configFile, 'utf8');
    const unknownKey = await admin.call('PUT', ADMIN_ROUTES.access, { ...current, login: { ...current.login, github: { clientId: 'gh', clientSecret: { keychain: 'nothing-here' } } } });
    assert.equal(unknownKey.status, 400);
    assert.equal(unknownKey.json.problems[0].path, 'access.login.github.clientSecret');
    const invalid = await admin.call('PUT', ADMIN_ROUTES.access, { ...current, unknownUsers: 'maybe', login: { ...current.login, github: { clientId: 'gh', clientSecret: 'gh-secret-never-stored' } } });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.json.problems[0].path, 'access.unknownUsers');
    assert.equal(await gw.secrets.get('github-client-secret'), undefined, 'an invalid config stores no secret');
    assert.equal(await fs.readFile(configFile, 'utf8'), before);

    await admin.ok('PUT', ADMIN_ROUTES.access, current);
    assert.equal(JSON.parse(await fs.readFile(configFile, 'utf8')).access.login.oidc, null);
  } finally {
    await idp.close();
  }
});

/** A tunnel that goes online at a fixed URL, without leaving this process. */
class FixedTunnel implements TunnelProvider {
  readonly kind = 'url' as const;
  status: TunnelStatus = { state: 'offline', reason: 'not started' };
  onstatus?: (status: TunnelStatus) => void;
  private set(status: TunnelStatus) { this.status = status; this.onstatus?.(status); }
  async start(): Promise<void> {
    this.set({ state: 'connecting' });
    await new Promise((r) => setTimeout(r, 20));
    this.set({ state: 'online', url: 'https://mcp.example.test' });
  }
  async stop(): Promise<void> { this.set({ state: 'offline', reason: 'stopped' }); }
}

test('publish and unpublish from the tray: the status stream shows connecting, online, then offline', async () => {
  const own = await startSignedInGateway({ slow: fixture('slow-server') }, { createTunnel: () => new FixedTunnel() });
  const tray = new AdminServer({ publisher: own.publisher, state: own.state, secrets: own.secrets, logger: own.publisher.logger });
  const endpoint = await tray.start();
  rememberSecret(endpoint.token);
  const api = new Admin(endpoint.url, endpoint.token);
  const events = await EventLog.open(`${endpoint.url}${ADMIN_ROUTES.events}?token=${endpoint.token}`);
  try {
    await events.waitFor('status');
    const published = await api.ok<StatusView>('POST', ADMIN_ROUTES.publish);
    assert.equal(published.published, true);
    await events.waitFor('status', (s: StatusView) => s.tunnel.state === 'connecting');
    const online = await events.waitFor('status', (s: StatusView) => s.tunnel.state === 'online');
    assert.equal(online.publicUrl, 'https://mcp.example.test');
    assert.equal(online.servers[0].publicUrl, 'https://mcp.example.test/servers/slow/mcp');
    const at = events.events.findIndex((e) => e.name === 'status' && e.data.tunnel.state === 'online');
    const off = await api.ok<StatusView>('POST', ADMIN_ROUTES.unpublish);
    assert.equal(off.published, false);
    const offline = await events.waitFor('status', (s: StatusView) => s.tunnel.state === 'offline', at);
    assert.equal(offline.publicUrl, undefined);
  } finally {
    events.close();
    await tray.stop();
    await own.close();
  }
});

test('the admin API reads what it is sent: a malformed percent-encoding is 400, a body split inside a character arrives whole', async () => {
  const malformed = await admin.call('POST', '/api/users/%E0%A4%A/action', { action: 'approve' });
  assert.equal(malformed.status, 400, malformed.text);
  assert.equal(malformed.json.error, 'bad_request');
  // "ë" is two bytes in UTF-8: send the first in one chunk and the second in the next.
  const body = Buffer.from(JSON.stringify({ email: 'zoë@example.com', name: 'Zoë' }));
  const split = body.indexOf(Buffer.from('ë')) + 1;
  const answer = await new Promise<{ status: number; json: any }>((resolve, reject) => {
    const req = http.request(admin.url + ADMIN_ROUTES.localAccounts, {
      method: 'POST', headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json', 'content-length': body.length },
    }, (res) => {
      let t = '';
      res.setEncoding('utf8').on('data', (c) => { t += c; }).on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(t) }));
    });
    req.on('error', reject);
    req.write(body.subarray(0, split));
    setTimeout(() => req.end(body.subarray(split)), 100);
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  assert.equal(answer.json.email, 'zoë@example.com');
});

test('an invite link works once: opened again it says so instead of showing the password form', async () => {
  const { invite } = await admin.ok('POST', ADMIN_ROUTES.localAccounts, { email: 'dee@example.com' });
  rememberSecret(new URL(invite).pathname.split('/').pop());
  const first = await (await fetch(invite)).text();
  assert.match(first, /data-page="invite"/);
  rememberSecret('dee-password-1');
  const saved = await fetch(invite, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'password=dee-password-1&confirm=dee-password-1' });
  assert.match(await saved.text(), /data-page="invite-done"/);
  const again = await fetch(invite);
  const page = await again.text();
  assert.equal(again.status, 410);
  assert.doesNotMatch(page, /type="password"/, 'no password form');
  assert.match(page, /already|expired/i);
});
