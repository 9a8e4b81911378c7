// Stories of the owner reading the Activity log through the admin API (issue 14): per-tool
// statistics of real signed-in calls, a CSV export that filters like the page and cannot run
// as a spreadsheet formula, and the owner's own actions (servers, people) in the same log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fixture, text } from '../support/gateway.ts';
import { startSignedInGateway, type SignedInGateway } from '../support/signed-in.ts';
import { Admin, startAdmin } from '../support/admin.ts';
import { AdminServer } from '../../src/admin/admin-server.ts';
import { ADMIN_ROUTES, adminPath, type ActivityPage, type ActivityStatsView, type UserView } from '../../src/admin/api.ts';

const ANA = { login: { email: 'ana@example.com', password: 'ana-password-1' } };

let dir: string;
let gw: SignedInGateway;
let server: AdminServer;
let admin: Admin;

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-admin-activity-'));
  const configFile = path.join(dir, 'config.json');
  const servers = { slow: fixture('slow-server') };
  const access = { allow: { emails: ['ana@example.com'] } };
  await fs.writeFile(configFile, JSON.stringify({ mcpServers: servers, access, gateway: { port: 0 } }, null, 2));
  gw = await startSignedInGateway(servers, { access, configFile });
  await gw.addLocalUser('ana@example.com', 'ana-password-1');
  ({ server, admin } = await startAdmin(gw, { configFile, dataDir: path.join(dir, 'data') }));
  const { client } = await gw.connect('slow', ANA);
  for (const word of ['one', 'two', 'three']) assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: word } })), word);
  // A tool name a spreadsheet would run as a formula, and a call that fails.
  await client.callTool({ name: '=HYPERLINK("http://evil.example","x")', arguments: {} }).catch(() => undefined);
  await client.close();
});
after(async () => {
  await server?.stop();
  await gw?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

test('the owner reads calls, errors and p50/p95 per tool over the last hour, with calls per 5-minute bucket', async () => {
  const stats = await admin.ok<ActivityStatsView>('GET', `${ADMIN_ROUTES.activityStats}?window=hour`);
  assert.equal(stats.window, 'hour');
  assert.equal(stats.buckets.length, 12);
  assert.equal(stats.bucketMs, 300_000);
  const echo = stats.tools.find((t) => t.server === 'slow' && t.tool === 'echo')!;
  assert.equal(echo.calls, 3);
  assert.equal(echo.errors, 0);
  assert.ok(echo.p50Ms >= 0 && echo.p95Ms >= echo.p50Ms, `p50 ${echo.p50Ms} ≤ p95 ${echo.p95Ms}`);
  assert.equal(echo.buckets.reduce((a, b) => a + b, 0), 3);
  assert.equal(echo.buckets.at(-1), 3, 'the calls are in the newest bucket');
  const odd = stats.tools.find((t) => t.tool.startsWith('=HYPERLINK'))!;
  assert.deepEqual([odd.calls, odd.errors], [1, 1]);
  assert.equal(stats.buckets.at(-1)!.calls, 4);
  assert.equal((await admin.ok<ActivityStatsView>('GET', `${ADMIN_ROUTES.activityStats}?window=week&server=nothing`)).tools.length, 0);
  assert.equal((await admin.call('GET', `${ADMIN_ROUTES.activityStats}?window=year`)).status, 400);
});

test('the CSV export filters like the page, needs the token, and neutralizes formulas', async () => {
  const res = await fetch(`${admin.url}${ADMIN_ROUTES.activityCsv}?server=slow`, { headers: { authorization: `Bearer ${admin.token}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /^text\/csv/);
  assert.match(res.headers.get('content-disposition')!, /^attachment; filename="mcp-publish-activity-\d{4}-\d\d-\d\d\.csv"$/);
  const csv = await res.text();
  const rows = csv.split('\r\n').filter(Boolean);
  assert.equal(rows[0], 'id,time,kind,person,client,server,tool,method,duration_ms,result,error,action,target,detail');
  assert.equal(rows.length, 1 + 4, 'a header and the four calls');
  assert.equal(rows.filter((r) => /^\d{15}-\d{4},\d{4}-\d\d-\d\dT[\d:.]+Z,call,ana@example\.com,[\w .-]+,slow,echo,tools\/call,\d+,ok,,,,$/.test(r)).length, 3, rows.join('\n'));
  const odd = rows.find((r) => r.includes('HYPERLINK'))!;
  assert.ok(odd.includes(`,"'=HYPERLINK(""http://evil.example"",""x"")",`), `quoted, quotes doubled, a leading ' before =: ${odd}`);
  assert.doesNotMatch(csv, /,"?=/, 'no cell starts with =');
  const errors = await admin.call('GET', `${ADMIN_ROUTES.activityCsv}?result=error`);
  assert.equal(errors.text.split('\r\n').filter(Boolean).length, 2, 'the header and the failed call');
  assert.equal((await fetch(`${admin.url}${ADMIN_ROUTES.activityCsv}`)).status, 403, 'no token, no export');
  assert.equal((await admin.call('GET', `${ADMIN_ROUTES.activityCsv}?result=maybe`)).status, 400);
});

test('the owner’s actions are kept in the same log: a server added, edited and removed, a person denied and approved', async () => {
  await admin.ok('PUT', adminPath(ADMIN_ROUTES.server, { name: 'fresh' }), fixture('slow-server'));
  await admin.ok('PUT', adminPath(ADMIN_ROUTES.server, { name: 'fresh' }), fixture('slow-server', { title: 'Fresh' }));
  await admin.ok('DELETE', adminPath(ADMIN_ROUTES.server, { name: 'fresh' }));
  const ana = (await admin.ok<UserView[]>('GET', ADMIN_ROUTES.users)).find((u) => u.email === 'ana@example.com')!;
  await admin.ok('POST', adminPath(ADMIN_ROUTES.userAction, { id: ana.id }), { action: 'deny' });
  await admin.ok('POST', adminPath(ADMIN_ROUTES.userAction, { id: ana.id }), { action: 'approve' });
  const owner = await admin.ok<ActivityPage>('GET', `${ADMIN_ROUTES.activity}?kind=owner`);
  assert.deepEqual(owner.items.map((e) => e.kind === 'owner' && `${e.action} ${e.target}`), [
    'person.approved ana@example.com', 'person.denied ana@example.com', 'server.removed fresh', 'server.edited fresh', 'server.added fresh',
  ]);
  const fresh = await admin.ok<ActivityPage>('GET', `${ADMIN_ROUTES.activity}?server=fresh`);
  assert.equal(fresh.items.length, 3, 'the server filter finds the actions about that server');
  const calls = await admin.ok<ActivityPage>('GET', `${ADMIN_ROUTES.activity}?person=ana@example.com`);
  assert.ok(calls.items.every((e) => e.kind !== 'owner'), 'a person filter is about calls');
  const csv = await admin.call('GET', `${ADMIN_ROUTES.activityCsv}?kind=owner`);
  assert.match(csv.text, /,owner,,,fresh,,,,,,server\.added,fresh,/);
});
