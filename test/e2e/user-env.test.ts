// Per-user environment (DESIGN §4 step 4): a server's userEnv fields are asked of each user on a
// setup page after sign-in, secrets go to the SecretStore; two users get different children with
// their own values; the reconfigure tool gives a one-time link and the child restarts with the
// new values.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, text } from '../support/gateway.ts';
import { Browser } from '../support/browser.ts';
import { rememberSecret } from '../support/log-audit.ts';
import { startSignedInGateway, type SignedInGateway } from '../support/signed-in.ts';

let gw: SignedInGateway;
const userEnv = [
  { name: 'API_TOKEN', label: 'API token', secret: true },
  { name: 'REGION', label: 'Region', secret: false },
  { name: 'NICKNAME', optional: true },
];
before(async () => {
  gw = await startSignedInGateway({ env: fixture('env-server', { env: { SHARED: 'for-everyone' }, userEnv }) }, { access: { allow: { emails: ['ana@example.com', 'bob@example.com', 'cy@example.com'] } } });
  await gw.addLocalUser('ana@example.com', 'ana-password-1');
  await gw.addLocalUser('bob@example.com', 'bob-password-1');
});
after(async () => { await gw.close(); });

const envOf = async (client: { callTool: (p: { name: string; arguments: Record<string, unknown> }) => Promise<unknown> }) =>
  JSON.parse(text(await client.callTool({ name: 'env', arguments: { names: ['API_TOKEN', 'REGION', 'SHARED', 'NICKNAME', 'HOME', 'PATH', 'MCP_PUBLISH_HOME'] } }))) as Record<string, string>;

test('two users fill in their own values on first use and each child sees only its user\'s', async () => {
  const anaSecret = 'ana-token-0123456789';
  const bobSecret = 'bob-token-9876543210';
  rememberSecret(anaSecret);
  rememberSecret(bobSecret);
  const ana = await gw.connect('env', { login: { email: 'ana@example.com', password: 'ana-password-1' }, setup: { API_TOKEN: anaSecret, REGION: 'eu-west' } });
  const bob = await gw.connect('env', { login: { email: 'bob@example.com', password: 'bob-password-1' }, setup: { API_TOKEN: bobSecret, REGION: 'us-east', NICKNAME: 'bobby' } });
  assert.deepEqual(ana.provider.visits[0]!.pages, ['login', 'consent', 'setup']);
  const a = await envOf(ana.client);
  const b = await envOf(bob.client);
  assert.deepEqual({ token: a.API_TOKEN, region: a.REGION, shared: a.SHARED, nick: a.NICKNAME }, { token: anaSecret, region: 'eu-west', shared: 'for-everyone', nick: undefined });
  assert.deepEqual({ token: b.API_TOKEN, region: b.REGION, nick: b.NICKNAME }, { token: bobSecret, region: 'us-east', nick: 'bobby' });
  assert.ok(a.PATH && a.HOME, 'the minimal environment is inherited');
  assert.notEqual(text(await ana.client.callTool({ name: 'pid', arguments: {} })), text(await bob.client.callTool({ name: 'pid', arguments: {} })));
  // Secrets are in the SecretStore, not in the state store.
  const keys = await gw.secrets.list('userenv.');
  assert.equal(keys.filter((k) => k.endsWith('.API_TOKEN')).length, 2);
  const stateText = JSON.stringify(await gw.state.list('user-env'));
  assert.ok(!stateText.includes(anaSecret) && stateText.includes('eu-west'));
});

test('the setup page refuses a missing required value and keeps asking', async () => {
  await gw.addLocalUser('cy@example.com', 'cy-password-12');
  const cy = gw.connect('env', { login: { email: 'cy@example.com', password: 'cy-password-12' }, setup: { REGION: 'ap' } });
  await assert.rejects(cy, /setup refused: .*Please fill in API token./);
});

test('reconfigure gives a one-time link; the child restarts with the new values', async () => {
  const browser = new Browser();
  const { client } = await gw.connect('env', { login: { email: 'ana@example.com', password: 'ana-password-1' }, setup: { API_TOKEN: 'unused-token-value', REGION: 'eu-west' } }, { browser });
  const { tools } = await client.listTools();
  assert.ok(tools.some((t) => t.name === 'reconfigure'), 'the gateway adds reconfigure to the tool list');
  const pidBefore = text(await client.callTool({ name: 'pid', arguments: {} }));
  const answer = text(await client.callTool({ name: 'reconfigure', arguments: {} }));
  const link = /(http:\/\/\S+\/setup\/\S+)/.exec(answer)![1]!;
  const page = await (await fetch(link)).text();
  assert.match(page, /data-page="setup"/);
  assert.match(page, /type="password"/, 'secrets are password fields');
  assert.doesNotMatch(page, /ana-token-0123456789/, 'a secret is never shown back');
  const newSecret = 'ana-new-token-555555';
  rememberSecret(newSecret);
  const saved = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ API_TOKEN: newSecret, REGION: '' }).toString() });
  assert.match(await saved.text(), /data-page="setup-done"/);
  const env = await envOf(client);
  assert.equal(env.API_TOKEN, newSecret);
  assert.equal(env.REGION, 'eu-west', 'an empty field keeps its value');
  assert.notEqual(text(await client.callTool({ name: 'pid', arguments: {} })), pidBefore, 'the child restarted');
  const reused = await fetch(link);
  assert.equal(reused.status, 404, 'the link works once');
});
