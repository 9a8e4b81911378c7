// Stories of servers that start badly (DESIGN §5): one that never answers initialize fails after
// the configured timeout; one that crash-loops fails each request at once with the reason while it
// backs off; overlapping starts, crashes while starting, reconfiguration and removal during a
// start never leave a child without an owner; a restarted child gets its subscriptions back; a
// request cancelled while its child starts never reaches it; a server request the client never
// answers is answered for it with an error after the request timeout.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateMessageRequestSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { alive, fixture, startGateway, text, type TestGateway } from '../support/gateway.ts';
import { messagesOf, openRawSession, within } from '../support/raw-session.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpp-startup-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function startupServer(behaviour: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return fixture('startup-server', { env: { STARTUP_FIXTURE: JSON.stringify(behaviour) }, ...extra });
}
const pidsIn = (file: string) => fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function initialize(gw: TestGateway, server: string, user: string) {
  const res = await fetch(gw.mcpUrl(server), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-test-user': user },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
  });
  return { status: res.status, session: res.headers.get('mcp-session-id'), json: await res.json() as { error?: { message: string }; result?: unknown } };
}

test('a server that never answers initialize fails after requestTimeoutSeconds, not a fixed minute', async () => {
  const gw = await startGateway({ mute: startupServer({ hang: 'always' }) }, { requestTimeoutSeconds: 2 });
  try {
    const started = Date.now();
    const r = await within(initialize(gw, 'mute', 'u'), 20_000, 'initialize answered');
    assert.match(r.json.error?.message ?? '', /did not answer initialize within 2 s/);
    assert.ok(Date.now() - started < 20_000);
  } finally {
    await gw.close();
  }
});

test('while a crash-looping server backs off, each request fails at once with the reason and when it is tried again', async () => {
  const counterFile = path.join(dir, 'crashloop-count');
  const gw = await startGateway({ loop: startupServer({ exitAtStart: 3, counterFile }) });
  try {
    const first = await initialize(gw, 'loop', 'u');
    assert.match(first.json.error?.message ?? '', /code 3/);
    for (let i = 0; i < 5; i++) {
      const r = await within(initialize(gw, 'loop', 'u'), 3_000, `request ${i} during the backoff answered at once`);
      assert.match(r.json.error?.message ?? '', /code 3/, 'the reason is the last exit');
      assert.match(r.json.error?.message ?? '', /tr(y|ied) again in \d+ s|trying again now/);
    }
    assert.ok(pidsIn(counterFile).length <= 3, `starts are spaced by the backoff (${pidsIn(counterFile).length} starts)`);
  } finally {
    await gw.close();
  }
});

test('overlapping starts, crashes while starting, reconfiguration and removal during starts leave no child without an owner', { timeout: 120_000 }, async () => {
  const pidFile = path.join(dir, 'chaos-pids');
  const servers = { chaos: startupServer({ hang: 'chaos', pidFile }) };
  const gw = await startGateway(servers, { requestTimeoutSeconds: 1 });
  const outcomes = { ok: 0, failed: 0, hung: 0 };
  const why: string[] = [];
  try {
    const rounds = 24;
    let generation = 0;
    const round = async (r: number) => {
      const user = `chaos-${r}`;
      const attempts = Array.from({ length: 4 }, async () => {
        await sleep(Math.random() * 1500);
        try {
          const init = await within(initialize(gw, 'chaos', user), 15_000, 'initialize answered');
          if (!init.session) { outcomes.failed++; return; }
          const s = await within(openRawSession(gw.mcpUrl('chaos'), { 'x-test-user': user }), 15_000, 'a second initialize answered');
          const res = await within(s.post(s.call(2, 'pid')), 15_000, 'a call answered');
          const [answer] = messagesOf(res.headers.get('content-type'), await res.text());
          if (answer?.result) outcomes.ok++;
          else outcomes.failed++;
        } catch (e) {
          // An answer that is an error (the start timed out, the child was stopped) is a failure
          // the client hears about; only an answer that never comes is a hang.
          const message = (e as Error).message;
          if (!/not within/.test(message)) return void outcomes.failed++;
          outcomes.hung++;
          why.push(message);
        }
      });
      const meddle = (async () => {
        await sleep(Math.random() * 1500);
        if (r % 3 === 0) await gw.publisher.pool.stopWhere((e) => e.user === user);
        if (r % 3 === 1) {
          const config = structuredClone(gw.publisher.currentConfig) as { mcpServers: Record<string, { env: Record<string, string> }> };
          config.mcpServers.chaos!.env.GENERATION = String(++generation);
          await gw.publisher.updateConfig(config);
        }
      })();
      await Promise.all([...attempts, meddle]);
    };
    for (let r = 0; r < rounds; r += 4) await Promise.all([r, r + 1, r + 2, r + 3].map(round));
    assert.equal(outcomes.hung, 0, `every request was answered (${JSON.stringify(outcomes)}): ${[...new Set(why)].join('; ')}`);
    await sleep(4_000); // start timeouts and kill graces run out
    const owned = new Set(gw.publisher.pool.list().map((u) => u.pid).filter((p): p is number => p !== undefined));
    const orphans = pidsIn(pidFile).filter((pid) => alive(pid) && !owned.has(pid));
    assert.deepEqual(orphans, [], `no live child without an owner (${pidsIn(pidFile).length} children started; ${JSON.stringify(outcomes)})`);
  } finally {
    await gw.close();
  }
  assert.deepEqual(pidsIn(pidFile).filter(alive), [], 'every child is gone once the gateway stopped');
});

