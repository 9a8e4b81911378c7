// Several sessions on one child (DESIGN §5): calls never cross, one session's DELETE leaves the
// others working, other users get their own child, notifications reach the right sessions, and
// clients of different protocol revisions share one child.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateMessageRequestSchema, LoggingMessageNotificationSchema, ResourceUpdatedNotificationSchema, ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { fixture, startGateway, text, type TestGateway } from '../support/gateway.ts';

let gw: TestGateway;
before(async () => { gw = await startGateway({ slow: fixture('slow-server', { isolation: 'per-user' }), isolated: fixture('slow-server', { isolation: 'per-session' }), shared: fixture('slow-server', { isolation: 'shared' }) }); });
after(async () => { await gw.close(); });

const pidOf = async (c: { callTool: Client['callTool'] }) => Number(text(await c.callTool({ name: 'pid', arguments: {} })));
const until = async (check: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return check();
};

test('two sessions of one user share one child and interleaved calls never cross', async () => {
  const a = await gw.connect('slow', { user: 'ana' });
  const b = await gw.connect('slow', { user: 'ana' });
  assert.equal(await pidOf(a), await pidOf(b), 'same child for the same user');
  const calls: Promise<void>[] = [];
  for (let i = 0; i < 40; i++) {
    for (const [name, c] of [['a', a], ['b', b]] as const) {
      const msg = `${name}-${i}`;
      calls.push((i % 3 === 0
        ? c.callTool({ name: 'sleep', arguments: { ms: (i * 7) % 30 } }).then((r) => assert.equal(text(r), `slept ${(i * 7) % 30}`))
        : c.callTool({ name: 'echo', arguments: { text: msg } }).then((r) => assert.equal(text(r), msg))));
    }
  }
  await Promise.all(calls);
});

