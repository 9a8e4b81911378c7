// Stories of permissions (issue 14): two signed-in people on one filesystem-like server. Ana has
// the read-only preset and sees and calls only the tools marked read-only; what she may not use is
// refused by the gateway before the server sees it (the server's own log says so); Ben sees
// everything. The owner changes a permission while sessions are open: they are told their lists
// changed, and the next list shows it. The same on the stateless 2026-07-28 path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { McpError, ToolListChangedNotificationSchema, PromptListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { fixture, text } from '../support/gateway.ts';
import { startSignedInGateway, type SignedInGateway } from '../support/signed-in.ts';
import { signInByHand } from '../support/oauth.ts';
import { openListen, statelessCall } from '../support/stateless.ts';
import { startAdmin } from '../support/admin.ts';
import { ADMIN_ROUTES, adminPath } from '../../src/admin/api.ts';

const ANA = { login: { email: 'ana@example.com', password: 'ana-password-1' } };
const BEN = { login: { email: 'ben@example.com', password: 'ben-password-1' } };
const PERMISSION_DENIED = -32098;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'permissions-'));
const callLog = path.join(dir, 'calls.log');
const READ_ONLY_FOR_ANA = { allow: [{ who: ['ana@example.com'], preset: 'read-only' }] };

let gw: SignedInGateway;
let ana: Client;
let ben: Client;

/** What reached the server: one line per request it received. */
const reached = () => (fs.existsSync(callLog) ? fs.readFileSync(callLog, 'utf8').split('\n').filter(Boolean) : []);

/** Applies new permissions for the files server, as the owner's settings window does. */
async function setPermissions(permissions: unknown): Promise<void> {
  const config = structuredClone(gw.publisher.currentConfig) as unknown as { mcpServers: Record<string, Record<string, unknown>> };
  config.mcpServers.files!.permissions = permissions;
  await gw.publisher.updateConfig(config);
}

async function refusal(p: Promise<unknown>): Promise<McpError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  assert.ok(e instanceof McpError, `refused with a JSON-RPC error (got ${String(e)})`);
  return e;
}