test('a restarted child gets its subscriptions back', async () => {
  const gw = await startGateway({ slow: fixture('slow-server') });
  try {
    const a = await gw.connect('slow', { user: 'sub' });
    let updates = 0;
    a.setNotificationHandler(ResourceUpdatedNotificationSchema, () => { updates++; });
    await a.subscribeResource({ uri: 'fixture://a' });
    const pid = Number(text(await a.callTool({ name: 'pid', arguments: {} })));
    process.kill(pid, 'SIGKILL');
    await sleep(300);
    assert.deepEqual(JSON.parse(text(await a.callTool({ name: 'subscriptions', arguments: {} }))), ['fixture://a'], 'the new child was subscribed again');
    await a.callTool({ name: 'touch', arguments: { uri: 'fixture://a' } });
    const end = Date.now() + 3000;
    while (updates === 0 && Date.now() < end) await sleep(20);
    assert.equal(updates, 1, 'the subscriber hears about the update from the new child');
  } finally {
    await gw.close();
  }
});

test('a request cancelled while its child is starting never reaches the child', async () => {
  const gw = await startGateway({ late: startupServer({ initDelayMs: 1500 }) });
  try {
    const s = await openRawSession(gw.mcpUrl('late'), { 'x-test-user': 'u' });
    const pid = Number(messagesOf('application/json', await (await s.post(s.call(2, 'pid'))).text())[0]!.result.content[0].text);
    process.kill(pid, 'SIGKILL');
    await sleep(200);
    const pending = s.post(s.call(3, 'sleep', { ms: 1 }));
    await sleep(200);
    assert.equal(await s.cancel(3), 202);
    await within(pending, 3_000, 'the cancelled exchange ends');
    const res = await s.post(s.call(4, 'received'));
    const received = JSON.parse(messagesOf(res.headers.get('content-type'), await res.text())[0]!.result.content[0].text) as unknown[];
    assert.deepEqual(received, [], 'the new child never got the cancelled call');
  } finally {
    await gw.close();
  }
});

test('a server request the client never answers is answered with an error after the request timeout', async () => {
  const gw = await startGateway({ slow: fixture('slow-server') }, { requestTimeoutSeconds: 1, startTimeoutSeconds: 30 });
  try {
    const mute = await gw.connect('slow', { user: 'mute', capabilities: { sampling: {} } });
    mute.setRequestHandler(CreateMessageRequestSchema, () => new Promise(() => {}));
    await mute.callTool({ name: 'ask', arguments: { prompt: 'anyone?' } }).catch(() => {});
    const end = Date.now() + 5000;
    const waiting = () => gw.publisher.pool.list().filter((u) => u.user === 'mute').reduce((n, u) => n + u.serverRequests, 0);
    while (waiting() > 0 && Date.now() < end) await sleep(50);
    assert.equal(waiting(), 0, 'the unanswered server request was dropped');
    // The child is not wedged: another session of the same person is asked and answers.
    await mute.close();
    const talker = await gw.connect('slow', { user: 'mute', capabilities: { sampling: {} } });
    talker.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', content: { type: 'text', text: 'here' }, model: 'm' }));
    assert.equal(text(await talker.callTool({ name: 'ask', arguments: { prompt: 'now?' } })), 'here');
  } finally {
    await gw.close();
  }
});
