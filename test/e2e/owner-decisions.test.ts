// Stories of the owner deciding about people through the admin API (as the CLI's `users` command
// and the settings window do): removing or denying a person ends what she holds for good — her
// tokens, her refresh tokens, her consents, her sign-in — so letting her back in means she signs
// in again; the clients list forgets her; and the owner cannot lock themselves out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, text } from '../support/gateway.ts';
import { startSignedInGateway, type SignedInGateway } from '../support/signed-in.ts';
import { startAdmin, type Admin } from '../support/admin.ts';
import { mcpCall, refresh } from '../support/oauth.ts';
import { rememberSecret } from '../support/log-audit.ts';
import type { AdminServer } from '../../src/admin/admin-server.ts';
import { ADMIN_ROUTES, adminPath, type ClientView, type UserView } from '../../src/admin/api.ts';

const ANA = { login: { email: 'ana@example.com', password: 'ana-password-1' } };
const BOB = { login: { email: 'bob@example.com', password: 'bob-password-1' } };

let gw: SignedInGateway;
let server: AdminServer;
let admin: Admin;

before(async () => {
  gw = await startSignedInGateway({ slow: fixture('slow-server') }, { access: { allow: { emails: ['ana@example.com', 'bob@example.com'] }, unknownUsers: 'ask-owner' } });
  await gw.addLocalUser('ana@example.com', 'ana-password-1');
  await gw.addLocalUser('bob@example.com', 'bob-password-1');
  ({ server, admin } = await startAdmin(gw));
});
after(async () => {
  await server?.stop();
  await gw?.close();
});

const decide = (who: string, action: string) => admin.call<UserView & { error?: string; message?: string }>('POST', adminPath(ADMIN_ROUTES.userAction, { id: who }), { action });

for (const [action, person, email] of [['remove', ANA, 'ana@example.com'], ['deny', BOB, 'bob@example.com']] as const) {
  test(`after "users ${action}", letting the person back in revives none of her tokens: she signs in again`, async () => {
    const { client, provider } = await gw.connect('slow', person);
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'before' } })), 'before');
    const old = provider.tokens()!;
    const clientInfo = provider.client!;
    assert.ok((await admin.ok<ClientView[]>('GET', ADMIN_ROUTES.clients)).some((c) => c.user.email === email), 'her client is listed');

    assert.equal((await decide(email, action)).status, 200);
    assert.equal((await mcpCall(gw.mcpUrl('slow'), old.access_token)).status, 401, 'her token is refused at once');
    assert.ok(!(await admin.ok<ClientView[]>('GET', ADMIN_ROUTES.clients)).some((c) => c.user.email === email), 'the clients list no longer shows her grants');

    assert.equal((await decide(email, 'approve')).json.status, 'allowed');
    const call = await mcpCall(gw.mcpUrl('slow'), old.access_token);
    assert.equal(call.status, 401, 'the old access token stays dead');
    assert.match(call.challenge!, /invalid_token/);
    const refreshed = await refresh(gw.issuer, clientInfo, old.refresh_token!);
    assert.equal(refreshed.status, 400, `the old refresh token stays dead: ${JSON.stringify(refreshed.json)}`);
    assert.equal(refreshed.json.error, 'invalid_grant');

    // Coming back: the same browser must sign in and consent again (her session and consent went too).
    const again = await gw.connect('slow', person, { browser: provider.browser });
    assert.deepEqual(again.provider.visits[0]!.pages, ['login', 'consent']);
    assert.equal(text(await again.client.callTool({ name: 'echo', arguments: { text: 'back' } })), 'back');
  });
}

test('the owner cannot remove or deny themselves: the answer says why and nothing changes', async () => {
  const local = gw.publisher.signIn!.local!;
  await local.ensureOwner({ email: 'owner@example.com', name: 'Owner' });
  rememberSecret('owner-password-1');
  await local.setPassword('owner@example.com', 'owner-password-1');
  const { client } = await gw.connect('slow', { login: { email: 'owner@example.com', password: 'owner-password-1' } });
  for (const action of ['remove', 'deny']) {
    const refused = await decide('owner@example.com', action);
    assert.equal(refused.status, 409, `${action}: ${refused.text}`);
    assert.equal(refused.json.error, 'owner_protected');
    assert.match(refused.json.message!, /owner/i);
    assert.match(refused.json.message!, /yourself|your own/);
  }
  const owner = (await admin.ok<UserView[]>('GET', ADMIN_ROUTES.users)).find((u) => u.email === 'owner@example.com')!;
  assert.equal(owner.status, 'allowed');
  assert.equal(owner.owner, true);
  assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'still in' } })), 'still in');
});
