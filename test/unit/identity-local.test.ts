// Local accounts: the owner creates an account for Ana, sends her an invite link, she sets a
// password and signs in; the owner's own account is made once with a generated password.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStateStore, type StateStore } from '../../src/state/state-store.ts';
import {
  ACCOUNTS_COLLECTION, LocalAccountError, LocalAccounts, hashPassword, verifyPassword, type ScryptParams,
} from '../../src/identity/local-accounts.ts';

const FAST: ScryptParams = { N: 2 ** 12, r: 8, p: 1 };
const isCode = (code: string) => (e: unknown) => e instanceof LocalAccountError && e.code === code;

async function world(now = { t: Date.parse('2026-01-01T00:00:00Z') }) {
  const state = await openStateStore({ now: () => now.t });
  const accounts = new LocalAccounts(state, { scrypt: FAST, now: () => now.t });
  return { state, accounts, now };
}

describe('password hashing', () => {
  it('records the algorithm, cost and a per-hash salt, and verifies in constant time', async () => {
    const a = await hashPassword('correct horse', FAST);
    const b = await hashPassword('correct horse', FAST);
    assert.match(a, /^\$scrypt\$ln=12,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.notEqual(a, b, 'salted');
    assert.equal(await verifyPassword('correct horse', a), true);
    assert.equal(await verifyPassword('correct horsE', a), false);
    assert.equal(await verifyPassword('correct horse', 'plain text'), false);
    assert.equal(await verifyPassword('correct horse', a.replace('ln=12', 'ln=30')), false, 'absurd costs from a damaged file are refused');
  });

  it('a hash made with other costs still verifies, and is redone with today\'s costs at sign-in', async () => {
    const { state, accounts } = await world();
    const ana = await accounts.createAccount({ email: 'ana@example.com' });
    await state.put(ACCOUNTS_COLLECTION, ana.id, { ...(await state.get<object>(ACCOUNTS_COLLECTION, ana.id)), passwordHash: await hashPassword('old-password', { N: 2 ** 10, r: 8, p: 1 }) });
    assert.ok(await accounts.verify('ana@example.com', 'old-password'));
    const stored = await state.get<{ passwordHash: string }>(ACCOUNTS_COLLECTION, ana.id);
    assert.match(stored!.passwordHash, /ln=12,/);
    assert.ok(await accounts.verify('ana@example.com', 'old-password'));
  });
});

describe('local accounts', () => {
  it('the owner creates an account; emails are unique case-insensitively and must look like emails', async () => {
    const { accounts } = await world();
    const ana = await accounts.createAccount({ email: 'Ana@Example.com', name: 'Ana' });
    assert.match(ana.id, /^la_/);
    assert.equal(ana.hasPassword, false);
    await assert.rejects(accounts.createAccount({ email: 'ana@example.COM' }), isCode('exists'));
    await assert.rejects(accounts.createAccount({ email: 'not an email' }), isCode('invalid_email'));
    assert.equal((await accounts.get('ANA@example.com'))?.id, ana.id);
    assert.deepEqual((await accounts.list()).map((a) => a.email), ['Ana@Example.com']);
  });

  it('sign-in: the right password gives the profile; anything else gives nothing', async () => {
    const { accounts } = await world();
    const ana = await accounts.createAccount({ email: 'ana@example.com', name: 'Ana' });
    assert.equal(await accounts.verify('ana@example.com', 'whatever1'), undefined, 'no password set yet');
    await accounts.setPassword('ana@example.com', 'open sesame');
    assert.deepEqual(await accounts.verify('ANA@example.com', 'open sesame'), {
      provider: 'local', subject: ana.id, email: 'ana@example.com', emailVerified: true, groups: [], name: 'Ana',
    });
    assert.equal(await accounts.verify('ana@example.com', 'open sesamE'), undefined);
    assert.equal(await accounts.verify('bob@example.com', 'open sesame'), undefined);
    assert.equal(await accounts.verify('ana@example.com', 'x'.repeat(5000)), undefined);
    await assert.rejects(accounts.setPassword('ana@example.com', 'short'), isCode('weak_password'));
    await assert.rejects(accounts.setPassword('bob@example.com', 'long enough'), isCode('unknown_account'));
  });

  it('an unknown email costs as much time as a wrong password', async () => {
    const slow = new LocalAccounts((await world()).state, { scrypt: { N: 2 ** 14, r: 8, p: 1 } });
    await slow.createAccount({ email: 'ana@example.com' });
    await slow.setPassword('ana@example.com', 'open sesame');
    const time = async (email: string) => {
      const runs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await slow.verify(email, 'wrong password');
        runs.push(performance.now() - t);
      }
      return runs.sort((a, b) => a - b)[2]!;
    };
    await time('nobody@example.com'); // warm up
    const known = await time('ana@example.com');
    const unknown = await time('nobody@example.com');
    assert.ok(unknown > known * 0.4 && unknown < known * 2.5, `known ${known.toFixed(1)} ms, unknown ${unknown.toFixed(1)} ms`);
  });

  it('the stored record holds a hash, never the password', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'identity-local-'));
    try {
      const file = path.join(dir, 'state.json');
      const state = await openStateStore({ file });
      const accounts = new LocalAccounts(state, { scrypt: FAST });
      await accounts.createAccount({ email: 'ana@example.com' });
      await accounts.setPassword('ana@example.com', 'open sesame');
      const token = await accounts.createInvite('ana@example.com', 60_000);
      await state.close();
      const text = await readFile(file, 'utf8');
      assert.ok(!text.includes('open sesame'));
      assert.ok(!text.includes(token), 'only the invite token\'s hash is stored');
      assert.match(text, /\$scrypt\$ln=12/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('invite links', () => {
  it('Ana opens her invite, sets a password and is signed in; the link then stops working', async () => {
    const { accounts } = await world();
    const ana = await accounts.createAccount({ email: 'ana@example.com', name: 'Ana' });
    const token = await accounts.createInvite('ana@example.com', 24 * 3600_000);
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    await assert.rejects(accounts.redeemInvite(token, 'short'), isCode('weak_password'));
    const profile = await accounts.redeemInvite(token, 'my new password'); // still usable after the weak attempt
    assert.equal(profile.subject, ana.id);
    assert.ok(await accounts.verify('ana@example.com', 'my new password'));
    await assert.rejects(accounts.redeemInvite(token, 'another password'), (e: unknown) => isCode('invalid_invite')(e) && (e as LocalAccountError).expose);
    assert.ok(await accounts.verify('ana@example.com', 'my new password'), 'the used link changed nothing');
  });

  it('expires, and a newer invite replaces an older one; two redemptions at once: one wins', async () => {
    const { accounts, now } = await world();
    await accounts.createAccount({ email: 'ana@example.com' });
    const expired = await accounts.createInvite('ana@example.com', 60_000);
    now.t += 60_001;
    await assert.rejects(accounts.redeemInvite(expired, 'long enough'), isCode('invalid_invite'));

    const first = await accounts.createInvite('ana@example.com', 60_000);
    const second = await accounts.createInvite('ana@example.com', 60_000);
    await assert.rejects(accounts.redeemInvite(first, 'long enough'), isCode('invalid_invite'));
    const results = await Promise.allSettled([accounts.redeemInvite(second, 'password one'), accounts.redeemInvite(second, 'password two')]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    await assert.rejects(accounts.redeemInvite('made-up-token', 'long enough'), isCode('invalid_invite'));
    await assert.rejects(accounts.createInvite('bob@example.com', 60_000), isCode('unknown_account'));
  });

  it('deleting an account ends its invites', async () => {
    const { accounts } = await world();
    await accounts.createAccount({ email: 'ana@example.com' });
    const token = await accounts.createInvite('ana@example.com', 60_000);
    assert.equal(await accounts.deleteAccount('ana@example.com'), true);
    await assert.rejects(accounts.redeemInvite(token, 'long enough'), isCode('invalid_invite'));
    assert.equal(await accounts.deleteAccount('ana@example.com'), false);
  });
});

describe('the owner\'s account', () => {
  it('is created once with a generated password, returned that one time', async () => {
    const { accounts, state } = await world();
    const first = await accounts.ensureOwner();
    assert.equal(first.account.owner, true);
    assert.equal(first.account.email, 'owner@localhost');
    assert.ok(first.password && first.password.length >= 20);
    const profile = await accounts.verify('owner@localhost', first.password);
    assert.equal(profile?.owner, true);

    const again = await accounts.ensureOwner();
    assert.equal(again.password, undefined);
    assert.equal(again.account.id, first.account.id);
    assert.equal((await state.find(ACCOUNTS_COLLECTION, () => true)).length, 1);
  });

  it('an existing account can become the owner\'s; an owner without a password gets one', async () => {
    const { accounts } = await world();
    await accounts.createAccount({ email: 'me@example.com', name: 'Me' });
    const made = await accounts.ensureOwner({ email: 'me@example.com' });
    assert.equal(made.account.owner, true);
    assert.ok(made.password);
    assert.equal((await accounts.verify('me@example.com', made.password))?.owner, true);
    assert.equal((await accounts.ensureOwner({ email: 'other@example.com' })).account.email, 'me@example.com');
  });

  it('asked for at once by several (replicas on one database), is made once: one password, and it works', async () => {
    const { accounts, state } = await world();
    const others = [1, 2, 3].map(() => new LocalAccounts(state, { scrypt: FAST }));
    const results = await Promise.all([accounts, ...others].map((a) => a.ensureOwner()));
    const withPassword = results.filter((r) => r.password);
    assert.equal(withPassword.length, 1, 'one of them shows a password');
    assert.equal(results.filter((r) => r.madeElsewhere).length, 3, 'the others say it was made elsewhere');
    assert.equal((await state.find(ACCOUNTS_COLLECTION, () => true)).length, 1);
    assert.equal((await accounts.verify('owner@localhost', withPassword[0]!.password!))?.owner, true);
  });

  it('an existing account without a password asked for at once: one password wins, and it works', async () => {
    const { accounts, state } = await world();
    await accounts.createAccount({ email: 'me@example.com' });
    const results = await Promise.all([accounts, new LocalAccounts(state, { scrypt: FAST })].map((a) => a.ensureOwner({ email: 'me@example.com' })));
    const withPassword = results.filter((r) => r.password);
    assert.equal(withPassword.length, 1);
    assert.equal((await accounts.verify('me@example.com', withPassword[0]!.password!))?.owner, true);
  });

  it('survives a restart', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'identity-owner-'));
    try {
      const file = path.join(dir, 'state.json');
      let state: StateStore = await openStateStore({ file });
      const { password } = await new LocalAccounts(state, { scrypt: FAST }).ensureOwner();
      await state.close();
      state = await openStateStore({ file });
      const accounts = new LocalAccounts(state, { scrypt: FAST });
      assert.equal((await accounts.ensureOwner()).password, undefined);
      assert.ok(await accounts.verify('owner@localhost', password!));
      await state.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
