// The user directory: people appear when they sign in, the owner approves, denies or removes
// them, the gateway's per-request check follows at once, and the record survives a restart.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AccessConfig } from '../../src/config/schema.ts';
import { decide } from '../../src/identity/policy.ts';
import type { LoginProfile } from '../../src/identity/profile.ts';
import { UnknownUserError, UserDirectory, type UserChange } from '../../src/identity/users.ts';
import { openStateStore } from '../../src/state/state-store.ts';

const ana: LoginProfile = { provider: 'oidc', subject: 'sub-ana', email: 'Ana@Example.com', emailVerified: true, name: 'Ana', groups: ['staff'] };
const anaOnGithub: LoginProfile = { provider: 'github', subject: '1001', email: 'ana@example.com', emailVerified: true, groups: [], githubLogin: 'ana', githubOrgs: ['acme'], githubTeams: ['acme/ops'] };
const mallory: LoginProfile = { provider: 'oidc', subject: 'sub-mallory', email: 'ana@example.com', emailVerified: false, groups: [] };

async function directory() {
  const state = await openStateStore();
  return { state, users: await UserDirectory.open(state) };
}

describe('user directory', () => {
  it('a first sign-in creates a pending record with a random u_ id; the next one finds it', async () => {
    const { users } = await directory();
    const first = await users.upsertFromLogin(ana);
    assert.match(first.id, /^u_[A-Za-z0-9_-]{16}$/);
    assert.equal(first.status, 'pending');
    assert.equal(users.isActive(first.id), false);
    const again = await users.upsertFromLogin({ ...ana, name: 'Ana Lima', groups: ['staff', 'ops'] });
    assert.equal(again.id, first.id);
    assert.equal(again.name, 'Ana Lima');
    assert.deepEqual(again.groups, ['staff', 'ops']);
    assert.deepEqual(users.list().map((u) => u.id), [first.id]);
  });

  it('a verified email links a second login method to the same person; an unverified one does not', async () => {
    const { users } = await directory();
    const viaOidc = await users.upsertFromLogin(ana);
    const viaGithub = await users.upsertFromLogin(anaOnGithub);
    assert.equal(viaGithub.id, viaOidc.id);
    assert.deepEqual(viaGithub.logins, [{ provider: 'oidc', subject: 'sub-ana' }, { provider: 'github', subject: '1001' }]);
    assert.deepEqual(viaGithub.githubTeams, ['acme/ops']);
    assert.deepEqual(viaGithub.groups, ['staff'], 'OIDC groups stay from the OIDC login');
    const impostor = await users.upsertFromLogin(mallory);
    assert.notEqual(impostor.id, viaOidc.id);
    assert.equal(impostor.emailVerified, false);
  });

  it('two sign-ins of a new person at once make one record', async () => {
    const { users } = await directory();
    const [a, b] = await Promise.all([users.upsertFromLogin(ana), users.upsertFromLogin(ana)]);
    assert.equal(a.id, b.id);
    assert.equal(users.list().length, 1);
  });

  it('the policy\'s verdict, the owner\'s decisions and removal drive isActive at once, with change events', async () => {
    const { users } = await directory();
    const changes: UserChange[] = [];
    const stop = users.onChange((c) => changes.push(c));
    const { id } = await users.upsertFromLogin(ana);
    const access = AccessConfig.parse({ allow: { domains: ['example.com'] } });
    const allowed = await users.applyDecision(id, decide(ana, users.get(id), access));
    assert.equal(allowed.status, 'allowed');
    assert.equal(allowed.decidedBy, 'policy');
    assert.equal(users.isActive(id), true);

    await users.remove(id, 'owner');
    assert.equal(users.isActive(id), false, 'revocation is instant');
    assert.equal(users.get(id)?.status, 'removed');
    assert.equal(changes.at(-1)?.previous?.status, 'allowed');
    assert.equal(changes.at(-1)?.user.status, 'removed');
    assert.equal((await users.applyDecision(id, { verdict: 'deny' })).status, 'removed', 'a later refusal keeps "removed"');

    await users.setStatus(id, 'allowed', 'owner');
    assert.equal(users.isActive(id), true);
    assert.equal((await users.applyDecision(id, { verdict: 'allow' })).decidedBy, 'owner', 'an agreeing verdict keeps the owner\'s decision');
    stop();
    const count = changes.length;
    await users.setStatus(id, 'denied', 'owner');
    assert.equal(changes.length, count, 'unsubscribed');
    assert.equal(users.isActive('u_nobody'), false);
    await assert.rejects(users.setStatus('u_nobody', 'allowed', 'owner'), UnknownUserError);
  });

  it('the waiting page goes on by itself when the owner approves', async () => {
    const { users } = await directory();
    const { id } = await users.upsertFromLogin(ana);
    await users.applyDecision(id, { verdict: 'pending' });
    let settled = false;
    const waiting = users.waitForDecision(id).then((s) => { settled = true; return s; });
    await users.upsertFromLogin(ana); // another sign-in changes nothing about the decision
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false);
    await users.setStatus(id, 'allowed', 'owner');
    assert.equal(await waiting, 'allowed');
    assert.equal(await users.waitForDecision(id), 'allowed', 'already decided: at once');
  });

  it('waiting ends when the page goes away (abort), and for unknown ids', async () => {
    const { users } = await directory();
    const { id } = await users.upsertFromLogin(ana);
    const controller = new AbortController();
    const waiting = users.waitForDecision(id, controller.signal);
    controller.abort(new Error('browser left'));
    await assert.rejects(waiting, /browser left/);
    await assert.rejects(users.waitForDecision(id, AbortSignal.abort()), { name: 'AbortError' });
    await assert.rejects(users.waitForDecision('u_nobody'), UnknownUserError);
    await users.setStatus(id, 'denied', 'owner');
  });

  it('a changed access config is applied to everyone: deny list over approval, allow list withdrawn', async () => {
    const { users } = await directory();
    const a = await users.upsertFromLogin(ana);
    const g = await users.upsertFromLogin({ ...anaOnGithub, subject: '2002', email: 'gus@acme.test', githubLogin: 'gus' });
    const before = AccessConfig.parse({ allow: { domains: ['example.com'] }, unknownUsers: 'deny' });
    await users.applyDecision(a.id, decide(ana, users.get(a.id), before));
    await users.setStatus(g.id, 'allowed', 'owner');

    const changed = await users.reevaluate(AccessConfig.parse({ deny: { emails: ['gus@acme.test'] }, unknownUsers: 'ask-owner' }));
    assert.deepEqual(changed.map((u) => [u.id, u.status]).sort(), [[a.id, 'pending'], [g.id, 'denied']].sort());
    assert.equal(users.isActive(g.id), false);
    assert.deepEqual(await users.reevaluate(AccessConfig.parse({ deny: { emails: ['gus@acme.test'] } })), [], 'nothing more to change');
  });

  it('the owner flag comes from the owner\'s local account, or is set by hand', async () => {
    const { users } = await directory();
    const owner = await users.upsertFromLogin({ provider: 'local', subject: 'la_1', email: 'owner@localhost', emailVerified: true, groups: [], owner: true });
    assert.equal(owner.owner, true);
    assert.equal(decide({ provider: 'local', subject: 'la_1', groups: [] }, owner, AccessConfig.parse({ unknownUsers: 'deny' })).verdict, 'allow');
    const { id } = await users.upsertFromLogin(ana);
    assert.equal((await users.setOwner(id, true)).owner, true);
    assert.equal((await users.setOwner(id, false)).owner, undefined);
  });

  it('records, statuses and indexes survive a restart', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'identity-users-'));
    try {
      const file = path.join(dir, 'state.json');
      let state = await openStateStore({ file });
      let users = await UserDirectory.open(state);
      const allowed = await users.upsertFromLogin(ana);
      await users.setStatus(allowed.id, 'allowed', 'owner');
      const removed = await users.upsertFromLogin({ ...ana, subject: 'sub-zed', email: 'zed@example.com' });
      await users.remove(removed.id);
      await state.close();

      state = await openStateStore({ file });
      users = await UserDirectory.open(state);
      assert.equal(users.isActive(allowed.id), true);
      assert.equal(users.isActive(removed.id), false);
      assert.equal(users.get(removed.id)?.status, 'removed', 'kept, so the tokens stay refused');
      assert.equal((await users.upsertFromLogin(anaOnGithub)).id, allowed.id, 'the email index was rebuilt');
      await state.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
