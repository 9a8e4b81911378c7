// The permission rules as a pure function of the person (src/permissions/rules.ts), and the
// list filtering and request targets they are applied through (src/permissions/lists.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globMatches, permitFor, whoMatches, type PermissionPerson } from '../../src/permissions/rules.ts';
import { capabilitiesFor, filterList, requestTarget } from '../../src/permissions/lists.ts';
import { ServerPermissions } from '../../src/config/schema.ts';

const ana: PermissionPerson = { id: 'u_ana', email: 'Ana@Example.com', emailVerified: true, groups: ['eng'], githubOrgs: ['Acme'], githubTeams: ['acme/ops'], logins: [{ provider: 'github', subject: '42' }] };
const eve: PermissionPerson = { id: 'u_eve', email: 'eve@example.com', emailVerified: false, groups: [] };
const owner: PermissionPerson = { id: 'u_owner', owner: true, groups: [] };
const rules = (v: unknown) => ServerPermissions.parse(v);
const readOnly = { annotations: { readOnlyHint: true } };

test('globs: "*" is any run of characters, everything else literal', () => {
  assert.ok(globMatches('read_*', 'read_file'));
  assert.ok(globMatches('*_file', 'write_file'));
  assert.ok(globMatches('a*b*c', 'aXbYc'));
  assert.ok(globMatches('*', ''));
  assert.ok(!globMatches('a*a', 'a'), 'the two literals may not overlap');
  assert.ok(!globMatches('read.file', 'readXfile'), 'a dot is a dot');
  assert.ok(globMatches('file:///docs/*', 'file:///docs/a/b.md'));
});

test('who: emails and domains only when verified (unless trusted), groups exactly, GitHub orgs and teams without case, subjects and ids', () => {
  assert.ok(whoMatches('ana@example.com', ana));
  assert.ok(whoMatches('@EXAMPLE.com', ana));
  assert.ok(!whoMatches('eve@example.com', eve), 'an email the IdP did not verify is anyone\'s claim');
  assert.ok(whoMatches('eve@example.com', eve, true), 'unless the owner trusts emails');
  assert.ok(whoMatches('group:eng', ana));
  assert.ok(!whoMatches('group:Eng', ana), 'OIDC groups compare exactly, as in access');
  assert.ok(whoMatches('github-org:acme', ana));
  assert.ok(whoMatches('github-team:ACME/ops', ana));
  assert.ok(whoMatches('github:42', ana));
  assert.ok(!whoMatches('oidc:42', ana));
  assert.ok(whoMatches('user:u_ana', ana));
  assert.ok(whoMatches('*', eve));
});

test('no permissions, the owner, or an everything rule without denials: nothing is filtered', () => {
  assert.equal(permitFor('s', undefined, ana).everything, true);
  assert.equal(permitFor('s', rules({ everyone: 'nothing' }), owner).everything, true);
  assert.equal(permitFor('s', rules({ allow: [{ who: ['group:eng'], preset: 'everything' }], everyone: 'nothing' }), ana).everything, true);
});

test('read-only: tools marked readOnlyHint true, plus the tools the rule names; every prompt and resource', () => {
  const p = permitFor('files', rules({ allow: [{ who: ['group:eng'], preset: 'read-only', tools: ['search'] }] }), ana);
  assert.equal(p.everything, false);
  assert.equal(p.needsToolFacts, true);
  assert.equal(p.check('tool', 'read_file', readOnly), undefined);
  assert.equal(p.check('tool', 'search'), undefined, 'named by the rule');
  assert.match(p.check('tool', 'write_file', { annotations: { readOnlyHint: false } })!.message, /not marked read-only/);
  assert.ok(p.check('tool', 'delete_file'), 'a tool without annotations is not read-only');
  assert.ok(p.check('tool', 'sneaky', { annotations: { readOnlyHint: 'true' } }), 'only the JSON value true counts');
  assert.equal(p.check('prompt', 'anything'), undefined);
  assert.equal(p.check('resource', 'file:///x'), undefined);
});

test('rules add up; someone no rule names gets "everyone"; deny wins over every allow', () => {
  const perms = rules({
    everyone: 'read-only',
    allow: [{ who: ['group:eng'], preset: 'custom', tools: ['write_*'] }, { who: ['@example.com'], preset: 'custom', prompts: ['p1'] }],
    deny: [{ who: ['github-team:acme/ops'], tools: ['write_secrets'] }],
  });
  const p = permitFor('s', perms, ana);
  assert.equal(p.check('tool', 'write_file'), undefined);
  assert.equal(p.check('prompt', 'p1'), undefined);
  assert.ok(p.check('prompt', 'p2'));
  assert.ok(p.check('tool', 'read_file', readOnly), 'named by rules, Ana does not get "everyone"');
  assert.match(p.check('tool', 'write_secrets')!.message, /deny rule for github-team:acme\/ops/);
  assert.equal(p.mayUseAny('resource'), false);
  const e = permitFor('s', perms, eve);
  assert.equal(e.check('tool', 'read_file', readOnly), undefined, 'Eve (unverified email) falls to everyone: read-only');
  assert.ok(e.check('tool', 'write_file'));
  assert.ok(permitFor('s', rules({ everyone: 'nothing' }), undefined).check('tool', 'x'), 'unknown person, nothing');
});

test('lists are cut to what the person may use, pages keep their cursor; targets are found in every request that names something', () => {
  const p = permitFor('s', rules({ allow: [{ who: ['*'], preset: 'custom', tools: ['a*'], resources: ['file:///pub/*'] }] }), ana);
  const tools = { tools: [{ name: 'alpha' }, { name: 'beta' }, { name: 'apex' }], nextCursor: 'c2' };
  filterList('tools/list', tools, p);
  assert.deepEqual(tools, { tools: [{ name: 'alpha' }, { name: 'apex' }], nextCursor: 'c2' });
  const templates = { resourceTemplates: [{ uriTemplate: 'file:///pub/{x}' }, { uriTemplate: 'file:///priv/{x}' }] };
  filterList('resources/templates/list', templates, p);
  assert.equal(templates.resourceTemplates.length, 1);
  assert.deepEqual(requestTarget({ jsonrpc: '2.0', id: 1, method: 'completion/complete', params: { ref: { type: 'ref/prompt', name: 'p' } } }), { kind: 'prompt', name: 'p' });
  assert.deepEqual(requestTarget({ jsonrpc: '2.0', id: 1, method: 'resources/subscribe', params: { uri: 'file:///x' } }), { kind: 'resource', name: 'file:///x' });
  assert.equal(requestTarget({ jsonrpc: '2.0', id: 1, method: 'tools/list' }), undefined);
  assert.deepEqual(Object.keys(capabilitiesFor({ tools: {}, prompts: {}, resources: {}, logging: {} }, p)).sort(), ['logging', 'resources', 'tools']);
});

test('the config refuses a "who" it cannot understand, with the reason', () => {
  const r = ServerPermissions.safeParse({ allow: [{ who: ['not an email'], preset: 'read-only' }] });
  assert.equal(r.success, false);
  assert.match(r.error!.issues[0]!.message, /use "\*", an email, "@domain"/);
});
