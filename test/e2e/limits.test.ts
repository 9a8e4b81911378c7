// Limits per person (DESIGN §5): open sessions, child processes, requests in flight and parked
// stateless calls each have a setting; over it a person gets a JSON-RPC error naming the limit,
// and nobody else is slowed down.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, rawPost, startGateway, text, type TestGateway } from '../support/gateway.ts';
import { messagesOf, openRawSession } from '../support/raw-session.ts';

let gw: TestGateway;
before(async () => {
  gw = await startGateway(
    { slow: fixture('slow-server', { isolation: 'per-user' }), other: fixture('slow-server', { isolation: 'per-user' }), isolated: fixture('slow-server', { isolation: 'per-session' }) },
    { limits: { sessionsPerPerson: 3, processesPerPerson: 2, requestsPerPerson: 3, parkedPerPerson: 1 } },
  );
});
after(async () => { await gw.close(); });

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });

test('a person whose sessions are all busy is refused another, told which limit; another person still gets in', async () => {
  const busy = await Promise.all([0, 1, 2].map(() => openRawSession(gw.mcpUrl('slow'), { 'x-test-user': 'many-sessions' })));
  const calls = busy.map((s) => s.post(s.call(9, 'sleep', { ms: 800 })));
  await new Promise((r) => setTimeout(r, 100));
  const over = await rawPost(gw.mcpUrl('slow'), INIT, { 'x-test-user': 'many-sessions' });
  assert.match(over.json.error?.message ?? '', /sessionsPerPerson/);
  assert.equal(over.headers.get('mcp-session-id'), null, 'no session was opened');
  const other = await gw.connect('slow', { user: 'someone-else' });
  assert.equal(text(await other.callTool({ name: 'echo', arguments: { text: 'fine' } })), 'fine');
  await Promise.all(calls.map(async (c) => (await c).text()));
});

test('at the session limit, the least recently used idle session makes room (it then gets 404)', async () => {
  const sessions = [];
  for (let i = 0; i < 3; i++) sessions.push(await openRawSession(gw.mcpUrl('slow'), { 'x-test-user': 'forgetful' }));
  await (await sessions[0]!.post(sessions[0]!.call(2, 'echo', { text: 'used lately' }))).text();
  const fourth = await rawPost(gw.mcpUrl('slow'), INIT, { 'x-test-user': 'forgetful' });
  assert.ok(fourth.headers.get('mcp-session-id'), 'the new session was opened');
  const evicted = await sessions[1]!.post(sessions[1]!.call(3, 'echo', { text: 'x' }));
  assert.equal(evicted.status, 404, 'the least recently used idle session was closed');
  const kept = await sessions[0]!.post(sessions[0]!.call(4, 'echo', { text: 'still here' }));
  assert.equal(kept.status, 200);
});

test('a person over the process limit (one per session), with every session busy, is told which limit; an idle one makes room', async () => {
  const a = await gw.connect('isolated', { user: 'many-processes' });
  const b = await gw.connect('isolated', { user: 'many-processes' });
  const calls = [a, b].map((c) => c.callTool({ name: 'sleep', arguments: { ms: 800 } }));
  await new Promise((r) => setTimeout(r, 100));
  await assert.rejects(gw.connect('isolated', { user: 'many-processes' }), /processesPerPerson/);
  await Promise.all(calls);
  await a.callTool({ name: 'echo', arguments: { text: 'a was used last' } });
  const c = await gw.connect('isolated', { user: 'many-processes' });
  assert.equal(text(await c.callTool({ name: 'echo', arguments: { text: 'room made' } })), 'room made');
  assert.equal(text(await a.callTool({ name: 'echo', arguments: { text: 'still' } })), 'still');
  const procs = gw.publisher.pool.list().filter((u) => u.user === 'many-processes');
  assert.equal(procs.length, 2, 'still two processes: b\'s made room');
});

test('a person over the requests-in-flight limit gets an error for the extra call; the others finish, and other people are not slowed', async () => {
  const s = await openRawSession(gw.mcpUrl('slow'), { 'x-test-user': 'busy' });
  const slow = [1, 2, 3].map((id) => s.post(s.call(id, 'sleep', { ms: 600 })));
  await new Promise((r) => setTimeout(r, 100));
  const over = await s.post(s.call(4, 'echo', { text: 'one too many' }));
  const [answer] = messagesOf(over.headers.get('content-type'), await over.text());
  assert.match(answer?.error?.message ?? '', /requestsPerPerson/);
  const other = await gw.connect('slow', { user: 'not-busy' });
  assert.equal(text(await other.callTool({ name: 'echo', arguments: { text: 'served' } })), 'served');
  for (const r of await Promise.all(slow)) assert.match(await r.text(), /slept 600/);
  const after = await s.post(s.call(5, 'echo', { text: 'room again' }));
  assert.match(await after.text(), /room again/);
});

test('a person over the parked-call limit gets an error instead of a second input_required', async () => {
  const V = '2026-07-28';
  const meta = { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': { sampling: {} } };
  // Two servers: two parked calls on one child would make its next question ambiguous.
  const ask = (server: string) => rawPost(gw.mcpUrl(server), JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'ask', arguments: {}, _meta: meta } }),
    { 'x-test-user': 'parker', 'mcp-protocol-version': V, 'mcp-method': 'tools/call', 'mcp-name': 'ask' });
  const first = await ask('slow');
  assert.equal(first.json.result?.resultType, 'input_required');
  const second = await ask('other');
  assert.match(second.json.error?.message ?? '', /parkedPerPerson/);
});
