// The MCP conformance suite's `authorization` command (0.2.0-alpha.12, which needs Node 22)
// against our authorization server: `authorization-server-metadata-endpoint` and the interactive
// `authorization-code-grant`, with the person at the browser played by our Browser. The suite's
// client is pre-registered through our /register as a public client (the suite authenticates at
// /token with `none` whenever the server lists it, even if given a secret), with the redirect
// http://127.0.0.1:<port>/callback the suite listens on. Its authorization request carries no
// `scope` and no `resource`: with exactly one published server, our AS binds the token to it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT, fixture } from '../support/gateway.ts';
import { NODE_22, NODE_22_MISSING } from '../support/conformance.ts';
import { Browser } from '../support/browser.ts';
import { startSignedInGateway, type SignedInGateway } from '../support/signed-in.ts';
import { freePort, within } from '../support/processes.ts';

const CONFORMANCE_NEXT = path.join(ROOT, 'node_modules/conformance-next/dist/index.js');
const ANA = { email: 'ana@example.com', password: 'ana-password-1' };
/** Each scenario and the checks it must report as SUCCESS (a skipped grant would say SKIPPED). */
const SCENARIOS: Record<string, string[]> = {
  'authorization-server-metadata-endpoint': ['authorization-server-metadata', 'authorization-server-metadata-cimd'],
  'authorization-code-grant': ['authorization-code-grant'],
};

interface Check { id: string; status: string; errorMessage?: string; details?: Record<string, unknown> }

let gw: SignedInGateway;
before(async () => {
  gw = await startSignedInGateway({ slow: fixture('slow-server') }, { access: { allow: { emails: [ANA.email] }, unknownUsers: 'deny' } });
  await gw.addLocalUser(ANA.email, ANA.password);
});
after(async () => { await gw.close(); });

test('the conformance suite\'s authorization scenarios pass against our issuer, sign-in driven by the Browser', { timeout: 120_000, skip: NODE_22_MISSING }, async () => {
  const port = await freePort();
  const callback = `http://127.0.0.1:${port}/callback`;
  // Pre-registration, as the suite expects (it never registers itself).
  const reg = await fetch(`${gw.issuer}/register`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'MCP conformance suite', redirect_uris: [callback], token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'] }),
  });
  assert.equal(reg.status, 201, await reg.clone().text());
  const { client_id: clientId } = await reg.json() as { client_id: string };

  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-conformance-auth-'));
  // No --scenario: run alone, authorization-code-grant lacks the metadata the first scenario
  // hands it ("Invalid authorization server metadata"), so both run in one invocation, in order.
  // --url is our issuer byte for byte (no trailing slash): the suite compares it to `issuer`.
  const args = [CONFORMANCE_NEXT, 'authorization', '--url', gw.issuer, '--client-id', clientId, '-p', String(port), '-o', out];
  const child = spawn(NODE_22, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  const printed = new Promise<URL>((resolve) => {
    child.stdout.on('data', (s: string) => {
      stdout += s;
      // "Access the following URL in your browser and complete the authentication process." then the URL.
      const m = /Access the following URL in your browser[^\n]*\n(\S+)/.exec(stdout);
      if (m) resolve(new URL(m[1]!));
    });
  });
  const output = () => `stdout:\n${stdout}\nstderr:\n${stderr}`;
  try {
    const authUrl = await within(Promise.race([printed, exited.then(() => { throw new Error(`the suite exited before printing an authorization URL\n${output()}`); })]), 30_000, 'the suite printed no authorization URL', output);
    assert.equal(authUrl.origin + authUrl.pathname, `${gw.issuer}/authorize`);
    assert.equal(authUrl.searchParams.get('redirect_uri'), callback);
    assert.equal(authUrl.searchParams.get('scope'), null, 'the suite sends no scope');
    assert.equal(authUrl.searchParams.get('resource'), null, 'the suite sends no resource');

    const browser = new Browser();
    const visit = await browser.authorize(authUrl, { login: ANA }, (u) => u.origin === `http://127.0.0.1:${port}` && u.pathname === '/callback');
    assert.deepEqual(visit.pages, ['login', 'consent']);
    assert.ok(visit.final.searchParams.get('code'), `a code for the suite: ${visit.final.href}`);
    // The browser's last step: the redirect lands on the suite's callback server.
    const landed = await browser.fetch(visit.final);
    assert.equal(landed.status, 200);
    await landed.arrayBuffer();

    const [code] = await within(exited, 30_000, 'the suite did not finish after the callback', output);
    assert.match(stdout, /Total: \d+ passed, 0 failed/, output());
    assert.equal(code, 0, output());

    // Each scenario's checks.json: <out>/authorization-server-<scenario>-<time>/checks.json.
    const dirs = await fs.readdir(out);
    for (const [scenario, expected] of Object.entries(SCENARIOS)) {
      const dir = dirs.find((d) => d.startsWith(`authorization-server-${scenario}-`));
      assert.ok(dir, `results of ${scenario} in ${dirs.join(', ')}`);
      const checks = JSON.parse(await fs.readFile(path.join(out, dir, 'checks.json'), 'utf8')) as Check[];
      assert.deepEqual(checks.filter((c) => c.status !== 'SUCCESS').map((c) => `${c.id}: ${c.status} ${c.errorMessage ?? ''}`), [], `${scenario}: every check succeeds`);
      assert.deepEqual(checks.map((c) => `${c.id}: ${c.status}`), expected.map((id) => `${id}: SUCCESS`), scenario);
    }
    // What the suite got from /token: a JWT bound to the one published server, for the person who signed in.
    const grant = JSON.parse(await fs.readFile(path.join(out, dirs.find((d) => d.includes('authorization-code-grant'))!, 'checks.json'), 'utf8')) as Check[];
    const body = grant[0]!.details!.body as Record<string, unknown>;
    assert.equal(String(body.token_type).toLowerCase(), 'bearer');
    assert.equal(body.scope, 'mcp', 'our resource scope, though the suite asked for none');
    // (The suite redacts the token in its results; the grant it came from names the resource.)
    const grants = await gw.state.list<{ clientId?: string; resources?: Record<string, string> }>('oidc.Grant');
    const suiteGrant = grants.find((g) => g.value.clientId === clientId);
    assert.deepEqual(suiteGrant?.value.resources, { [gw.mcpUrl('slow')]: 'mcp' }, 'bound to the one published server');
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await fs.rm(out, { recursive: true, force: true });
  }
});
