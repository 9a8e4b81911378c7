// The access policy, rule by rule: who is let in, who is refused, who waits for the owner, and
// which rule wins when several apply.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AccessConfig } from '../../src/config/schema.ts';
import { decide, DECISION_RULES, subjectMatches, type Decision, type DecisionRule, type PolicyUser } from '../../src/identity/policy.ts';
import type { LoginProfile } from '../../src/identity/profile.ts';

const seen = new Set<DecisionRule>();
function check(profile: LoginProfile, user: PolicyUser | undefined, access: unknown, verdict: Decision['verdict'], rule: DecisionRule): Decision {
  const decision = decide(profile, user, AccessConfig.parse(access));
  assert.equal(decision.rule, rule, decision.reason);
  assert.equal(decision.verdict, verdict);
  assert.ok(decision.reason.length > 10);
  seen.add(rule);
  return decision;
}

const ana: LoginProfile = { provider: 'oidc', subject: 'sub-ana', email: 'Ana@Example.com', emailVerified: true, name: 'Ana', groups: ['staff'] };
const unverified: LoginProfile = { ...ana, subject: 'sub-x', emailVerified: false };
const silent: LoginProfile = { ...ana, subject: 'sub-y', emailVerified: undefined }; // an IdP that does not say (Entra)
const octo: LoginProfile = { provider: 'github', subject: '583231', email: 'octo@github.example', emailVerified: true, groups: [], githubLogin: 'octocat', githubOrgs: ['Acme'], githubTeams: ['Acme/Platform'] };
const local: LoginProfile = { provider: 'local', subject: 'la_1', email: 'owner@localhost', emailVerified: true, groups: [], owner: true };
const closed = { unknownUsers: 'deny' };

