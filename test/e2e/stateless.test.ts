// The stateless 2026-07-28 revision at the HTTP level: server/discover, the _meta envelope and
// the headers that must agree with it, removed methods, and results given the fields the
// revision requires even when the child speaks an older one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, rawPost, startGateway, type TestGateway } from '../support/gateway.ts';
import { openListen as openListenAt } from '../support/stateless.ts';

let gw: TestGateway;
before(async () => { gw = await startGateway({ slow: fixture('slow-server', { isolation: 'per-user' }), auto: fixture('slow-server') }); });
after(async () => { await gw.close(); });

const V = '2026-07-28';
const envelope = (extra: Record<string, unknown> = {}) => ({
  'io.modelcontextprotocol/protocolVersion': V,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'raw-2026', version: '1' },
  ...extra,
});
function call(method: string, params: Record<string, unknown> = {}, headers: Record<string, string> = {}, meta = envelope()) {
  return rawPost(gw.mcpUrl('slow'), JSON.stringify({ jsonrpc: '2.0', id: 9, method, params: { ...params, _meta: meta } }), {
    'mcp-protocol-version': V, 'mcp-method': method, ...headers,
  });
}

test('server/discover answers from the cached initialize result', async () => {
  const r = await call('server/discover');
  assert.equal(r.status, 200);
  assert.equal(r.json.id, 9);
  assert.equal(r.json.result.resultType, 'complete');
  assert.ok(r.json.result.supportedVersions.includes(V), 'the stateless revision, and the older ones served through initialize');
  assert.ok(r.json.result.capabilities.tools);
  assert.equal(r.json.result._meta['io.modelcontextprotocol/serverInfo'].name, 'slow-server');
  assert.equal(r.headers.get('mcp-session-id'), null, 'no session is minted');
});

test('results get resultType and cache hints the older child does not send', async () => {
  const r = await call('tools/list');
  assert.equal(r.status, 200);
  assert.equal(r.json.result.resultType, 'complete');
  assert.equal(r.json.result.ttlMs, 0);
  assert.equal(r.json.result.cacheScope, 'private');
  assert.ok(r.json.result.tools.some((t: { name: string }) => t.name === 'echo'));
  const c = await call('tools/call', { name: 'echo', arguments: { text: 'stateless' } }, { 'mcp-name': 'echo' });
  assert.equal(c.json.result.content[0].text, 'stateless');
  const b64 = await call('tools/call', { name: 'echo', arguments: { text: 'b64' } }, { 'mcp-name': `=?base64?${Buffer.from('echo').toString('base64')}?=` });
  assert.equal(b64.status, 200);
});

test('envelope and header errors carry the revision\'s codes', async () => {
  const noMeta = await rawPost(gw.mcpUrl('slow'), JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }), { 'mcp-protocol-version': V, 'mcp-method': 'tools/list' });
  assert.equal(noMeta.status, 400);
  assert.equal(noMeta.json.error.code, -32602);

  const noCaps = await call('tools/list', {}, {}, { 'io.modelcontextprotocol/protocolVersion': V } as ReturnType<typeof envelope>);
  assert.equal(noCaps.status, 400);
  assert.equal(noCaps.json.error.code, -32602);

  const headerMismatch = await call('tools/list', {}, {}, envelope({ 'io.modelcontextprotocol/protocolVersion': 'v999.0.0' }));
  assert.equal(headerMismatch.status, 400);
  assert.equal(headerMismatch.json.error.code, -32020);

  const unsupported = await call('tools/list', {}, { 'mcp-protocol-version': 'v999.0.0' }, envelope({ 'io.modelcontextprotocol/protocolVersion': 'v999.0.0' }));
  assert.equal(unsupported.status, 400);
  assert.equal(unsupported.json.error.code, -32022);
  assert.equal(unsupported.json.error.data.requested, 'v999.0.0');
  assert.ok(unsupported.json.error.data.supported.includes(V));
  assert.equal(unsupported.json.id, 9, 'errors echo the request id');

  const method = await call('tools/list', {}, { 'mcp-method': 'prompts/list' });
  assert.equal(method.status, 400);
  assert.equal(method.json.error.code, -32020);
  const caseSensitive = await call('tools/list', {}, { 'mcp-method': 'TOOLS/LIST' });
  assert.equal(caseSensitive.status, 400);

  const name = await call('tools/call', { name: 'echo', arguments: { text: 'x' } }, { 'mcp-name': 'sleep' });
  assert.equal(name.status, 400);
  assert.equal(name.json.error.code, -32020);
  const noName = await call('tools/call', { name: 'echo', arguments: { text: 'x' } });
  assert.equal(noName.status, 400);
  const spaced = await call('tools/call', { name: 'echo', arguments: { text: 'x' } }, { 'mcp-name': '  echo  ' });
  assert.equal(spaced.status, 200);
});

