// Nothing acknowledged is lost (STYLE 16, 18): a real `serve` is killed outright (SIGKILL) at
// random moments while people refresh their tokens, clients register, the owner invites people
// and approves or denies others. After each restart every answer the process had sent is
// checked: the refresh token a client last received still works, every registered client is
// known, every invite link can be used, every decision stands. Only what was in flight at the
// kill (sent, no answer) may have gone either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Browser, type Person } from '../support/browser.ts';
import { authorizeUrl, pkce, refresh, register, signInByHand, type RegisteredClient } from '../support/oauth.ts';
import { freePort } from '../support/processes.ts';
import { fixture } from '../support/gateway.ts';
import { rememberSecret } from '../support/log-audit.ts';
import { INVITES_COLLECTION } from '../../src/identity/local-accounts.ts';
import { adminCall, startServe, type ServeInfo, type ServeProcess } from '../support/serve-process.ts';

const CYCLES = Number(process.env.MCP_PUBLISH_KILL_CYCLES ?? 20);
const CHAINS = 6;
const REDIRECT = 'http://127.0.0.1:3334/oauth/callback';
const PEOPLE = ['pat@example.com', 'kim@example.com'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

/** One client application of the owner's: its registration, grant, browser and refresh token. */
interface Chain { client: RegisteredClient; browser: Browser; token: string; inFlight: boolean }
interface Loss { cycle: number; what: string }

test(`serve killed with SIGKILL at random moments, ${CYCLES} times: every refresh token, registration, invite and decision it acknowledged survives`, async (t) => {
  const started = Date.now();
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-kill-loop-'));
  const port = await freePort();
  await fs.writeFile(path.join(home, 'config.json'), JSON.stringify({
    mcpServers: { notes: fixture('slow-server') },
    access: { login: { local: true }, unknownUsers: 'ask-owner' },
    gateway: { port },
  }));
  const env = { MCP_PUBLISH_SECRETS: 'file' };
  let serve: ServeProcess = startServe(home, [], env);
  t.after(async () => {
    await serve.kill('SIGKILL');
    await fs.rm(home, { recursive: true, force: true });
  });
  let info: ServeInfo = await serve.ready();
  const issuer = info.url;
  const resource = `${issuer}/servers/notes/mcp`;
  const owner: Person = { login: info.owner! };

  // People whose access the owner keeps deciding on: each signs in once and is let in.
  const people = new Map<string, { status: string; inFlight: boolean }>();
  for (const email of PEOPLE) {
    const { invite } = await adminCall<{ invite: string }>(info.admin, 'POST', '/api/local-accounts', { email });
    const password = `${email.split('@')[0]}-password-1`;
    rememberSecret(password);
    const set = await fetch(invite, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ password, confirm: password }) });
    assert.match(await set.text(), /data-page="invite-done"/);
    await signInByHand(issuer, {
      login: { email, password },
      onPending: async () => { await adminCall(info.admin, 'POST', `/api/users/${encodeURIComponent(email)}/action`, { action: 'approve' }); },
    }, { resource });
    people.set(email, { status: 'allowed', inFlight: false });
  }

  const chains: Chain[] = [];
  for (let i = 0; i < CHAINS; i++) {
    const s = await signInByHand(issuer, owner, { resource, redirectUri: REDIRECT });
    rememberSecret(s.tokens.refresh_token);
    chains.push({ client: s.client, browser: s.browser, token: s.tokens.refresh_token, inFlight: false });
  }

  const losses: Loss[] = [];
  const checked = { refresh: 0, registrations: 0, invites: 0, invitesUsed: 0, decisions: 0 };
  const ambiguous = { refresh: 0, decisions: 0 };
  let invited = 0;
  /** Acknowledged invite links nobody has used yet. */
  const unused: string[] = [];
  const ms = { setup: Date.now() - started, work: 0, restart: 0, check: 0 };

  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    // ── Work, until the kill. A loop sends nothing new once the kill is decided; an answer that
    // still arrives was sent by the process before it died, so it counts as acknowledged.
    let killing = false;
    const registered: string[] = [];
    const invites: string[] = [];
    const unexpected: string[] = [];
    const refreshLoop = async (chain: Chain) => {
      while (!killing) {
        let a;
        try {
          a = await refresh(issuer, chain.client, chain.token);
        } catch {
          chain.inFlight = true;
          return;
        }
        if (a.status !== 200) { unexpected.push(`refresh answered ${a.status} ${JSON.stringify(a.json)}`); return; }
        chain.token = a.json.refresh_token;
        rememberSecret(chain.token);
        rememberSecret(a.json.access_token);
        await sleep(between(60, 250));
      }
    };
    const registerLoop = async () => {
      while (!killing) {
        let a;
        try {
          a = await register(issuer, { client_name: `kill-loop ${cycle}`, redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] });
        } catch {
          return;
        }
        if (a.status !== 201) { unexpected.push(`register answered ${a.status} ${JSON.stringify(a.json)}`); return; }
        registered.push(a.json.client_id as string);
        await sleep(between(10, 60));
      }
    };
    const inviteLoop = async () => {
      while (!killing) {
        let answer: { invite: string };
        try {
          answer = await adminCall<{ invite: string }>(info.admin, 'POST', '/api/local-accounts', { email: `guest${++invited}@example.com` });
        } catch (e) {
          if (!/fetch failed/.test((e as Error).message)) unexpected.push((e as Error).message);
          return;
        }
        invites.push(answer.invite);
        rememberSecret(answer.invite.split('/').at(-1));
        await sleep(between(120, 300));
      }
    };
    const decideLoop = async () => {
      while (!killing) {
        const email = PEOPLE[between(0, PEOPLE.length)]!;
        const person = people.get(email)!;
        const action = person.status === 'allowed' ? 'deny' : 'approve';
        person.inFlight = true;
        let user: { status: string };
        try {
          user = await adminCall<{ status: string }>(info.admin, 'POST', `/api/users/${encodeURIComponent(email)}/action`, { action });
        } catch (e) {
          if (!/fetch failed/.test((e as Error).message)) unexpected.push((e as Error).message);
          return;
        }
        person.inFlight = false;
        person.status = user.status;
        await sleep(between(5, 40));
      }
    };
    const phase = { work: Date.now(), restart: 0, check: 0 };
    const work = Promise.all([...chains.map(refreshLoop), registerLoop(), inviteLoop(), decideLoop()]);
    await sleep(between(40, 400));
    killing = true;
    await serve.kill('SIGKILL');
    await work;
    assert.deepEqual(unexpected, [], `cycle ${cycle}: answers while the process ran`);

    // ── Restart on the same folder and check everything acknowledged.
    phase.restart = Date.now();
    serve = startServe(home, [], env);
    info = await serve.ready();
    phase.check = Date.now();

    const checkChains = Promise.all(chains.map(async (chain, i) => {
      const a = await refresh(issuer, chain.client, chain.token);
      if (a.status === 200) {
        chain.token = a.json.refresh_token;
        rememberSecret(chain.token);
      } else if (!chain.inFlight) {
        losses.push({ cycle, what: `chain ${i}: the refresh token it last received was refused: ${a.status} ${JSON.stringify(a.json)}` });
      }
      if (chain.inFlight) ambiguous.refresh++;
      else checked.refresh++;
      chain.inFlight = false;
      if (a.status !== 200) {
        // Signed in again in its browser (no password needed), to go on with the next cycle.
        const s = await signInByHand(issuer, owner, { resource, redirectUri: REDIRECT, client: chain.client, browser: chain.browser });
        chain.token = s.tokens.refresh_token;
        rememberSecret(chain.token);
      }
    }));

    const checkRegistrations = Promise.all(registered.map(async (clientId) => {
      const url = authorizeUrl(issuer, {
        response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, resource, state: randomBytes(4).toString('hex'),
        code_challenge: pkce().challenge, code_challenge_method: 'S256',
      });
      const res = await fetch(url, { redirect: 'manual' });
      await res.arrayBuffer();
      checked.registrations++;
      // A known client is sent on to our sign-in (a redirect); an unknown one gets an error page.
      if (res.status !== 303 && res.status !== 302) losses.push({ cycle, what: `client ${clientId} it registered is unknown (${res.status})` });
    }));

    // Every invite is looked up in the state file the new process started from (the invite is
    // stored as the SHA-256 of its token); every fifth cycle the newest is also used, as the
    // invited person would (not more often: setting a password costs a deliberately slow hash).
    const file = JSON.parse(await fs.readFile(path.join(home, 'state.json'), 'utf8')) as { collections: Record<string, Record<string, unknown>> };
    for (const invite of invites) {
      checked.invites++;
      const key = createHash('sha256').update(invite.split('/').at(-1)!).digest('base64url');
      if (!file.collections[INVITES_COLLECTION]?.[key]) losses.push({ cycle, what: `the invite link ${invite.replace(/[^/]+$/, '…')} it handed out is not in the state file` });
    }
    unused.push(...invites);
    const newest = cycle % 5 === 0 || cycle === CYCLES ? unused.pop() : undefined;
    const checkInvites = newest && (async () => {
      const password = `pw-${randomBytes(6).toString('hex')}`;
      const res = await fetch(newest, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ password, confirm: password }) });
      const html = await res.text();
      checked.invitesUsed++;
      if (!/data-page="invite-done"/.test(html)) losses.push({ cycle, what: `the invite link ${newest.replace(/[^/]+$/, '…')} it handed out cannot be used (${res.status})` });
    })();

    const [users] = await Promise.all([
      adminCall<Array<{ email?: string; status: string }>>(info.admin, 'GET', '/api/users'), checkChains, checkRegistrations, checkInvites,
    ]);
    for (const [email, person] of people) {
      const now = users.find((u) => u.email === email)?.status;
      if (person.inFlight) ambiguous.decisions++;
      else {
        checked.decisions++;
        if (now !== person.status) losses.push({ cycle, what: `${email}: the owner's decision "${person.status}" was answered, but the status is "${now}"` });
      }
      person.status = now ?? person.status;
      person.inFlight = false;
    }
    ms.work += phase.restart - phase.work;
    ms.restart += phase.check - phase.restart;
    ms.check += Date.now() - phase.check;
  }

  await serve.kill('SIGTERM');
  const total = checked.refresh + checked.registrations + checked.invites + checked.decisions;
  t.diagnostic(`${CYCLES} kill cycles; checked after restart: ${checked.refresh} refresh tokens, ${checked.registrations} registrations, ${checked.invites} invites (${checked.invitesUsed} of them used), ${checked.decisions} decisions (${total} in all); in flight at the kill (either outcome allowed): ${ambiguous.refresh} refreshes, ${ambiguous.decisions} decisions; losses: ${losses.length}`);
  t.diagnostic(`time: setup ${(ms.setup / 1000).toFixed(1)} s; per cycle ${[['work until the kill', ms.work], ['restart', ms.restart], ['checks', ms.check]].map(([k, v]) => `${k} ${Math.round(Number(v) / CYCLES)} ms`).join(', ')}`);
  assert.ok(checked.refresh >= CYCLES, 'most refresh chains were idle at some kills, so acknowledged tokens were checked');
  assert.ok(checked.registrations > 0 && checked.invites > 0 && checked.decisions > 0, 'every kind of record was checked');
  assert.deepEqual(losses, [], `${losses.length} acknowledged answers were lost in ${new Set(losses.map((l) => l.cycle)).size} of ${CYCLES} cycles`);
});
