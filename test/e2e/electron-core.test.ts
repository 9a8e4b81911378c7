// The core as the desktop app runs it (electron/core.ts, plain Node): it starts like `serve`
// (admin.json, the owner's password once), feeds the tray, publishes and remembers it, shows who
// waits and lets the owner decide, and Quit's steps leave nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { appPaths } from '../../src/config/paths.ts';
import { FixedUrlProvider } from '../../src/tunnel/fixed-url-provider.ts';
import { startCore, type Core, type CoreState } from '../../electron/core.ts';
import { quitPlan, runQuitPlan } from '../../electron/lifecycle.ts';
import { fixture, text } from '../support/gateway.ts';
import { Browser, TestOAuthProvider } from '../support/browser.ts';
import { connectWithOAuth } from '../support/signed-in.ts';
import { freePort, within } from '../support/processes.ts';
import { spawn } from 'node:child_process';
import { InstanceLockError } from '../../src/config/instance-lock.ts';
import { startServe } from '../support/serve-process.ts';

process.env.MCP_PUBLISH_SECRETS = 'memory';
const PUBLIC = 'https://mcp.example.test';

function changes(core: Core): { next: (what: string, check: (s: CoreState) => boolean) => Promise<CoreState> } {
  return {
    next: (what, check) => within(new Promise<CoreState>((resolve) => {
      if (check(core.state())) return resolve(core.state());
      const off = core.onchange(() => {
        const s = core.state();
        if (check(s)) { off(); resolve(s); }
      });
    }), 5000, what, () => JSON.stringify(core.state())),
  };
}

function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

test('the desktop core: starts like serve, publishes (remembered next launch), lets the owner approve a waiting person, and Quit leaves nothing', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-desktop-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const paths = appPaths(dir);
  await fs.writeFile(paths.config, JSON.stringify({ mcpServers: { env: fixture('env-server', { title: 'Env fixture' }) }, gateway: { port: 0 } }));
  const logger = pino({ level: 'silent' });
  const options = { paths, logger, settleMs: 20, createTunnel: () => new FixedUrlProvider({ url: PUBLIC }) };

  const core = await startCore(options);
  let stopped = false;
  t.after(async () => { if (!stopped) await runQuitPlan(quitPlan(core.running()), core.stop); });

  // Like serve: admin.json (0600) names the admin API and its token, which works.
  const admin = JSON.parse(await fs.readFile(paths.admin, 'utf8')) as { url: string; token: string; pid: number };
  assert.deepEqual(admin, { ...core.admin });
  assert.equal(admin.pid, process.pid);
  assert.equal((await fs.stat(paths.admin)).mode & 0o777, 0o600);
  const status = await fetch(`${admin.url}/api/status`, { headers: { authorization: `Bearer ${admin.token}` } });
  assert.equal(status.status, 200);
  assert.equal((await fetch(`${admin.url}/api/status`)).status, 403, 'not without the token');
  assert.match(core.ownerFirstRun?.password ?? '', /.{12,}/, 'the owner password, this once');
  assert.equal(core.ownerFirstRun?.email, 'owner@localhost');

  // The tray's first picture: running, not published, the server with its local URL.
  const gatewayUrl = core.publisher.status().gatewayUrl!;
  assert.deepEqual(core.state(), {
    gateway: 'running', published: false, tunnel: { state: 'offline', reason: 'not published' },
    servers: [{ name: 'env', title: 'Env fixture', localUrl: `${gatewayUrl}/servers/env/mcp`, health: { state: 'idle' } }],
    pending: [], errors: [],
  });
  assert.deepEqual(core.running(), { tunnel: false, adminServer: true, publisher: true, state: true });

  // Publish from the tray: the public URL and each server's public MCP URL.
  const seen = changes(core);
  await core.setPublished(true);
  const published = await seen.next('published and online', (s) => s.tunnel.state === 'online');
  assert.equal(published.published, true);
  assert.equal(published.publicUrl, PUBLIC);
  assert.equal(published.servers[0]!.publicUrl, `${PUBLIC}/servers/env/mcp`);
  assert.equal(core.running().tunnel, true);

  // Someone signs in and waits; the tray lists them (after the burst of user changes settles).
  const users = core.publisher.signIn!.users;
  const ana = await users.upsertFromLogin({ provider: 'oidc', subject: 'sub-ana', email: 'ana@example.com', emailVerified: true, groups: [] });
  // As the sign-in step does once the policy left her to the owner.
  core.publisher.emit('approval', ana);
  const waiting = await seen.next('ana waits', (s) => s.pending.length === 1);
  assert.deepEqual(waiting.pending, [{ id: ana.id, email: 'ana@example.com' }]);
  await core.decide(ana.id, 'approve');
  await seen.next('nobody waits', (s) => s.pending.length === 0);
  assert.equal(users.get(ana.id)?.status, 'allowed');
  assert.equal(users.get(ana.id)?.decidedBy, 'owner');

  // Someone the policy lets in at once is stored as pending for a moment: the tray never shows them.
  const shown: CoreState[] = [];
  const off = core.onchange(() => shown.push(core.state()));
  const bo = await users.upsertFromLogin({ provider: 'oidc', subject: 'sub-bo', email: 'bo@example.com', emailVerified: true, groups: [] });
  await users.applyDecision(bo.id, { verdict: 'allow' });
  await new Promise((r) => setTimeout(r, 200));
  off();
  assert.ok(shown.length > 0, 'the tray was told');
  assert.deepEqual(shown.filter((s) => s.pending.length > 0), [], 'never as waiting');

  // Quit, in the plan's order: the public URL first, the state store last; nothing is left.
  const plan = quitPlan(core.running());
  assert.deepEqual(plan.map((s) => s.name), ['close-tunnel', 'stop-admin-server', 'stop-publisher', 'close-state']);
  const results = await runQuitPlan(plan, core.stop);
  stopped = true;
  assert.deepEqual(results.map((r) => `${r.name}:${r.outcome}`), ['close-tunnel:done', 'stop-admin-server:done', 'stop-publisher:done', 'close-state:done']);
  await assert.rejects(fs.access(paths.admin), 'admin.json is gone');
  assert.equal(await listening(admin.url), false, 'the admin API is closed');
  assert.equal(await listening(gatewayUrl), false, 'the gateway is closed');

  // Next launch: published again by itself, since the owner left it on (Quit is not "off").
  const again = await startCore({ ...options, paths });
  try {
    assert.equal(again.ownerFirstRun, undefined, 'the owner password is not shown twice');
    await changes(again).next('published again at launch', (s) => s.published && s.tunnel.state === 'online');
  } finally {
    await runQuitPlan(quitPlan(again.running()), again.stop);
  }
});