before(async () => {
  gw = await startSignedInGateway(
    { files: fixture('files-server', { env: { CALL_LOG: callLog }, permissions: READ_ONLY_FOR_ANA }) },
    { access: { allow: { emails: ['ana@example.com', 'ben@example.com'] } } },
  );
  await gw.addLocalUser('ana@example.com', 'ana-password-1');
  await gw.addLocalUser('ben@example.com', 'ben-password-1');
  ({ client: ana } = await gw.connect('files', ANA));
  ({ client: ben } = await gw.connect('files', BEN));
});
after(async () => {
  await gw?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('Ana (read-only) sees only the read-only tools; Ben sees everything', async () => {
  const anaTools = (await ana.listTools()).tools.map((t) => t.name).sort();
  assert.deepEqual(anaTools, ['list_files', 'read_file'], 'write_file says readOnlyHint false, delete_file says nothing: neither is read-only');
  const benTools = (await ben.listTools()).tools.map((t) => t.name).sort();
  assert.deepEqual(benTools, ['delete_file', 'list_files', 'read_file', 'write_file']);
  // Read-only keeps prompts and resources.
  assert.equal((await ana.listPrompts()).prompts.length, 2);
  assert.equal((await ana.listResources()).resources.length, 2);
  assert.equal(text(await ana.callTool({ name: 'read_file', arguments: { path: 'notes.txt' } })), 'first notes');
});

test('what Ana may not use is refused with an error naming the permission, and never reaches the server', async () => {
  const e = await refusal(ana.callTool({ name: 'write_file', arguments: { path: 'by-ana.txt', text: 'x' } }));
  assert.equal(e.code, PERMISSION_DENIED);
  assert.match(e.message, /permissions of "files" do not let ana@example\.com use the tool "write_file"/);
  assert.match(e.message, /read-only/);
  const d = await refusal(ana.callTool({ name: 'delete_file', arguments: { path: 'by-ana.txt' } }));
  assert.equal(d.code, PERMISSION_DENIED);
  assert.equal(text(await ben.callTool({ name: 'write_file', arguments: { path: 'by-ben.txt', text: 'ben was here' } })), 'wrote by-ben.txt');
  const log = reached();
  assert.ok(log.includes('tools/call write_file by-ben.txt'), 'Ben\'s write reached the server');
  assert.ok(!log.some((l) => l.includes('by-ana.txt')), `none of Ana's refused calls reached the server:\n${log.join('\n')}`);
});

test('hammer: 200 interleaved calls of Ana and Ben: every one of Ana\'s writes refused before the server, every one of Ben\'s served', async () => {
  const calls = Array.from({ length: 200 }, (_, i) => {
    const who = i % 2 ? ana : ben;
    const tool = ['read_file', 'write_file', 'delete_file', 'list_files'][Math.floor(i / 2) % 4]!;
    const args = tool === 'list_files' ? {} : { path: `${who === ana ? 'ana' : 'ben'}-${i}.txt`, text: 't' };
    return who.callTool({ name: tool, arguments: args }).then(() => ({ who, tool, ok: true, code: 0 }), (e: McpError) => ({ who, tool, ok: false, code: e.code }));
  });
  const results = await Promise.all(calls);
  for (const r of results) {
    const mayUse = r.who === ben || r.tool === 'read_file' || r.tool === 'list_files';
    assert.equal(r.ok, mayUse, `${r.who === ana ? 'Ana' : 'Ben'} ${r.tool}`);
    if (!r.ok) assert.equal(r.code, PERMISSION_DENIED);
  }
  const log = reached();
  assert.ok(!log.some((l) => /^tools\/call (write_file|delete_file) ana-/.test(l)), 'no refused call of Ana reached the server');
  const bensWrites = results.filter((r) => r.who === ben && (r.tool === 'write_file' || r.tool === 'delete_file')).length;
  assert.equal(bensWrites, 50);
  assert.equal(log.filter((l) => /^tools\/call (write_file|delete_file) ben-/.test(l)).length, bensWrites, 'every write and delete of Ben did');
});

test('a permission change mid-session: open sessions are told their lists changed, and the next list shows it', async () => {
  const changed: string[] = [];
  ana.setNotificationHandler(ToolListChangedNotificationSchema, () => { changed.push('tools'); });
  ana.setNotificationHandler(PromptListChangedNotificationSchema, () => { changed.push('prompts'); });
  const filesBefore = text(await ben.callTool({ name: 'list_files', arguments: {} }));
  // Ana may now use read_file and write_file by name, and only the summarize prompt.
  await setPermissions({ allow: [{ who: ['ana@example.com'], preset: 'custom', tools: ['read_file', 'write_*'], prompts: ['summarize'] }] });
  const end = Date.now() + 3000;
  while (!(changed.includes('tools') && changed.includes('prompts')) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.ok(changed.includes('tools') && changed.includes('prompts'), `list_changed reached Ana's session (got ${changed.join(', ') || 'nothing'})`);
  assert.deepEqual((await ana.listTools()).tools.map((t) => t.name).sort(), ['read_file', 'write_file']);
  assert.deepEqual((await ana.listPrompts()).prompts.map((p) => p.name), ['summarize']);
  assert.equal((await ana.listResources()).resources.length, 0, 'custom names no resources');
  assert.equal(text(await ana.callTool({ name: 'write_file', arguments: { path: 'ana-allowed.txt', text: 'now' } })), 'wrote ana-allowed.txt');
  assert.equal((await refusal(ana.callTool({ name: 'list_files', arguments: {} }))).code, PERMISSION_DENIED);
  assert.equal((await refusal(ana.getPrompt({ name: 'rewrite' }))).code, PERMISSION_DENIED);
  assert.equal((await refusal(ana.readResource({ uri: 'file:///notes.txt' }))).code, PERMISSION_DENIED);
  // Changing permissions restarts nothing: Ben's files (kept in his process) are still there.
  assert.equal(text(await ben.callTool({ name: 'list_files', arguments: {} })), filesBefore);
  await setPermissions(READ_ONLY_FOR_ANA);
});

test('a deny rule wins over an allow rule, and the owner is never filtered', async () => {
  await setPermissions({ allow: [{ who: ['*'], preset: 'everything' }], deny: [{ who: ['@example.com'], tools: ['delete_*'] }] });
  const e = await refusal(ben.callTool({ name: 'delete_file', arguments: { path: 'by-ben.txt' } }));
  assert.match(e.message, /deny rule for @example\.com/);
  assert.ok(!(await ben.listTools()).tools.some((t) => t.name === 'delete_file'));
  assert.ok((await ben.listTools()).tools.some((t) => t.name === 'write_file'));
  // The owner sees everything, whatever the rules say.
  const users = gw.publisher.signIn!.users;
  const benId = users.list().find((u) => u.email === 'ben@example.com')!.id;
  await users.setOwner(benId, true);
  try {
    assert.ok((await ben.listTools()).tools.some((t) => t.name === 'delete_file'));
  } finally {
    await users.setOwner(benId, false);
  }
  await setPermissions(READ_ONLY_FOR_ANA);
});

test('the stateless path: lists cut down, calls refused before the server, discover without what Ana may not use, list_changed on listen streams', async () => {
  const { tokens } = await signInByHand(gw.issuer, ANA, { resource: gw.mcpUrl('files') });
  const auth = { authorization: `Bearer ${tokens.access_token}` };
  const url = gw.mcpUrl('files');
  const records: { method: string; name?: string; ok: boolean; session: string; error?: string; client?: string }[] = [];
  const onActivity = (r: (typeof records)[number]) => records.push(r);
  gw.publisher.on('activity', onActivity);
  const list = await statelessCall(url, 'tools/list', {}, auth);
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.result.tools.map((t: { name: string }) => t.name).sort(), ['list_files', 'read_file']);
  const refused = await statelessCall(url, 'tools/call', { name: 'write_file', arguments: { path: 'stateless-ana.txt', text: 'x' } }, auth);
  assert.equal(refused.json.error.code, PERMISSION_DENIED);
  assert.ok(!reached().some((l) => l.includes('stateless-ana.txt')), 'the refused stateless call never reached the server');
  const read = await statelessCall(url, 'tools/call', { name: 'read_file', arguments: { path: 'notes.txt' } }, auth);
  assert.equal(read.json.result.content[0].text, 'first notes');
  gw.publisher.off('activity', onActivity);
  const stateless = records.filter((r) => r.session === 'stateless');
  assert.ok(stateless.some((r) => r.name === 'read_file' && r.ok && r.client === 'raw-2026'), 'stateless calls are in the activity record, with the client that made them');
  assert.ok(stateless.some((r) => r.name === 'write_file' && !r.ok && /do not let ana@example\.com/.test(r.error ?? '')), 'and so is the refusal, with its reason');

  const listen = await openListen(url, { toolsListChanged: true }, 5, auth);
  try {
    assert.ok(await listen.until(() => listen.events.length >= 1), 'acknowledged');
    await setPermissions({ allow: [{ who: ['ana@example.com'], preset: 'custom', tools: ['read_file'] }] });
    assert.ok(await listen.until(() => listen.events.some((e) => e.method === 'notifications/tools/list_changed')), 'list_changed reached the listen stream');
  } finally {
    listen.close();
  }
  const after = await statelessCall(url, 'tools/list', {}, auth);
  assert.deepEqual(after.json.result.tools.map((t: { name: string }) => t.name), ['read_file']);
  const discover = await statelessCall(url, 'server/discover', {}, auth);
  assert.ok(discover.json.result.capabilities.tools, 'Ana may use a tool');
  assert.equal(discover.json.result.capabilities.prompts, undefined, 'custom names no prompt: discover does not offer prompts to her');
  const prompt = await statelessCall(url, 'prompts/get', { name: 'summarize' }, auth);
  assert.equal(prompt.json.error.code, PERMISSION_DENIED);
  await setPermissions(READ_ONLY_FOR_ANA);
});

test('the admin API: the tools with their annotations, a preview as a person or a group before saving, rules refused with their path, and saved ones in force', async () => {
  const { server, admin } = await startAdmin(gw);
  try {
    const tools = await admin.ok('GET', adminPath(ADMIN_ROUTES.serverTools, { name: 'files' }));
    assert.equal(tools.ok, true);
    assert.deepEqual(tools.tools.map((t: { name: string }) => t.name).sort(), ['delete_file', 'list_files', 'read_file', 'write_file']);
    assert.equal(tools.tools.find((t: { name: string }) => t.name === 'list_files').title, 'List files');
    assert.equal(tools.tools.find((t: { name: string }) => t.name === 'read_file').annotations.readOnlyHint, true);

    const draft = { allow: [{ who: ['group:contractors'], preset: 'read-only' }], everyone: 'nothing' };
    const asGroup = await admin.ok('POST', adminPath(ADMIN_ROUTES.permissionPreview, { name: 'files' }), { permissions: draft, person: { groups: ['contractors'] } });
    const allowed = (p: { tools: { name: string; allowed: boolean }[] }) => p.tools.filter((t) => t.allowed).map((t) => t.name).sort();
    assert.deepEqual(allowed(asGroup), ['list_files', 'read_file']);
    assert.deepEqual(asGroup.tools.find((t: { name: string }) => t.name === 'read_file').grantedBy, ['group:contractors (read-only)']);
    assert.match(asGroup.tools.find((t: { name: string }) => t.name === 'write_file').reason, /not marked read-only/);
    const asBen = await admin.ok('POST', adminPath(ADMIN_ROUTES.permissionPreview, { name: 'files' }), { permissions: draft, person: { email: 'ben@example.com' } });
    assert.deepEqual(allowed(asBen), [], 'Ben is in no rule and everyone else gets nothing');
    assert.equal(asBen.person, 'ben@example.com');
    // Previewing saved nothing: Ben still writes.
    assert.equal(text(await ben.callTool({ name: 'write_file', arguments: { path: 'still-ben.txt', text: 'x' } })), 'wrote still-ben.txt');

    const bad = await admin.call('PUT', adminPath(ADMIN_ROUTES.serverPermissions, { name: 'files' }), { allow: [{ who: ['not an email'], preset: 'read-only' }] });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.json), /who/);
    await admin.ok('PUT', adminPath(ADMIN_ROUTES.serverPermissions, { name: 'files' }), draft);
    assert.deepEqual((await ben.listTools()).tools, [], 'saved: Ben (in no rule) now sees nothing');
    assert.equal((await refusal(ben.callTool({ name: 'read_file', arguments: { path: 'notes.txt' } }))).code, PERMISSION_DENIED);
    const log = await admin.ok('GET', `${ADMIN_ROUTES.activity}?kind=owner&server=files`);
    const edit = log.items.find((e: { action?: string }) => e.action === 'permissions.changed');
    assert.ok(edit, 'the permission edit is an owner action in the activity log');
    assert.match(edit.detail, /group:contractors: read-only; everyone else: nothing/);
    await admin.ok('PUT', adminPath(ADMIN_ROUTES.serverPermissions, { name: 'files' }), null);
    assert.equal((await ana.listTools()).tools.length, 4, 'no permissions: everyone allowed in uses everything');
  } finally {
    await server.stop();
    await setPermissions(READ_ONLY_FOR_ANA);
  }
});
