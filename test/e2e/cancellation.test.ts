// Stories of a person pressing Stop while other calls run (DESIGN §5 "Cancellation ends exactly
// the request it names"): the other calls of the session finish with their own answers, in every
// isolation mode and with sign-in on; the cancelled call's HTTP exchange ends at once; a call cut
// short by a deleted session or a removed person gets a JSON-RPC error, never an empty 204; input
// nested too deep is refused before the child sees it.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { fixture, startGateway, text, type TestGateway } from '../support/gateway.ts';
import { startSignedInGateway, type SignedInGateway } from '../support/signed-in.ts';
import { messagesOf, openRawSession, within } from '../support/raw-session.ts';

const MODES = ['per-user', 'per-session', 'shared', 'auto'] as const;

let gw: TestGateway;
before(async () => {
  gw = await startGateway(Object.fromEntries(MODES.map((m) => [m, fixture('slow-server', { isolation: m })])));
});
after(async () => { await gw.close(); });

/**
 * One round: `shift` requests answered by the gateway itself (pings, shift < 0) or sent by a
 * sibling session (shift > 0) move the client's ids against the child's; then three slow calls
 * run and the middle one is cancelled.
 */
async function cancelTheMiddleCall(client: Client, sibling: Client | undefined, shift: number): Promise<void> {
  for (let i = 0; i < Math.abs(shift); i++) await (shift > 0 && sibling ? sibling.callTool({ name: 'echo', arguments: { text: 'shift' } }) : client.ping());
  const abort = new AbortController();
  const first = client.callTool({ name: 'sleep', arguments: { ms: 300 } });
  const middle = client.callTool({ name: 'sleep', arguments: { ms: 20_000 } }, undefined, { signal: abort.signal });
  const last = client.callTool({ name: 'sleep', arguments: { ms: 350 } });
  await new Promise((r) => setTimeout(r, 50));
  abort.abort('pressed Stop');
  await assert.rejects(middle);
  assert.equal(text(await within(first, 10_000, 'the first call')), 'slept 300', 'the call before the cancelled one keeps its answer');
  assert.equal(text(await within(last, 10_000, 'the last call')), 'slept 350', 'the call after the cancelled one keeps its answer');
}

/** Shifts whose running sum passes through -1, 0 and +1 (the ids of the neighbouring calls). */
const SHIFTS = [-1, 2, -1, 2, -1, 2];

for (const mode of MODES) {
  test(`${mode}: cancelling one call leaves the session's other calls alone, whatever the id offsets`, async () => {
    const user = `cancel-${mode}`;
    const client = await gw.connect(mode, { user });
    const sibling = mode === 'per-session' ? undefined : await gw.connect(mode, { user });
    for (const shift of SHIFTS) await cancelTheMiddleCall(client, sibling, shift);
    await new Promise((r) => setTimeout(r, 100));
    const cancelled = JSON.parse(text(await client.callTool({ name: 'cancelled', arguments: {} }))) as unknown[];
    assert.ok(cancelled.length >= SHIFTS.length, `the child saw each cancellation (${cancelled.length})`);
  });
}

test('a cancelled call\'s HTTP exchange ends at once, with or without a progress token, carrying no answer', async () => {
  const s = await openRawSession(gw.mcpUrl('per-user'), { 'x-test-user': 'stopper' });
  for (const [id, meta] of [[11, undefined], [12, { progressToken: 'p12' }]] as const) {
    const pending = s.post(s.call(id, 'sleep', { ms: 30_000 }, meta));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await s.cancel(id), 202);
    const res = await within(pending, 3_000, `the exchange of cancelled call ${id} ends`);
    const body = await within(res.text(), 3_000, `the body of cancelled call ${id} ends`);
    assert.equal(res.status, 200);
    const answers = messagesOf(res.headers.get('content-type'), body).filter((m) => m.id === id && ('result' in m));
    assert.deepEqual(answers, [], 'no result is sent for a cancelled request');
  }
  // A client that accepts only JSON gets a JSON-RPC error naming the cancellation, not an empty 204.
  const pending = s.post(s.call(13, 'sleep', { ms: 30_000 }), { accept: 'application/json' });
  await new Promise((r) => setTimeout(r, 100));
  await s.cancel(13);
  const res = await within(pending, 3_000, 'the JSON-only exchange ends');
  assert.equal(res.status, 200);
  const json = await res.json() as { id: number; error: { message: string } };
  assert.equal(json.id, 13);
  assert.match(json.error.message, /cancelled/);
});

