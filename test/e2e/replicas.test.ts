// A team runs two replicas of `mcp-publish serve` on one PostgreSQL, behind a real nginx with
// affinity on Mcp-Session-Id (issue 15). People sign in through the proxy (each step lands on
// whichever replica nginx picks), their calls work whichever replica holds the session, a refresh
// token presented at both replicas at once is rotated once and the second use is a reuse,
// removing a person stops their children on both within a second, and killing one replica
// loses nobody: the next session lands on the other.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { fixture, alive } from '../support/gateway.ts';
import { freePort } from '../support/processes.ts';
import { signInByHand, type RegisteredClient, type Tokens } from '../support/oauth.ts';
import { rememberSecret } from '../support/log-audit.ts';
import { adminCall, startServe, type ServeInfo, type ServeProcess } from '../support/serve-process.ts';
import { messagesOf, openRawSession, type RawSession } from '../support/raw-session.ts';
import { postgresMissing, startPostgres, type TestPostgres } from '../support/postgres.ts';
import { nginxMissing, startNginx, type TestNginx } from '../support/nginx.ts';

const PEOPLE = ['ana@example.com', 'ben@example.com', 'cy@example.com'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A form POST to one replica directly, with the public Host (fetch cannot set Host). */
function postTo(port: number, host: string, route: string, form: Record<string, string>): Promise<{ status: number; json: any }> {
  return postRaw(port, route, new URLSearchParams(form).toString(), { host, 'content-type': 'application/x-www-form-urlencoded' });
}

function postRaw(port: number, route: string, body: string, headers: Record<string, string>): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: route, method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text || '{}') }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

/** The pid of the child behind a session (the fixture's `pid` tool). */
async function childPid(s: RawSession, id: number): Promise<number> {
  const res = await s.post(s.call(id, 'pid'));
  const [answer] = messagesOf(res.headers.get('content-type'), await res.text());
  const text = answer?.result?.content?.[0]?.text;
  assert.ok(text, `the pid call answered ${res.status} ${JSON.stringify(answer)}`);
  return Number(text);
}

/** The parent of a process (Linux /proc). */
async function parentOf(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^PPid:\s+(\d+)/m.exec(status)![1]);
}

