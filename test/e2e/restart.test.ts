// Restart the gateway (same state file, same secrets file, same port): registered clients,
// refresh tokens, consents, sessions of the sign-in cookie and users' secrets all survive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fixture, text } from '../support/gateway.ts';
import { freePort } from '../support/processes.ts';
import { Browser, TestOAuthProvider } from '../support/browser.ts';
import { rememberSecret } from '../support/log-audit.ts';
import { connectWithOAuth, startSignedInGateway } from '../support/signed-in.ts';
import { openStateStore } from '../../src/state/state-store.ts';
import { EncryptedFileSecretStore } from '../../src/secrets/encrypted-file-store.ts';


test('after a restart: the client refreshes, no new consent is asked, and the user\'s secret is still there', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-restart-'));
  const port = await freePort();
  const servers = { env: fixture('env-server', { userEnv: [{ name: 'API_TOKEN', secret: true }] }) };
  const open = async () => startSignedInGateway(servers, {
    port, access: { allow: { emails: ['ana@example.com'] } },
    state: await openStateStore({ file: path.join(dir, 'state.json') }),
    secrets: new EncryptedFileSecretStore({ file: path.join(dir, 'secrets.enc'), keyFile: path.join(dir, 'secrets.key') }),
  });
  const secret = 'survives-restart-42';
  rememberSecret(secret);
  const browser = new Browser();
  const person = { login: { email: 'ana@example.com', password: 'ana-password-1' }, setup: { API_TOKEN: secret } };
  const provider = new TestOAuthProvider(browser, person);
  let gw = await open();
  try {
    await gw.addLocalUser('ana@example.com', 'ana-password-1');
    const first = await connectWithOAuth(gw.mcpUrl('env'), provider);
    assert.deepEqual(provider.visits[0]!.pages, ['login', 'consent', 'setup']);
    await first.close();
    const clientId = provider.client!.client_id;
    const refresh = provider.tokens()!.refresh_token!;
    await gw.close();
    await gw.state.close();

    gw = await open();
    // The refresh token issued before the restart works, and rotates.
    const res = await fetch(`${gw.issuer}/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh, client_id: clientId }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const tokens = await res.json() as { access_token: string; refresh_token: string };
    rememberSecret(tokens.access_token);
    rememberSecret(tokens.refresh_token);
    provider.saveTokens({ ...provider.tokens()!, access_token: tokens.access_token, refresh_token: tokens.refresh_token });
    const client = await connectWithOAuth(gw.mcpUrl('env'), provider);
    const env = JSON.parse(text(await client.callTool({ name: 'env', arguments: { names: ['API_TOKEN'] } }))) as Record<string, string>;
    assert.equal(env.API_TOKEN, secret, 'the user\'s secret survived');
    await client.close();
    // A new authorization by the same client in the same browser: signed in, consent remembered.
    provider.saved = undefined;
    const again = await connectWithOAuth(gw.mcpUrl('env'), provider);
    assert.deepEqual(provider.visits.at(-1)!.pages, [], 'no sign-in page, no consent page, no setup page');
    assert.equal(provider.client!.client_id, clientId, 'the registered client survived');
    await again.close();
  } finally {
    await gw.close();
    await gw.state.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
});