describe('access policy', () => {
  after(() => {
    assert.deepEqual([...DECISION_RULES].filter((r) => !seen.has(r)), [], 'every rule is exercised');
  });

  describe('the deny list wins over everything', () => {
    it('by email, case-insensitively, verified or not', () => {
      check(ana, undefined, { deny: { emails: ['ana@EXAMPLE.com'] }, allow: { emails: ['ana@example.com'] } }, 'deny', 'deny-list');
      check(unverified, undefined, { deny: { emails: ['ana@example.com'] } }, 'deny', 'deny-list');
    });
    it('by domain, even for unverified emails', () => {
      check(unverified, undefined, { deny: { domains: ['Example.COM'] } }, 'deny', 'deny-list');
    });
    it('by subject, prefixed or bare (bare means the OIDC IdP), over any of the person\'s logins', () => {
      check(ana, undefined, { deny: { subjects: ['sub-ana'] } }, 'deny', 'deny-list');
      check(octo, undefined, { deny: { subjects: ['github:583231'] }, allow: { githubOrgs: ['acme'] } }, 'deny', 'deny-list');
      check(octo, { status: 'allowed', logins: [{ provider: 'oidc', subject: 'sub-ana' }] }, { deny: { subjects: ['oidc:sub-ana'] } }, 'deny', 'deny-list');
    });
    it('over the owner, and over the owner\'s approval', () => {
      check(local, { status: 'allowed', owner: true }, { deny: { emails: ['owner@localhost'] } }, 'deny', 'deny-list');
      check(ana, { status: 'allowed', decidedBy: 'owner' }, { deny: { domains: ['example.com'] } }, 'deny', 'deny-list');
    });
  });

  describe('the owner and the owner\'s decisions', () => {
    it('the owner is always allowed, even when unknown users are refused', () => {
      check(local, { status: 'pending', owner: true }, closed, 'allow', 'owner');
    });
    it('a removed person is refused, whatever the allow list says', () => {
      check(ana, { status: 'removed', decidedBy: 'owner' }, { allow: { emails: ['ana@example.com'] } }, 'deny', 'removed');
      check(ana, { status: 'removed', decidedBy: 'admin-api' }, {}, 'deny', 'removed');
    });
    it('someone the owner approved is allowed; someone the owner denied is refused', () => {
      check(unverified, { status: 'allowed', decidedBy: 'owner' }, closed, 'allow', 'owner-approved');
      check(ana, { status: 'denied', decidedBy: 'owner' }, { allow: { emails: ['ana@example.com'] } }, 'deny', 'owner-denied');
    });
    it('a status the policy itself set is not an owner decision: the rules run again', () => {
      check(ana, { status: 'allowed', decidedBy: 'policy' }, closed, 'deny', 'unknown-denied');
      check(ana, { status: 'denied', decidedBy: 'policy' }, { allow: { groups: ['staff'] } }, 'allow', 'allow-group');
      check(ana, { status: 'pending', decidedBy: 'owner' }, {}, 'pending', 'unknown-ask-owner');
    });
  });

  describe('the allow list', () => {
    it('emails match case-insensitively, and only when the IdP said the email is verified', () => {
      check(ana, undefined, { allow: { emails: [' ANA@example.com '] }, ...closed }, 'allow', 'allow-email');
      check(silent, undefined, { allow: { emails: ['ana@example.com'] }, ...closed }, 'deny', 'unknown-denied');
      check(unverified, undefined, { allow: { emails: ['ana@example.com'] }, ...closed }, 'deny', 'unknown-denied');
    });
    it('domains match verified emails only, and only the exact domain', () => {
      check(ana, undefined, { allow: { domains: ['EXAMPLE.com'] }, ...closed }, 'allow', 'allow-domain');
      check(unverified, undefined, { allow: { domains: ['example.com'] }, ...closed }, 'deny', 'unknown-denied');
      check(silent, undefined, { allow: { domains: ['example.com'] }, ...closed }, 'deny', 'unknown-denied');
      check({ ...ana, email: 'ana@sub.example.com' }, undefined, { allow: { domains: ['example.com'] }, ...closed }, 'deny', 'unknown-denied');
      check({ ...ana, email: 'ana@evil-example.com' }, undefined, { allow: { domains: ['example.com'] }, ...closed }, 'deny', 'unknown-denied');
    });
    it('subjects: bare for the OIDC IdP, prefixed for a method; never across methods', () => {
      check(ana, undefined, { allow: { subjects: ['sub-ana'] }, ...closed }, 'allow', 'allow-subject');
      check(octo, undefined, { allow: { subjects: ['github:583231'] }, ...closed }, 'allow', 'allow-subject');
      check(octo, undefined, { allow: { subjects: ['583231', 'oidc:583231', 'local:583231'] }, ...closed }, 'deny', 'unknown-denied');
      check(octo, { status: 'pending', logins: [{ provider: 'oidc', subject: 'sub-ana' }] }, { allow: { subjects: ['sub-ana'] }, ...closed }, 'allow', 'allow-subject');
      assert.equal(subjectMatches('oidc:a:b', { provider: 'oidc', subject: 'a:b' }), true);
    });
    it('groups match exactly (case matters: IdP groups are ids)', () => {
      check(ana, undefined, { allow: { groups: ['staff'] }, ...closed }, 'allow', 'allow-group');
      check(ana, undefined, { allow: { groups: ['Staff'] }, ...closed }, 'deny', 'unknown-denied');
    });
    it('GitHub teams ("org/team") and organizations match case-insensitively', () => {
      check(octo, undefined, { allow: { githubTeams: ['acme/platform'] }, ...closed }, 'allow', 'allow-github-team');
      check(octo, undefined, { allow: { githubTeams: ['acme/docs'] }, ...closed }, 'deny', 'unknown-denied');
      check(octo, undefined, { allow: { githubOrgs: ['ACME'] }, ...closed }, 'allow', 'allow-github-org');
      check({ ...octo, githubOrgs: undefined, githubTeams: undefined }, undefined, { allow: { githubOrgs: ['acme'] }, ...closed }, 'deny', 'unknown-denied');
    });
    it('rules are tried in order: email before domain before team before org', () => {
      const all = { allow: { emails: ['octo@github.example'], domains: ['github.example'], githubOrgs: ['acme'], githubTeams: ['acme/platform'] } };
      check(octo, undefined, all, 'allow', 'allow-email');
      check(octo, undefined, { allow: { ...all.allow, emails: [] } }, 'allow', 'allow-domain');
      check(octo, undefined, { allow: { ...all.allow, emails: [], domains: [] } }, 'allow', 'allow-github-team');
    });
  });

  describe('everyone else', () => {
    it('is refused with a reason that names them and says what to do', () => {
      const d = check(ana, undefined, closed, 'deny', 'unknown-denied');
      assert.match(d.reason, /Ana@Example\.com.*allow list.*owner/);
      const nameless = check({ provider: 'github', subject: '7', groups: [], githubLogin: 'ghost' }, undefined, closed, 'deny', 'unknown-denied');
      assert.match(nameless.reason, /GitHub user ghost/);
    });
    it('or waits for the owner with unknownUsers: "ask-owner" (the default)', () => {
      const d = check(ana, undefined, {}, 'pending', 'unknown-ask-owner');
      assert.match(d.reason, /owner has been asked/);
      check(ana, { status: 'pending' }, { unknownUsers: 'ask-owner' }, 'pending', 'unknown-ask-owner');
    });
  });
});