test('methods the revision removed get 404 and method not found; GET and DELETE get 405', async () => {
  for (const method of ['initialize', 'ping', 'logging/setLevel', 'resources/subscribe']) {
    const r = await call(method, method === 'resources/subscribe' ? { uri: 'fixture://a' } : {});
    assert.equal(r.status, 404, method);
    assert.equal(r.json.error.code, -32601, method);
  }
  const legacyInit = await rawPost(gw.mcpUrl('slow'), JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }), { 'mcp-protocol-version': V });
  assert.equal(legacyInit.status, 400);
  assert.equal(legacyInit.json.error.code, -32020);
  for (const method of ['GET', 'DELETE']) {
    const r = await fetch(gw.mcpUrl('slow'), { method, headers: { 'mcp-protocol-version': V, accept: 'text/event-stream' } });
    assert.equal(r.status, 405, method);
  }
  const note = await rawPost(gw.mcpUrl('slow'), JSON.stringify({ jsonrpc: '2.0', method: 'notifications/whatever', params: { _meta: envelope() } }), { 'mcp-protocol-version': V, 'mcp-method': 'notifications/whatever' });
  assert.equal(note.status, 202);
});

test('progress reaches a stateless caller on the request stream, before the result', async () => {
  const r = await call('tools/call', { name: 'progress', arguments: { steps: 3 } }, { 'mcp-name': 'progress' }, envelope({ progressToken: 'tok' }));
  assert.equal(r.status, 200);
  const events = String(r.json).split('\n\n').filter((e) => e.includes('data:')).map((e) => JSON.parse(e.slice(e.indexOf('data:') + 5)));
  assert.deepEqual(events.map((e) => e.method ?? 'result'), ['notifications/progress', 'notifications/progress', 'notifications/progress', 'result']);
  assert.equal(events[0].params.progressToken, 'tok');
  assert.equal(events[3].result.content[0].text, 'progress done 3');
});

test('a server request mid-call reaches a 2026-07-28 client as input_required, and its retry resumes the same call', async () => {
  const { Client: ModernClient, StreamableHTTPClientTransport: ModernTransport } = await import('@modelcontextprotocol/client');
  const client = new ModernClient({ name: 'modern', version: '1' }, { versionNegotiation: { mode: { pin: V } }, capabilities: { sampling: {}, roots: {} } });
  let asked = 0;
  client.setRequestHandler('sampling/createMessage', async () => {
    asked++;
    return { role: 'assistant', content: { type: 'text', text: 'answer via input_required' }, model: 'm' };
  });
  client.setRequestHandler('roots/list', async () => ({ roots: [{ uri: 'file:///work', name: 'work' }] }));
  await client.connect(new ModernTransport(new URL(gw.mcpUrl('slow'))));
  try {
    const pid = (await client.callTool({ name: 'pid', arguments: {} })).content;
    const r = await client.callTool({ name: 'ask', arguments: { prompt: 'hello?' } });
    assert.equal((r.content as Array<{ text: string }>)[0]!.text, 'answer via input_required');
    assert.equal(asked, 1);
    const roots = await client.callTool({ name: 'roots', arguments: {} });
    assert.match((roots.content as Array<{ text: string }>)[0]!.text, /file:\/\/\/work/);
    assert.deepEqual((await client.callTool({ name: 'pid', arguments: {} })).content, pid, 'still the same child');
  } finally {
    await client.close();
  }
});

test('a tampered requestState is refused; a call needing a capability the client did not declare gets -32021', async () => {
  const r = await call('tools/call', { name: 'echo', arguments: { text: 'x' }, requestState: 'forged', inputResponses: {} }, { 'mcp-name': 'echo' });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, -32602);
  // SEP-2575: the server needs sampling, which the client did not declare: -32021, HTTP 400.
  const noCaps = await call('tools/call', { name: 'ask', arguments: {} }, { 'mcp-name': 'ask' });
  assert.equal(noCaps.status, 400);
  assert.equal(noCaps.json.error.code, -32021);
  assert.deepEqual(noCaps.json.error.data.requiredCapabilities, { sampling: {} });
  assert.equal(noCaps.json.id, 9);
});

test('a retry that names another method keeps the parked call for the right retry', async () => {
  const caps = envelope({ 'io.modelcontextprotocol/clientCapabilities': { sampling: {} } });
  const first = await call('tools/call', { name: 'ask', arguments: { prompt: 'park me' } }, { 'mcp-name': 'ask' }, caps);
  assert.equal(first.json.result.resultType, 'input_required');
  const [key] = Object.keys(first.json.result.inputRequests);
  const requestState = first.json.result.requestState as string;
  const wrong = await call('prompts/get', { name: 'ask', requestState, inputResponses: {} }, { 'mcp-name': 'ask' }, caps);
  assert.equal(wrong.status, 400);
  assert.equal(wrong.json.error.code, -32602);
  const answer = { role: 'assistant', content: { type: 'text', text: 'the right retry' }, model: 'm' };
  const right = await call('tools/call', { name: 'ask', arguments: { prompt: 'park me' }, requestState, inputResponses: { [key!]: answer } }, { 'mcp-name': 'ask' }, caps);
  assert.equal(right.status, 200);
  assert.equal(right.json.result.content[0].text, 'the right retry');
});