test('a call in flight when its session is deleted gets a JSON-RPC error saying why', async () => {
  const s = await openRawSession(gw.mcpUrl('per-user'), { 'x-test-user': 'deleter' });
  const pending = s.post(s.call(21, 'sleep', { ms: 30_000 }));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(await s.close(), 200);
  const res = await within(pending, 3_000, 'the in-flight call ends');
  assert.notEqual(res.status, 204);
  const [answer] = messagesOf(res.headers.get('content-type'), await res.text());
  assert.equal(answer?.id, 21);
  assert.match(answer?.error?.message ?? '', /session .*(ended|deleted)/);
});

test('params nested 10,000 deep are refused with 400 before anything reaches the child', async () => {
  const s = await openRawSession(gw.mcpUrl('per-user'), { 'x-test-user': 'deep' });
  // Built as text: the test's own JSON.stringify would overflow on it.
  const deep = '{"d":'.repeat(10_000) + '"bottom"' + '}'.repeat(10_000);
  const res = await fetch(s.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-test-user': 'deep', 'mcp-session-id': s.id, 'mcp-protocol-version': '2025-11-25' },
    body: `{"jsonrpc":"2.0","id":31,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x","deep":${deep}}}}`,
  });
  assert.equal(res.status, 400);
  const json = await res.json() as { id: number; error: { code: number; message: string } };
  assert.equal(json.error.code, -32600);
  assert.match(json.error.message, /nested/);
  // Nothing was forwarded: the same id is free, and the child answers it.
  const again = await s.post(s.call(31, 'echo', { text: 'fine' }));
  const [answer] = messagesOf(again.headers.get('content-type'), await again.text());
  assert.equal(answer?.result?.content?.[0]?.text, 'fine');
});

describe('with sign-in on', () => {
  let signed: SignedInGateway;
  const ana = { login: { email: 'ana@example.com', password: 'ana-password-1' } };
  before(async () => {
    signed = await startSignedInGateway({ slow: fixture('slow-server') }, { access: { allow: { emails: ['ana@example.com'] } } });
    await signed.addLocalUser('ana@example.com', 'ana-password-1');
  });
  after(async () => { await signed.close(); });

  test('cancelling one call of a signed-in person leaves their other calls alone', async () => {
    const { client } = await signed.connect('slow', ana);
    const { client: sibling } = await signed.connect('slow', ana);
    for (const shift of SHIFTS) await cancelTheMiddleCall(client, sibling, shift);
  });

  test('a call in flight when its person is removed gets a JSON-RPC error saying access was removed', async () => {
    const { provider } = await signed.connect('slow', ana);
    const s = await openRawSession(signed.mcpUrl('slow'), { authorization: `Bearer ${provider.tokens()!.access_token}` });
    const pending = s.post(s.call(41, 'sleep', { ms: 30_000 }));
    await new Promise((r) => setTimeout(r, 100));
    const users = signed.publisher.signIn!.users;
    const record = (await users.list()).find((u) => u.email === 'ana@example.com')!;
    await users.remove(record.id);
    const res = await within(pending, 3_000, 'the in-flight call ends');
    assert.notEqual(res.status, 204);
    const [answer] = messagesOf(res.headers.get('content-type'), await res.text());
    assert.equal(answer?.id, 41);
    assert.match(answer?.error?.message ?? '', /access/);
  });
});
