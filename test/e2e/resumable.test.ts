// Resumable streams (Streamable HTTP "Resumability and Redelivery", DESIGN §5): a tunnel that
// drops a long call's stream does not lose its result; the SDK client takes the stream up again
// with Last-Event-ID and gets what it missed, once. The GET stream is taken up again the same way,
// and a stream that has nothing more to say answers 204.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { fixture, startGateway, text, type TestGateway } from '../support/gateway.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { eventIdsOf, openRawSession, within } from '../support/raw-session.ts';

let gw: TestGateway;
let proxy: TcpProxy;
before(async () => {
  gw = await startGateway({ slow: fixture('slow-server', { isolation: 'per-user' }) });
  proxy = await startTcpProxy(gw.url);
});
after(async () => { await proxy.close(); await gw.close(); });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function clientThroughProxy(user: string): Promise<Client> {
  const client = new Client({ name: 'resuming', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${proxy.url}/servers/slow/mcp`), {
    requestInit: { headers: { 'x-test-user': user } },
    reconnectionOptions: { initialReconnectionDelay: 200, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1.5, maxRetries: 5 },
  }));
  return client;
}

test('a call whose stream the tunnel cuts mid-way still gets its result, and every progress event once', { timeout: 30_000 }, async () => {
  const client = await clientThroughProxy('cut');
  try {
    const progress: number[] = [];
    let cuts = 0;
    const call = client.callTool({ name: 'progress', arguments: { steps: 10, intervalMs: 150 } }, undefined, {
      onprogress: (p) => {
        progress.push(p.progress);
        // Cut twice: after the 2nd event and after the 6th (the second cut hits the resumed stream).
        if ((p.progress === 2 || p.progress === 6) && cuts < 2) { cuts++; proxy.cut(); }
      },
    });
    const result = await within(call, 20_000, 'the call answered after the cuts');
    assert.equal(text(result), 'progress done 10');
    assert.equal(cuts, 2);
    assert.deepEqual(progress, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'each progress event arrived once, in order');
  } finally {
    await client.close();
  }
});

test('the GET stream is taken up again: a notification sent while it was cut arrives', { timeout: 30_000 }, async () => {
  const listener = await clientThroughProxy('getter');
  const other = await gw.connect('slow', { user: 'getter' });
  try {
    let changed = 0;
    listener.setNotificationHandler(ToolListChangedNotificationSchema, () => { changed++; });
    await sleep(300); // the GET stream is open (and primed)
    proxy.cut();
    await other.callTool({ name: 'change', arguments: {} }); // sent while the listener is away
    const end = Date.now() + 10_000;
    while (changed === 0 && Date.now() < end) await sleep(50);
    assert.equal(changed, 1, 'the list change sent during the cut was replayed on the resumed stream');
    await sleep(500);
    assert.equal(changed, 1, 'and only once');
  } finally {
    await listener.close();
  }
});

test('taking up a stream that has nothing more to say answers 204', async () => {
  const s = await openRawSession(gw.mcpUrl('slow'), { 'x-test-user': 'done' });
  const res = await s.post(s.call(3, 'progress', { steps: 2, intervalMs: 10 }, { progressToken: 'p' }));
  const ids = eventIdsOf(await res.text());
  assert.ok(ids.length >= 3, `every event has an id (${ids.join(', ')})`);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  const replay = await fetch(s.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': s.id, 'mcp-protocol-version': '2025-11-25', 'x-test-user': 'done', 'last-event-id': ids.at(-1)! } });
  assert.equal(replay.status, 204);
  const missed = await fetch(s.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': s.id, 'mcp-protocol-version': '2025-11-25', 'x-test-user': 'done', 'last-event-id': ids[0]! } });
  assert.equal(missed.status, 200);
  const body = await missed.text();
  assert.deepEqual(eventIdsOf(body), ids.slice(1), 'what came after the given id is replayed, and the stream ends');
  assert.match(body, /progress done 2/);
});