describe('two replicas on PostgreSQL behind nginx', { skip: postgresMissing() ?? nginxMissing() }, () => {
  let db: TestPostgres;
  let nginx: TestNginx;
  const homes: string[] = [];
  const replicas: { port: number; serve: ServeProcess; info: ServeInfo }[] = [];
  let issuer: string;
  let resource: string;
  let host: string;
  const people = new Map<string, { client: RegisteredClient; tokens: Tokens; password: string }>();
  const sessions: RawSession[] = [];
  /** Which replica (index) holds a session, from the route its id starts with. */
  let routes: Map<string, number>;
  /** The local accounts in the database right after both replicas started. */
  let owners: string[];

  const open = async (email: string) => {
    const s = await openRawSession(`${issuer}/servers/notes/mcp`, { authorization: `Bearer ${people.get(email)!.tokens.access_token}` });
    sessions.push(s);
    return s;
  };
  const ownerOf = (s: RawSession) => routes.get(s.id.slice(0, s.id.indexOf('.')));

  before(async () => {
    db = await startPostgres();
    const url = await db.createDatabase();
    const ports = [await freePort(), await freePort()];
    const proxyPort = await freePort();
    issuer = `http://127.0.0.1:${proxyPort}`;
    host = `127.0.0.1:${proxyPort}`;
    resource = `${issuer}/servers/notes/mcp`;
    nginx = await startNginx(ports.map((p) => `127.0.0.1:${p}`), proxyPort);
    const env = { MCP_PUBLISH_STATE_URL: url, MCP_PUBLISH_SECRET_KEY: randomBytes(32).toString('base64') };
    rememberSecret(env.MCP_PUBLISH_SECRET_KEY); // the log audit proves it never reaches a log line
    // Both replicas start at once on the empty database (`docker compose up` does): one of them
    // makes the owner's account, the other finds it.
    const started = await Promise.all(ports.map(async (port) => {
      const home = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-replica-'));
      homes.push(home);
      await fs.writeFile(path.join(home, 'config.json'), JSON.stringify({
        mcpServers: { notes: fixture('slow-server') },
        access: { login: { local: true }, allow: { emails: PEOPLE }, unknownUsers: 'deny' },
        publish: { tunnel: 'none', publicUrl: issuer },
        gateway: { port },
      }));
      const serve = startServe(home, [], env);
      return { port, serve, info: await serve.ready() };
    }));
    replicas.push(...started);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const rows = (await client.query<{ id: string; value: { url: string } }>("SELECT id, value FROM state_entries WHERE collection = 'gateway.replicas'")).rows;
    owners = (await client.query<{ value: { email: string } }>("SELECT value FROM state_entries WHERE collection = 'local-accounts'")).rows.map((r) => r.value.email);
    await client.end();
    routes = new Map(rows.map((r) => [r.id, ports.indexOf(Number(new URL(r.value.url).port))]));
    assert.deepEqual([...routes.values()].sort(), [0, 1], 'both replicas registered their route');
  });

  after(async () => {
    await Promise.all(sessions.map((s) => s.close().catch(() => 0)));
    for (const r of replicas) await r.serve.kill('SIGTERM');
    await nginx?.stop();
    await db?.stop();
    for (const home of homes) await fs.rm(home, { recursive: true, force: true });
  });

  test('two replicas started at once on an empty database make one owner account; the one password printed signs in', async () => {
    assert.deepEqual(owners, ['owner@localhost'], 'one account for the owner');
    const printed = replicas.map((r) => r.info.owner).filter((o) => o !== undefined);
    assert.equal(printed.length, 1, `one replica printed the owner's password (${printed.length} did)`);
    const other = replicas.find((r) => !r.info.owner)!;
    assert.match(other.serve.stdout() + other.serve.stderr(), /owner's account .*another replica|printed by the replica that made it/i, 'the other says where the password is');
    const { tokens } = await signInByHand(issuer, { login: { email: printed[0]!.email, password: printed[0]!.password } }, { resource });
    rememberSecret(tokens.access_token);
    rememberSecret(tokens.refresh_token);
    assert.ok(tokens.access_token, 'the printed password signs the owner in');
  });

  test('people are invited and sign in through the proxy, the steps spread over both replicas', async () => {
    for (const email of PEOPLE) {
      const { invite } = await adminCall<{ invite: string }>(replicas[0]!.info.admin, 'POST', '/api/local-accounts', { email });
      assert.ok(invite.startsWith(issuer), `the invite is on the public URL: ${invite}`);
      const password = `${email.split('@')[0]}-${randomBytes(6).toString('hex')}`;
      rememberSecret(password);
      const set = await fetch(invite, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ password, confirm: password }) });
      assert.match(await set.text(), /data-page="invite-done"/);
      const { client, tokens } = await signInByHand(issuer, { login: { email, password } }, { resource });
      rememberSecret(tokens.access_token);
      rememberSecret(tokens.refresh_token);
      people.set(email, { client, tokens, password });
    }
    const signInSteps = nginx.accessLog().filter((l) => / (GET|POST) \/(authorize|interaction|token|register|login)/.test(l));
    const used = new Set(signInSteps.map((l) => l.split(' ')[0]));
    assert.equal(used.size, 2, `sign-in steps went to both replicas: ${[...used].join(', ')}`);
  });

  test('calls work through the proxy on sessions held by either replica, each child on the replica holding its session', async () => {
    const held = [0, 0];
    for (let i = 0; i < 6; i++) {
      const s = await open(PEOPLE[i % PEOPLE.length]!);
      const owner = ownerOf(s);
      assert.ok(owner !== undefined, `session ${s.id} names a replica`);
      held[owner]!++;
      for (let call = 1; call <= 5; call++) {
        const pid = await childPid(s, call);
        assert.equal(await parentOf(pid), replicas[owner]!.serve.pid, 'the child runs under the replica that holds the session');
      }
    }
    assert.ok(held[0]! > 0 && held[1]! > 0, `new sessions were spread over both replicas: ${held.join(' / ')}`);
  });

  test('a refresh token presented at both replicas at once is rotated once, and the second use revokes the family', async () => {
    const email = PEOPLE[0]!;
    const { client, password } = people.get(email)!;
    for (let round = 0; round < 4; round++) {
      // A fresh family each round (the previous one is revoked, by design).
      const { tokens } = await signInByHand(issuer, { login: { email, password } }, { resource, client });
      rememberSecret(tokens.refresh_token);
      rememberSecret(tokens.access_token);
      const form = { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: client.client_id };
      const [a, b] = await Promise.all([postTo(replicas[0]!.port, host, '/token', form), postTo(replicas[1]!.port, host, '/token', form)]);
      const ok = [a, b].filter((r) => r.status === 200);
      const refused = [a, b].filter((r) => r.status !== 200);
      assert.equal(ok.length, 1, `round ${round}: exactly one rotation (${a.status} ${JSON.stringify(a.json)} / ${b.status} ${JSON.stringify(b.json)})`);
      assert.equal(refused[0]!.status, 400);
      assert.equal(refused[0]!.json.error, 'invalid_grant');
      assert.match(refused[0]!.json.error_description, /already used|invalid|not found/, 'the loser is told the grant is unusable');
      rememberSecret(ok[0]!.json.refresh_token);
      rememberSecret(ok[0]!.json.access_token);
      // Reuse detected: the family is gone, the rotated token and its access token with it.
      const next = await postTo(replicas[round % 2]!.port, host, '/token', { ...form, refresh_token: ok[0]!.json.refresh_token });
      assert.equal(next.status, 400, `round ${round}: the rotated refresh token is refused too`);
      const call = await fetch(resource, { method: 'POST', headers: { authorization: `Bearer ${ok[0]!.json.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) });
      assert.equal(call.status, 401, `round ${round}: its access token is refused on every replica`);
      await call.text();
    }
  });

  test('removing a person on one replica stops their children on both within a second', async () => {
    const email = PEOPLE[1]!;
    const pids = new Map<number, number>();
    for (let i = 0; pids.size < 2 && i < 12; i++) {
      const s = await open(email);
      pids.set(ownerOf(s)!, await childPid(s, 1));
    }
    assert.equal(pids.size, 2, 'the person has a child on each replica');
    const started = Date.now();
    await adminCall(replicas[0]!.info.admin, 'POST', `/api/users/${encodeURIComponent(email)}/action`, { action: 'remove' });
    while ([...pids.values()].some(alive) && Date.now() - started < 3000) await sleep(20);
    const took = Date.now() - started;
    assert.deepEqual([...pids.values()].filter(alive), [], 'every child stopped');
    assert.ok(took < 1000, `stopped within a second (${took} ms)`);
    const refused = await openRawSession(resource, { authorization: `Bearer ${people.get(email)!.tokens.access_token}` }).catch((e: Error) => e);
    assert.ok(refused instanceof Error && /401/.test(refused.message), 'their token is refused');
  });

  test('a 2026-07-28 call parked on one replica is resumed by its retry sent to the other', async () => {
    const V = '2026-07-28';
    const meta = { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': { sampling: {} }, 'io.modelcontextprotocol/clientInfo': { name: 'raw-2026', version: '1' } };
    const headers = { host, authorization: `Bearer ${people.get(PEOPLE[2]!)!.tokens.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': V, 'mcp-method': 'tools/call', 'mcp-name': 'ask' };
    const call = (port: number, params: Record<string, unknown>) =>
      postRaw(port, '/servers/notes/mcp', JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'ask', arguments: { prompt: 'which replica?' }, ...params, _meta: meta } }), headers);
    for (const [at, retryAt] of [[0, 1], [1, 0]] as const) {
      const first = await call(replicas[at]!.port, {});
      assert.equal(first.json.result?.resultType, 'input_required', JSON.stringify(first.json));
      const requestState = first.json.result.requestState as string;
      assert.equal(routes.get(requestState.slice(0, requestState.indexOf('.'))), at, 'the requestState names the replica holding the call');
      const [key] = Object.keys(first.json.result.inputRequests);
      const answer = { role: 'assistant', content: { type: 'text', text: `answered at replica ${retryAt}` }, model: 'm' };
      const retry = await call(replicas[retryAt]!.port, { requestState, inputResponses: { [key!]: answer } });
      assert.equal(retry.status, 200, JSON.stringify(retry.json));
      assert.equal(retry.json.result.content[0].text, `answered at replica ${retryAt}`);
    }
  });

  test('killing one replica loses no signed-in person: their next session lands on the other', async () => {
    const email = PEOPLE[2]!;
    let onDoomed: RawSession | undefined;
    for (let i = 0; !onDoomed && i < 12; i++) {
      const s = await open(email);
      if (ownerOf(s) === 1) onDoomed = s;
    }
    assert.ok(onDoomed, 'a session on the replica about to die');
    await replicas[1]!.serve.kill('SIGKILL');
    // The session died with its replica: 404, which tells the client to start a new one.
    const gone = await onDoomed.post(onDoomed.call(99, 'pid'));
    await gone.text();
    assert.equal(gone.status, 404);
    for (let i = 0; i < 4; i++) {
      const s = await open(email);
      assert.equal(ownerOf(s), 0, 'new sessions land on the live replica');
      assert.equal(await parentOf(await childPid(s, 1)), replicas[0]!.serve.pid);
    }
    const { client, tokens } = people.get(email)!;
    const refreshed = await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: client.client_id }) });
    const json = await refreshed.json() as Tokens;
    assert.equal(refreshed.status, 200, 'their refresh token works on the live replica');
    rememberSecret(json.refresh_token);
    rememberSecret(json.access_token);
  });
});