test('the desktop core refuses a broken config with the reason and starts nothing', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-desktop-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const paths = appPaths(dir);
  await fs.writeFile(paths.config, JSON.stringify({ mcpServers: { bad: { args: ['x'] } } }));
  const { describeStartError } = await import('../../electron/core.ts');
  const error = await startCore({ paths, logger: pino({ level: 'silent' }) }).then(() => undefined, (e: unknown) => e);
  assert.ok(error, 'it did not start');
  assert.match(describeStartError(error), /^The config file cannot be used, so nothing was started:\n {2}file: .*config\.json\n {2}mcpServers\.bad/);
  await assert.rejects(fs.access(paths.admin), 'no admin.json');
});

test('the desktop core says so when `serve` (another process) already holds the port', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-desktop-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const paths = appPaths(dir);
  const port = await freePort();
  await fs.writeFile(paths.config, JSON.stringify({ mcpServers: {}, gateway: { port } }));
  // The other instance: a live process named in admin.json, and the port taken.
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  t.after(() => other.kill('SIGKILL'));
  await fs.writeFile(paths.admin, JSON.stringify({ url: 'http://127.0.0.1:1', token: 'x', pid: other.pid }));
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', () => resolve()));
  t.after(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  await assert.rejects(startCore({ paths, logger: pino({ level: 'silent' }) }), (e: Error) => {
    assert.equal(e.message, `MCP Publish already runs in another process (pid ${other.pid}, perhaps "mcp-publish serve") on port ${port}. Stop it, then start the app again.`);
    return true;
  });
  assert.equal(JSON.parse(await fs.readFile(paths.admin, 'utf8')).pid, other.pid, 'its admin.json is left alone');
});

test('the desktop core refuses a data folder that a running serve holds, and touches nothing in it', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-desktop-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const paths = appPaths(dir);
  await fs.writeFile(paths.config, JSON.stringify({ mcpServers: {}, gateway: { port: 0 } }));
  const serve = startServe(dir, [], { MCP_PUBLISH_SECRETS: 'memory' });
  t.after(() => serve.kill('SIGKILL'));
  await serve.ready();
  const before = await fs.readdir(dir);
  const admin = await fs.readFile(paths.admin, 'utf8');

  const error = await startCore({ paths, logger: pino({ level: 'silent' }) }).then((core) => core, (e: unknown) => e);
  if (!(error instanceof InstanceLockError)) {
    if (error && typeof error === 'object' && 'stop' in error) await runQuitPlan(quitPlan((error as Core).running()), (error as Core).stop);
    assert.fail(`the core started beside serve (${error instanceof Error ? error.message : 'it runs'})`);
  }
  assert.equal(error.code, 'held');
  assert.equal(error.holder?.pid, serve.pid);
  assert.equal(error.holder?.kind, 'serve');
  assert.deepEqual(await fs.readdir(dir), before, 'no file added or removed');
  assert.equal(await fs.readFile(paths.admin, 'utf8'), admin, 'serve\'s admin.json is left alone');
});

test('inside the app the built-in demo runs in its own process (it cannot start itself as Node): reached on loopback at a secret path, without the tool that prints the app\'s environment, and gone after Quit', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-desktop-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const paths = appPaths(dir); // no config file: the embedded demo
  const core = await startCore({ paths, logger: pino({ level: 'silent' }), inProcessDemo: true });
  let stopped = false;
  t.after(async () => { if (!stopped) await runQuitPlan(quitPlan(core.running()), core.stop); });
  const demo = core.publisher.currentConfig.mcpServers.demo as { url?: string; command?: string; title?: string };
  assert.equal(demo.command, undefined, 'the demo is an HTTP upstream, not a command');
  const url = demo.url ?? '';
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/demo-[\w-]{22}\/mcp$/);
  assert.equal(demo.title, 'Demo (server-everything)');
  assert.equal((await fetch(new URL('/mcp', url))).status, 404, 'nothing at a guessable path');

  const owner = core.ownerFirstRun!;
  const client = await connectWithOAuth(core.publisher.serverUrl('demo'), new TestOAuthProvider(new Browser(), { login: owner }));
  const { tools } = await client.listTools();
  assert.ok(tools.some((x) => x.name === 'echo'));
  assert.ok(!tools.some((x) => x.name === 'get-env'), 'no tool prints the app\'s environment');
  assert.equal(text(await client.callTool({ name: 'echo', arguments: { message: 'in process' } })), 'Echo: in process');
  assert.deepEqual(core.publisher.registry.pids(), [], 'no child process was started');
  await client.close();

  await runQuitPlan(quitPlan(core.running()), core.stop);
  stopped = true;
  await assert.rejects(fetch(url, { method: 'POST' }), 'the demo stopped with the app');
});