test('an unknown method gets 404 and method not found, as the revision says', async () => {
  const r = await call('unknown/method');
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, -32601);
  assert.equal(r.json.id, 9);
});

function openListen(notifications: Record<string, unknown>, id = 77) {
  return openListenAt(gw.mcpUrl('slow'), notifications, id);
}

test('subscriptions/listen acknowledges first, then carries only the notifications asked for, tagged with its id', async () => {
  const tools = await openListen({ toolsListChanged: true, promptsListChanged: true }, 77);
  const prompts = await openListen({ promptsListChanged: true }, 78);
  try {
    assert.equal(tools.res.status, 200);
    assert.ok(await tools.until(() => tools.events.length >= 1));
    const [ack] = tools.events;
    assert.equal(ack!.method, 'notifications/subscriptions/acknowledged');
    assert.deepEqual(ack!.params.notifications, { toolsListChanged: true }, 'the slow server has no prompts: only what it honours is acknowledged');
    assert.equal(ack!.params._meta['io.modelcontextprotocol/subscriptionId'], 77);
    await call('tools/call', { name: 'change', arguments: {} }, { 'mcp-name': 'change' });
    assert.ok(await tools.until(() => tools.events.length >= 2), 'the list change arrived');
    assert.equal(tools.events[1]!.method, 'notifications/tools/list_changed');
    assert.equal(tools.events[1]!.params._meta['io.modelcontextprotocol/subscriptionId'], 77);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(prompts.events.map((e) => e.method), ['notifications/subscriptions/acknowledged'], 'a stream that did not ask for tool changes hears none');
  } finally {
    tools.close();
    prompts.close();
  }
});

test('subscriptions/listen with resourceSubscriptions subscribes the child while the stream is open', async () => {
  const discover = await call('server/discover');
  assert.equal(discover.json.result.capabilities.resources.subscribe, true, 'server/discover advertises subscriptions');
  const listener = await openListen({ resourceSubscriptions: ['fixture://b'] }, 79);
  try {
    assert.ok(await listener.until(() => listener.events.length >= 1));
    assert.deepEqual(listener.events[0]!.params.notifications, { resourceSubscriptions: ['fixture://b'] });
    const subscribed = async () => JSON.parse((await call('tools/call', { name: 'subscriptions', arguments: {} }, { 'mcp-name': 'subscriptions' })).json.result.content[0].text) as string[];
    assert.ok(await listener.until(() => true, 100));
    assert.deepEqual(await subscribed(), ['fixture://b']);
    await call('tools/call', { name: 'touch', arguments: { uri: 'fixture://b' } }, { 'mcp-name': 'touch' });
    assert.ok(await listener.until(() => listener.events.length >= 2), 'the update arrived');
    assert.equal(listener.events[1]!.method, 'notifications/resources/updated');
    assert.equal(listener.events[1]!.params.uri, 'fixture://b');
    assert.equal(listener.events[1]!.params._meta['io.modelcontextprotocol/subscriptionId'], 79);
    listener.close();
    const end = Date.now() + 3000;
    let left = await subscribed();
    while (left.length && Date.now() < end) left = await subscribed();
    assert.deepEqual(left, [], 'closing the stream unsubscribes the child');
  } finally {
    listener.close();
  }
});

test('on an auto server seen asking questions, a 2026-07-28 client keeps using its one process', async () => {
  const on = (method: string, params: Record<string, unknown> = {}, caps: Record<string, unknown> = {}) => rawPost(gw.mcpUrl('auto'),
    JSON.stringify({ jsonrpc: '2.0', id: 5, method, params: { ...params, _meta: envelope({ 'io.modelcontextprotocol/clientCapabilities': caps }) } }),
    { 'mcp-protocol-version': V, 'mcp-method': method, ...(params.name ? { 'mcp-name': String(params.name) } : {}) });
  const pid = async () => (await on('tools/call', { name: 'pid', arguments: {} })).json.result.content[0].text as string;
  const before = await pid();
  const asked = await on('tools/call', { name: 'ask', arguments: {} }, { sampling: {} });
  assert.equal(asked.json.result.resultType, 'input_required', 'the server asked a question (auto now gives new sessions their own process)');
  assert.equal(await pid(), before, 'a stateless call still uses the person\'s process');
  assert.equal(await pid(), before);
});
