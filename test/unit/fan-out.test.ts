// Who a question from the server goes to (DESIGN §5): only where the gateway knows it belongs.
// A call cancelled upstream keeps counting until the server answers it, shows it read the
// cancellation, or a request timeout passes: what it sent before reading it arrives afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logTargets, serverRequestRoute, type Listener } from '../../src/upstream/fan-out.ts';
import { RequestTable } from '../../src/upstream/request-table.ts';

const session = (name: string, inflight: number, lingering = 0, user = name) => ({ name, user, inflight, lingering, subscriptions: new Set<string>() }) satisfies Listener & { name: string };
const to = (r: ReturnType<typeof serverRequestRoute<ReturnType<typeof session>>>) => ('to' in r ? r.to.name : `refused: ${r.refuse}`);

test('the one session with a call in flight is asked; with two, or none of several, nobody is', () => {
  assert.equal(to(serverRequestRoute([session('a', 0), session('b', 2)])), 'b');
  assert.equal(to(serverRequestRoute([session('a', 0)])), 'a');
  assert.match(to(serverRequestRoute([session('a', 1), session('b', 1)])), /refused: 2 sessions have calls in flight/);
  assert.match(to(serverRequestRoute([session('a', 0), session('b', 0)])), /refused: several sessions share/);
  assert.match(to(serverRequestRoute([])), /refused: no client/);
});

test('a call cancelled but perhaps still running counts: its session is asked, or nobody if another is busy', () => {
  assert.equal(to(serverRequestRoute([session('a', 0, 1), session('b', 0)])), 'a');
  assert.match(to(serverRequestRoute([session('a', 0, 1), session('b', 1)])), /refused: 2 sessions/);
  assert.equal(to(serverRequestRoute([session('a', 1, 1), session('b', 0)])), 'a');
});

test('a call of a session that left counts too: nobody is asked, the sole busy sibling included', () => {
  assert.match(to(serverRequestRoute([session('b', 1)], 1)), /refused: 2 sessions/);
  assert.match(to(serverRequestRoute([session('b', 0)], 1)), /refused: the call that asked was cancelled, or its session ended/);
  assert.match(to(serverRequestRoute([], 2)), /refused: the call that asked was cancelled/);
});

test('the request table: an abandoned call lingers until the server answers it or its time is up', () => {
  const table = new RequestTable<string>();
  const message = (id: number) => ({ jsonrpc: '2.0' as const, id, method: 'tools/call', params: {} });
  const one = table.forward('a', message(1))!;
  const two = table.forward('a', message(2))!;
  const three = table.forward('b', message(1))!;
  const t0 = Date.now();
  table.abandon(one, 1000, t0);
  table.abandon(two, 1000, t0);
  table.abandon(three, 5000, t0);
  assert.equal(table.size, 0, 'abandoned calls are no longer open');
  assert.equal(table.lingering(t0).get('a'), 2);
  assert.deepEqual(table.lingeringIds(), [one.upstreamId, two.upstreamId, three.upstreamId], 'what a fence after these cancellations settles');
  assert.equal(table.settle(one.upstreamId), true, 'the server answered it after all');
  assert.equal(table.settle(one.upstreamId), false);
  assert.equal(table.lingering(t0).get('a'), 1);
  assert.deepEqual([...table.lingering(t0 + 1000)], [['b', 1]], 'a\'s other call timed out; b\'s lingers on');
  table.forgetLingering();
  assert.equal(table.lingering(t0).size, 0, 'a new process runs none of them');
  const queued = table.queue('c', message(9))!;
  table.abandon(queued, 1000, t0);
  assert.equal(table.lingering(t0).size, 0, 'a call that never reached the server cannot linger');
});

test('a log line on a shared child goes to the one person whose calls may be running, cancelled ones included', () => {
  const names = (l: Array<{ name: string }>) => l.map((x) => x.name);
  assert.deepEqual(names(logTargets([session('x1', 1, 0, 'x'), session('x2', 0, 0, 'x'), session('y1', 0, 0, 'y')])), ['x1', 'x2']);
  assert.deepEqual(names(logTargets([session('x1', 0, 1, 'x'), session('y1', 1, 0, 'y')])), [], 'x\'s cancelled call may have written it');
  assert.deepEqual(names(logTargets([session('x1', 0, 0, 'x'), session('y1', 1, 0, 'y')], new Set(['x']))), [], 'so may a call of x\'s that left');
  assert.deepEqual(names(logTargets([session('x1', 0, 0, 'x'), session('y1', 1, 0, 'y')], new Set(['y']))), ['y1']);
  assert.deepEqual(names(logTargets([session('x1', 0, 0, 'x'), session('x2', 1, 0, 'x')], new Set(['x']))), ['x1', 'x2'], 'one person\'s sessions hear their own server');
  assert.deepEqual(names(logTargets([session('x1', 0, 0, 'x'), session('x2', 1, 0, 'x')], new Set(['z']))), [], 'unless a call of someone who left may still be running');
});
