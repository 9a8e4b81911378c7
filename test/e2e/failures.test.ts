// What goes wrong, and how the gateway holds: a child that crashes mid-call, a child that floods
// stderr, malformed requests of every kind, and shutdown leaving no child behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { alive, fixture, rawPost, startGateway, text, type TestGateway } from '../support/gateway.ts';

let gw: TestGateway;
const STDERR_LIMIT = 16 * 1024;
before(async () => {
  gw = await startGateway({ crashy: fixture('crashy-server'), noisy: fixture('noisy-server'), slow: fixture('slow-server') }, { stderrBytes: STDERR_LIMIT, maxBodyBytes: 64 * 1024 });
});
after(async () => { await gw.close(); });

test('a child that crashes mid-call fails that call with a JSON-RPC error; the next call works', async () => {
  const client = await gw.connect('crashy');
  const firstPid = Number(text(await client.callTool({ name: 'pid', arguments: {} })));
  const progress: number[] = [];
  await assert.rejects(
    client.callTool({ name: 'crash', arguments: {} }, undefined, { onprogress: (p) => progress.push(p.progress) }),
    (e: Error & { code?: number }) => {
      assert.equal(e.code, -32000);
      assert.match(e.message, /exited/);
      return true;
    },
  );
  assert.deepEqual(progress, [1], 'the progress sent before the crash still arrived');
  assert.equal(alive(firstPid), false);
  const again = await client.callTool({ name: 'echo', arguments: { text: 'back again' } });
  assert.equal(text(again), 'back again');
  const secondPid = Number(text(await client.callTool({ name: 'pid', arguments: {} })));
  assert.notEqual(secondPid, firstPid, 'a new child was started on next use');
});

test("a crash fails only the crashed child's requests", async () => {
  const crashy = await gw.connect('crashy', { user: 'other' });
  const slow = await gw.connect('slow', { user: 'other' });
  const slowCall = slow.callTool({ name: 'sleep', arguments: { ms: 300 } });
  await assert.rejects(crashy.callTool({ name: 'crash', arguments: { delayMs: 50 } }));
  assert.equal(text(await slowCall), 'slept 300');
});

test('a child flooding stderr keeps only a bounded log', async () => {
  const client = await gw.connect('noisy');
  const before = process.memoryUsage().rss;
  const r = await client.callTool({ name: 'flood', arguments: { mb: 50 } });
  assert.equal(text(r), 'done');
  const info = gw.publisher.pool.list().find((u) => u.server === 'noisy')!;
  assert.ok(info.stderrBytes <= STDERR_LIMIT, `kept ${info.stderrBytes} bytes`);
  const grew = process.memoryUsage().rss - before;
  assert.ok(grew < 40 * 1024 * 1024, `gateway memory grew by ${Math.round(grew / 1024 / 1024)} MB for 50 MB of stderr`);
  assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'ok' } })), 'ok');
});

test('malformed requests get the right status and JSON-RPC error, and the gateway keeps serving', async () => {
  const url = gw.mcpUrl('slow');
  const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });

  const parse = await rawPost(url, '{"jsonrpc": "2.0", "id": 1, "method": ');
  assert.equal(parse.status, 400);
  assert.equal(parse.json.error.code, -32700);

  const type = await rawPost(url, init, { 'content-type': 'text/plain' });
  assert.equal(type.status, 415);
  assert.equal(type.json.error.code, -32600);

  const big = await rawPost(url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(100 * 1024) } }));
  assert.equal(big.status, 413);
  assert.match(big.json.error.message, /too large/);

  const shape = await rawPost(url, JSON.stringify({ jsonrpc: '1.0', id: 7, method: 'tools/list' }));
  assert.equal(shape.status, 400);
  assert.equal(shape.json.error.code, -32600);
  assert.equal(shape.json.id, 7);

  const batch = await rawPost(url, JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'ping' }]));
  assert.equal(batch.status, 400);

  const noSession = await rawPost(url, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }));
  assert.equal(noSession.status, 400);
  assert.match(noSession.json.error.message, /Mcp-Session-Id/);

  const unknown = await rawPost(url, JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }), { 'mcp-session-id': 'no-such-session' });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.error.code, -32001);

  const origin = await rawPost(url, init, { origin: 'https://evil.example' });
  assert.equal(origin.status, 403);
  assert.equal(origin.json.error.code, -32600);

  const version = await rawPost(url, JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/list' }), { 'mcp-protocol-version': '1999-01-01' });
  assert.equal(version.status, 400);

  const server = await rawPost(gw.mcpUrl('nope'), init);
  assert.equal(server.status, 404);

  const put = await fetch(url, { method: 'PUT' });
  assert.equal(put.status, 405);

  const stack = JSON.stringify([parse, type, big, shape, unknown, origin].map((r) => r.json));
  assert.doesNotMatch(stack, /at .*\.ts:\d+/, 'no stack trace in any answer');

  // And it still serves.
  const ok = await rawPost(url, init);
  assert.equal(ok.status, 200);
  assert.ok(ok.headers.get('mcp-session-id'));
  assert.equal(ok.json.result.serverInfo.name, 'slow-server');
  const health = await fetch(`${gw.url}/healthz`);
  assert.equal(health.status, 200);
});

test('a browser preflight passes without a token and exposes the MCP headers', async () => {
  const res = await fetch(gw.mcpUrl('slow'), {
    method: 'OPTIONS',
    headers: { origin: gw.url, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, mcp-session-id' },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), gw.url);
  assert.match(res.headers.get('access-control-allow-headers') ?? '', /Mcp-Session-Id/);
});

test('stopping the gateway leaves no child process behind', async () => {
  const local = await startGateway({ a: fixture('slow-server'), b: fixture('env-server', { isolation: 'shared' }) });
  const c1 = await local.connect('a', { user: 'u1' });
  const c2 = await local.connect('a', { user: 'u2' });
  const c3 = await local.connect('b');
  const pids = [
    Number(text(await c1.callTool({ name: 'pid', arguments: {} }))),
    Number(text(await c2.callTool({ name: 'pid', arguments: {} }))),
    Number(text(await c3.callTool({ name: 'pid', arguments: {} }))),
  ];
  void c1.callTool({ name: 'sleep', arguments: { ms: 60_000 } }).catch(() => {});
  assert.deepEqual(new Set(local.publisher.registry.pids()), new Set(pids));
  assert.ok(pids.every(alive));
  await local.close();
  assert.deepEqual(pids.filter(alive), [], 'every child is gone once stop() resolves');
});

test('inside the desktop app, a server whose command is the app itself is refused with the reason (it would open a second app)', async (t) => {
  Object.defineProperty(process.versions, 'electron', { value: '41.0.0', configurable: true });
  t.after(() => { delete (process.versions as Record<string, string>).electron; });
  const local = await startGateway({ self: { command: process.execPath, args: ['-e', '0'] } });
  t.after(() => local.close());
  const res = await rawPost(local.mcpUrl('self'), JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }));
  assert.match(res.json.error?.message ?? '', /is the MCP Publish app itself/);
});
