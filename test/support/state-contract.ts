// The StateStore contract (src/state/state-store.ts), one story per promise of the interface,
// run against every implementation: memory, the state file, PostgreSQL. Stores that several
// processes share (PostgreSQL) also run the stories of two replicas on one database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StateStoreError, type StateChange, type StateStore } from '../../src/state/state-store.ts';

export interface ContractSubject {
  /** A new, empty store (two calls give two stores of their own, unless `shared`). */
  open(options?: { now?: () => number }): Promise<StateStore>;
  /** A second store over the same data as `store` (a restart), when the store persists. */
  reopen?(store: StateStore): Promise<StateStore>;
  /** A second store over the same data while the first stays open (a replica), when it can be shared. */
  replica?(store: StateStore): Promise<StateStore>;
}

const isCode = (code: string) => (e: unknown) => e instanceof StateStoreError && e.code === code;
const tick = () => new Promise((r) => setTimeout(r, 20));

/** Waits until `check` holds (changes heard from another process arrive soon, not at once). */
async function eventually(check: () => boolean, what: string, ms = 1000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`${what}: not within ${ms} ms`);
    await tick();
  }
}

export function stateStoreContract(subject: ContractSubject): void {
  const opened: StateStore[] = [];
  const open = async (options?: { now?: () => number }) => { const s = await subject.open(options); opened.push(s); return s; };
  const track = (s: StateStore) => { opened.push(s); return s; };
  test.afterEach(async () => { for (const s of opened.splice(0)) await s.close(); });

  test('a value comes back as JSON carries it, as a copy that changes nothing stored', async () => {
    const s = await open();
    const when = new Date('2026-01-02T03:04:05Z');
    await s.put('people', 'ana', { name: 'Ana', at: when, tags: ['a', 'b'], nested: { n: 1 } });
    const got = await s.get<{ name: string; at: string; tags: string[]; nested: { n: number } }>('people', 'ana');
    assert.deepEqual(got, { name: 'Ana', at: when.toISOString(), tags: ['a', 'b'], nested: { n: 1 } });
    got!.tags.push('c');
    assert.deepEqual((await s.get<{ tags: string[] }>('people', 'ana'))!.tags, ['a', 'b']);
    await s.put('scalars', 'text', 'just a string');
    await s.put('scalars', 'list', [1, 2, 3]);
    assert.equal(await s.get('scalars', 'text'), 'just a string');
    assert.deepEqual(await s.get('scalars', 'list'), [1, 2, 3]);
    assert.equal(await s.get('people', 'nobody'), undefined);
    // Ids join parts with NUL (consents: user NUL client); values may hold any character.
    const odd = 'u_1\u0000client%00%25\u0000';
    await s.put('consents', odd, { note: 'a\u0000b' });
    assert.deepEqual(await s.get('consents', odd), { note: 'a\u0000b' });
    assert.deepEqual((await s.list('consents')).map((e) => e.id), [odd]);
    assert.equal(await s.get('nothing-here', 'ana'), undefined);
  });

  test('list keeps insertion order, a replaced value moves to the end; find filters by value and id', async () => {
    const s = await open();
    for (const id of ['a', 'b', 'c']) await s.put('order', id, { id, even: id === 'b' });
    await s.put('order', 'a', { id: 'a', even: false, again: true });
    assert.deepEqual((await s.list('order')).map((e) => e.id), ['b', 'c', 'a']);
    assert.deepEqual((await s.find<{ even: boolean }>('order', (v) => v.even)).map((e) => e.id), ['b']);
    assert.deepEqual((await s.find('order', (_v, id) => id === 'c')).map((e) => e.value), [{ id: 'c', even: false }]);
    assert.deepEqual(await s.list('empty'), []);
  });

  test('delete says whether a live value was there; the watcher hears each deletion, not expiry', async () => {
    let now = 1_000_000;
    const s = await open({ now: () => now });
    const heard: [string, StateChange][] = [];
    const stop = s.watch('grants', (id, change) => heard.push([id, change]));
    await s.put('grants', 'g1', 1);
    await s.put('grants', 'g2', 2, { expiresAt: now + 1000 });
    assert.equal(await s.delete('grants', 'g1'), true);
    assert.equal(await s.delete('grants', 'g1'), false);
    now += 2000;
    assert.equal(await s.delete('grants', 'g2'), false, 'an expired value is not there');
    assert.deepEqual(heard, [['g1', { kind: 'deleted', remote: false }]]);
    stop();
    await s.put('grants', 'g3', 3);
    await s.delete('grants', 'g3');
    assert.equal(heard.length, 1, 'nothing is heard after stop()');
  });

  test('an entry past its expiry is invisible to get, list and find', async () => {
    let now = 5_000_000;
    const s = await open({ now: () => now });
    await s.put('codes', 'short', 'x', { expiresAt: now + 1000 });
    await s.put('codes', 'dated', 'y', { expiresAt: new Date(now + 5000) });
    await s.put('codes', 'forever', 'z');
    assert.deepEqual((await s.list('codes')).map((e) => [e.id, e.expiresAt]), [['short', now + 1000], ['dated', now + 5000], ['forever', undefined]]);
    now += 1000;
    assert.equal(await s.get('codes', 'short'), undefined);
    assert.deepEqual((await s.find('codes', () => true)).map((e) => e.id), ['dated', 'forever']);
  });

  test('what cannot be stored is refused with invalid_value; a closed store refuses with closed', async () => {
    const s = await open();
    await assert.rejects(s.put('bad', 'fn', () => 1), isCode('invalid_value'));
    await assert.rejects(s.put('bad', 'big', { n: 1n }), isCode('invalid_value'));
    await assert.rejects(s.put('bad', '', 1), isCode('invalid_value'));
    await assert.rejects(s.put('', 'x', 1), isCode('invalid_value'));
    await assert.rejects(s.put('bad', 'when', 1, { expiresAt: Number.NaN }), isCode('invalid_value'));
    assert.equal(await s.get('bad', 'fn'), undefined);
    await s.close();
    await s.close(); // again: nothing
    await assert.rejects(s.get('bad', 'x'), isCode('closed'));
  });

  test('update changes a live value atomically and keeps its expiry; undefined leaves it alone', async () => {
    const s = await open();
    const expiresAt = Date.now() + 60_000;
    await s.put('tokens', 't', { uses: 0 }, { expiresAt });
    assert.deepEqual(await s.update<{ uses: number }>('tokens', 't', (v) => ({ uses: v.uses + 1 })), { uses: 1 });
    assert.equal(await s.update('tokens', 't', () => undefined), undefined);
    assert.equal(await s.update('tokens', 'missing', () => ({ uses: 9 })), undefined);
    assert.equal(await s.get('tokens', 'missing'), undefined, 'update never creates');
    assert.deepEqual(await s.list('tokens'), [{ id: 't', value: { uses: 1 }, expiresAt }]);
    // 40 increments at once: none is lost.
    await Promise.all(Array.from({ length: 40 }, () => s.update<{ uses: number }>('tokens', 't', (v) => ({ uses: v.uses + 1 }))));
    assert.deepEqual(await s.get('tokens', 't'), { uses: 41 });
  });

  test('add creates a value only where there is no live one; of 20 at once exactly one wins', async () => {
    const s = await open();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.add('owners', 'first', { by: i })));
    assert.equal(results.filter(Boolean).length, 1);
    assert.deepEqual(await s.get('owners', 'first'), { by: results.indexOf(true) }, 'the winner\'s value is stored');
    assert.equal(await s.add('owners', 'first', { by: 99 }), false);
    await s.put('owners', 'old', { by: 0 }, { expiresAt: Date.now() - 1 });
    assert.equal(await s.add('owners', 'old', { by: 1 }, { expiresAt: Date.now() + 60_000 }), true, 'an expired value is no obstacle');
    assert.deepEqual(await s.get('owners', 'old'), { by: 1 });
    await assert.rejects(s.add('owners', 'fn', () => 1), isCode('invalid_value'));
  });

  test('a single-use value is consumed once however many ask at once', async () => {
    const s = await open();
    await s.put('codes', 'c', { consumed: false });
    const results = await Promise.all(Array.from({ length: 20 }, () => s.update<{ consumed: boolean }>('codes', 'c', (v) => (v.consumed ? undefined : { consumed: true }))));
    assert.equal(results.filter(Boolean).length, 1);
  });

  if (subject.reopen) {
    const reopen = subject.reopen;
    test('what was acknowledged is there after a restart', async () => {
      const s = await open();
      await s.put('users', 'u1', { name: 'Ana' });
      await s.put('users', 'u2', { name: 'Ben' });
      await s.delete('users', 'u2');
      await s.update<{ name: string }>('users', 'u1', (v) => ({ ...v, name: 'Ana B.' }));
      await s.close();
      const again = track(await reopen(s));
      assert.deepEqual(await again.list('users'), [{ id: 'u1', value: { name: 'Ana B.' } }]);
    });
  }

  if (subject.replica) {
    const replica = subject.replica;
    test('two replicas: each sees the other\'s writes, and hears its changes and deletions', async () => {
      const a = await open();
      const b = track(await replica(a));
      const heardByB: [string, StateChange][] = [];
      b.watch('users', (id, change) => heardByB.push([id, change]));
      const heardByA: [string, StateChange][] = [];
      a.watch('users', (id, change) => heardByA.push([id, change]));
      await a.put('users', 'u1', { status: 'allowed' });
      assert.deepEqual(await b.get('users', 'u1'), { status: 'allowed' });
      await eventually(() => heardByB.length === 1, 'B hears A\'s put');
      await a.delete('users', 'u1');
      await eventually(() => heardByB.length === 2, 'B hears A\'s delete');
      assert.deepEqual(heardByB, [['u1', { kind: 'changed', remote: true }], ['u1', { kind: 'deleted', remote: true }]]);
      assert.deepEqual(heardByA, [['u1', { kind: 'deleted', remote: false }]], 'A hears only its own deletion, once');
    });

    test('two replicas consume one single-use value at once: exactly one wins', async () => {
      const a = await open();
      const b = track(await replica(a));
      for (let round = 0; round < 10; round++) {
        await a.put('oidc.RefreshToken', `r${round}`, { consumed: null });
        const consume = (s: StateStore) => s.update<{ consumed: number | null }>('oidc.RefreshToken', `r${round}`, (v) => (v.consumed ? undefined : { consumed: round + 1 }));
        const results = await Promise.all([consume(a), consume(b), consume(a), consume(b)]);
        assert.equal(results.filter(Boolean).length, 1, `round ${round}: ${JSON.stringify(results)}`);
      }
      // And a value added from both sides at once exists once.
      for (let round = 0; round < 10; round++) {
        const results = await Promise.all([a, b, a, b].map((s, i) => s.add('owners', `o${round}`, { by: i })));
        assert.equal(results.filter(Boolean).length, 1, `round ${round}: ${JSON.stringify(results)}`);
      }
      // And increments from both sides lose nothing.
      await a.put('counters', 'n', 0);
      await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).update<number>('counters', 'n', (v) => v + 1)));
      assert.equal(await a.get('counters', 'n'), 30);
    });
  }
}