test("one session's DELETE leaves the other working; the deleted one gets 404", async () => {
  const a = await gw.connect('slow', { user: 'bo' });
  const b = await gw.connect('slow', { user: 'bo' });
  const pid = await pidOf(a);
  const ta = a.transport as StreamableHTTPClientTransport;
  const sessionId = ta.sessionId!;
  await ta.terminateSession();
  const res = await fetch(gw.mcpUrl('slow'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId, 'x-test-user': 'bo' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  assert.equal(res.status, 404);
  assert.equal(((await res.json()) as { error: { code: number } }).error.code, -32001);
  assert.equal(await pidOf(b), pid, 'the other session still works on the same child');
});

test('a different user gets a different child; per-session isolation gives each session its own', async () => {
  const a = await gw.connect('slow', { user: 'carla' });
  const b = await gw.connect('slow', { user: 'dan' });
  assert.notEqual(await pidOf(a), await pidOf(b));
  const c = await gw.connect('isolated', { user: 'carla' });
  const d = await gw.connect('isolated', { user: 'carla' });
  assert.notEqual(await pidOf(c), await pidOf(d));
});

test('cancelling a call sends notifications/cancelled to the child with the id it knows', async () => {
  const a = await gw.connect('slow', { user: 'eve' });
  const abort = new AbortController();
  const call = a.callTool({ name: 'sleep', arguments: { ms: 10_000 } }, undefined, { signal: abort.signal });
  setTimeout(() => abort.abort('changed my mind'), 100);
  await assert.rejects(call);
  await new Promise((r) => setTimeout(r, 150)); // the cancellation reaches the child
  const cancelled = JSON.parse(text(await a.callTool({ name: 'cancelled', arguments: {} }))) as unknown[];
  assert.equal(cancelled.length, 1, 'the child saw exactly one cancellation');
  assert.equal(text(await a.callTool({ name: 'echo', arguments: { text: 'still fine' } })), 'still fine');
});

test('list_changed goes to every session of the user; resources/updated only to subscribers', async () => {
  const a = await gw.connect('slow', { user: 'fay' });
  const b = await gw.connect('slow', { user: 'fay' });
  let aChanged = 0, bChanged = 0, aUpdated = 0, bUpdated = 0;
  a.setNotificationHandler(ToolListChangedNotificationSchema, () => { aChanged++; });
  b.setNotificationHandler(ToolListChangedNotificationSchema, () => { bChanged++; });
  a.setNotificationHandler(ResourceUpdatedNotificationSchema, () => { aUpdated++; });
  b.setNotificationHandler(ResourceUpdatedNotificationSchema, () => { bUpdated++; });
  await a.callTool({ name: 'change', arguments: {} });
  assert.ok(await until(() => aChanged === 1 && bChanged === 1), `both sessions told (a=${aChanged}, b=${bChanged})`);
  await a.subscribeResource({ uri: 'fixture://a' });
  await b.callTool({ name: 'touch', arguments: { uri: 'fixture://a' } });
  assert.ok(await until(() => aUpdated === 1));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(bUpdated, 0, 'a session that did not subscribe hears nothing');
  // b subscribes too, a leaves: the child stays subscribed until the last one leaves.
  await b.subscribeResource({ uri: 'fixture://a' });
  await a.unsubscribeResource({ uri: 'fixture://a' });
  assert.deepEqual(JSON.parse(text(await a.callTool({ name: 'subscriptions', arguments: {} }))), ['fixture://a']);
  await b.unsubscribeResource({ uri: 'fixture://a' });
  assert.deepEqual(JSON.parse(text(await a.callTool({ name: 'subscriptions', arguments: {} }))), []);
});

test('a sampling request goes to the session whose call caused it', async () => {
  const a = await gw.connect('slow', { user: 'gil', capabilities: { sampling: {} } });
  const b = await gw.connect('slow', { user: 'gil', capabilities: { sampling: {} } });
  const answer = (who: string) => async () => ({ role: 'assistant' as const, content: { type: 'text' as const, text: `answered by ${who}` }, model: 'm' });
  a.setRequestHandler(CreateMessageRequestSchema, answer('a'));
  b.setRequestHandler(CreateMessageRequestSchema, answer('b'));
  assert.equal(text(await b.callTool({ name: 'ask', arguments: { prompt: 'hi' } })), 'answered by b');
  assert.equal(text(await a.callTool({ name: 'ask', arguments: { prompt: 'hi' } })), 'answered by a');
});

// A question or log line the child sent before it read a cancellation reaches the gateway after
// the gateway forgot the call: it must not go to a sibling that is the only one left with a call
// in flight (seen in the race test, 1 in ~2,400 questions). Once the child has shown it read the
// cancellation, the sibling's own questions are placed again.
for (const ending of ['cancels the call', 'ends its session'] as const) {
  test(`a question from a call whose session ${ending} never reaches a sibling session`, async () => {
    const user = `ghost-${ending.split(' ')[0]}`;
    const a = await gw.connect('slow', { user, capabilities: { sampling: {} } });
    const b = await gw.connect('slow', { user, capabilities: { sampling: {} } });
    const asked: string[] = [];
    const answer = (who: string) => async (req: { params: { messages: Array<{ content: unknown }> } }) => {
      asked.push(`${who}: ${(req.params.messages[0]!.content as { text: string }).text}`);
      return { role: 'assistant' as const, content: { type: 'text' as const, text: `answered by ${who}` }, model: 'm' };
    };
    a.setRequestHandler(CreateMessageRequestSchema, answer('a'));
    b.setRequestHandler(CreateMessageRequestSchema, answer('b'));
    const busy = b.callTool({ name: 'sleep', arguments: { ms: 800 } });
    const abort = new AbortController();
    const cancelled = a.callTool({ name: 'on_cancel', arguments: { data: 'whose?', send: 'sampling' } }, undefined, { signal: abort.signal })
      .then(() => 'answered', (e: Error) => e.message);
    await new Promise((r) => setTimeout(r, 80));
    if (ending === 'cancels the call') abort.abort('pressed Stop');
    else await (a.transport as StreamableHTTPClientTransport).terminateSession();
    assert.notEqual(await cancelled, 'answered');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(asked.filter((q) => q.startsWith('b')), [], 'the sibling was asked a question of a call it never made');
    assert.equal(text(await busy), 'slept 800');
    assert.equal(text(await b.callTool({ name: 'ask', arguments: { prompt: 'mine' } })), 'answered by b');
  });
}

test('on a shared child, a log line of a call its person cancelled never reaches another person who is busy', async () => {
  const x = await gw.connect('shared', { user: 'xena' });
  const y = await gw.connect('shared', { user: 'yann' });
  const heard: string[] = [];
  x.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void heard.push(`xena: ${String(n.params.data)}`));
  y.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void heard.push(`yann: ${String(n.params.data)}`));
  const busy = y.callTool({ name: 'sleep', arguments: { ms: 800 } });
  const abort = new AbortController();
  const cancelled = x.callTool({ name: 'on_cancel', arguments: { data: 'xena\'s secret', send: 'log' } }, undefined, { signal: abort.signal })
    .then(() => 'answered', (e: Error) => e.message);
  await new Promise((r) => setTimeout(r, 80));
  abort.abort('pressed Stop');
  assert.notEqual(await cancelled, 'answered');
  assert.equal(text(await busy), 'slept 800');
  assert.deepEqual(heard.filter((h) => h.startsWith('yann')), [], 'yann heard a line of xena\'s call');
});

test('a 2026-07-28 client and a 2025-06-18 client use the same child at the same time', async () => {
  const old = new Client({ name: 'old', version: '1' });
  await old.connect(new StreamableHTTPClientTransport(new URL(gw.mcpUrl('slow')), { requestInit: { headers: { 'x-test-user': 'hal' } } }));
  const modern = new ModernClient({ name: 'modern', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await modern.connect(new ModernTransport(new URL(gw.mcpUrl('slow')), { requestInit: { headers: { 'x-test-user': 'hal' } } }));
  try {
    assert.equal(modern.getProtocolEra?.(), 'modern');
    const [p1, p2] = await Promise.all([pidOf(old), pidOf(modern as unknown as Client)]);
    assert.equal(p1, p2, 'one child serves both');
    const both = await Promise.all([
      old.callTool({ name: 'sleep', arguments: { ms: 50 } }),
      modern.callTool({ name: 'echo', arguments: { text: 'from 2026' } }),
      old.callTool({ name: 'echo', arguments: { text: 'from 2025' } }),
    ]);
    assert.deepEqual(both.map((r) => text(r)), ['slept 50', 'from 2026', 'from 2025']);
    const { tools } = await modern.listTools();
    assert.ok(tools.some((t) => t.name === 'sleep'));
  } finally {
    await old.close();
    await modern.close();
  }
});
