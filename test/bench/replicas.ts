// Calls/s of a team's gateway through nginx: one replica, then two, on one PostgreSQL (issue 15).
// Real `serve` processes (compiled dist/), people signed in through the real OAuth flow, the raw
// node:http client (raw-client.ts) making echo calls on server-everything from 16 sessions at
// once for a fixed time after a warm-up. Run: `node --import tsx test/bench/replicas.ts`.
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { demoServer } from '../../src/publisher.ts';
import { startPostgres, postgresMissing } from '../support/postgres.ts';
import { nginxMissing, startNginx, type TestNginx } from '../support/nginx.ts';
import { adminCall, startServe, type ServeProcess } from '../support/serve-process.ts';
import { signInByHand } from '../support/oauth.ts';
import { freePort } from '../support/processes.ts';
import { RawMcpSession } from './raw-client.ts';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 16);
const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 2;

interface Phase { replicas: number; calls: number; seconds: number; callsPerSecond: number; p50: number; p99: number; passedOn: number }

async function main(): Promise<void> {
  const missing = postgresMissing() ?? nginxMissing();
  if (missing) { console.log(`replica benchmark ${missing}`); return; }
  const db = await startPostgres();
  const homes: string[] = [];
  const serves: ServeProcess[] = [];
  let nginx: TestNginx | undefined;
  try {
    const url = await db.createDatabase();
    const ports = [await freePort(), await freePort()];
    const proxyPort = await freePort();
    const issuer = `http://127.0.0.1:${proxyPort}`;
    const env = { MCP_PUBLISH_STATE_URL: url, MCP_PUBLISH_SECRET_KEY: randomBytes(32).toString('base64'), MCP_PUBLISH_LOG_LEVEL: 'warn' };
    const emails = Array.from({ length: PEOPLE }, (_, i) => `p${i}@example.com`);
    const infos = [];
    for (const port of ports) {
      const home = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-bench-replica-'));
      homes.push(home);
      await fs.writeFile(path.join(home, 'config.json'), JSON.stringify({
        mcpServers: { demo: demoServer() },
        access: { login: { local: true }, allow: { emails }, unknownUsers: 'deny' },
        publish: { tunnel: 'none', publicUrl: issuer },
        gateway: { port, limits: { sessionsPerPerson: 1000, requestsPerPerson: 1000 } },
      }));
      const serve = startServe(home, [], env);
      serves.push(serve);
      infos.push(await serve.ready(60_000));
    }
    nginx = await startNginx(ports.map((p) => `127.0.0.1:${p}`), proxyPort);
    // Sign-in is not what is timed: each person signs in once, through the proxy.
    const tokens: string[] = [];
    for (const email of emails) {
      const { invite } = await adminCall<{ invite: string }>(infos[0]!.admin, 'POST', '/api/local-accounts', { email });
      const password = `bench-${randomBytes(8).toString('hex')}`;
      await (await fetch(invite, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ password, confirm: password }) })).text();
      tokens.push((await signInByHand(issuer, { login: { email, password } }, { resource: `${issuer}/servers/demo/mcp` })).tokens.access_token);
    }
    const phases: Phase[] = [];
    for (const replicas of [1, 2]) {
      await nginx.stop();
      nginx = await startNginx(ports.slice(0, replicas).map((p) => `127.0.0.1:${p}`), proxyPort);
      const owners = await ownersOf(url, ports);
      phases.push(await measure(`${issuer}/servers/demo/mcp`, tokens, replicas, nginx, owners));
    }
    console.log(JSON.stringify({ sessions: SESSIONS, people: PEOPLE, seconds: SECONDS, cores: os.cpus().length, phases }, null, 2));
    const [one, two] = phases;
    console.log(`\none replica through nginx: ${one!.callsPerSecond.toFixed(0)} calls/s (p50 ${one!.p50.toFixed(1)} ms, p99 ${one!.p99.toFixed(1)} ms)`);
    console.log(`two replicas through nginx: ${two!.callsPerSecond.toFixed(0)} calls/s (p50 ${two!.p50.toFixed(1)} ms, p99 ${two!.p99.toFixed(1)} ms; ${(two!.passedOn * 100).toFixed(0)}% of calls passed on to the replica holding their session)`);
    console.log(`ratio two/one: ${(two!.callsPerSecond / one!.callsPerSecond).toFixed(2)} on ${os.cpus().length} cores`);
  } finally {
    await nginx?.stop();
    for (const s of serves) await s.kill('SIGTERM');
    await db.stop();
    for (const h of homes) await fs.rm(h, { recursive: true, force: true });
  }
}

/** SESSIONS sessions calling echo back to back for SECONDS (after a warm-up); every answer checked. */
async function measure(mcpUrl: string, tokens: string[], replicas: number, nginx: TestNginx, owners: Map<string, string>): Promise<Phase> {
  const logged = nginx.accessLog().length;
  const agent = new http.Agent({ keepAlive: true, maxSockets: SESSIONS * 2 });
  const sessions = await Promise.all(Array.from({ length: SESSIONS }, (_, i) =>
    RawMcpSession.open(mcpUrl, { agent, headers: { authorization: `Bearer ${tokens[i % tokens.length]}` } })));
  let timing = false;
  let stop = false;
  const latencies: number[] = [];
  const loops = sessions.map(async (s) => {
    while (!stop) {
      const t0 = performance.now();
      await s.echo();
      if (timing) latencies.push(performance.now() - t0);
    }
  });
  await new Promise((r) => setTimeout(r, WARMUP_SECONDS * 1000));
  timing = true;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  timing = false;
  const seconds = (performance.now() - started) / 1000;
  stop = true;
  await Promise.all(loops);
  await Promise.all(sessions.map((s) => s.close()));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  // Calls nginx's hash sent to a replica other than the one holding the session (passed on there).
  const calls = nginx.accessLog().slice(logged).map((l) => l.split(' ')).filter(([, method, , sid]) => method === 'POST' && sid && sid !== '-');
  const passed = calls.filter(([upstream, , , sid]) => owners.get(sid!.slice(0, sid!.indexOf('.'))) !== upstream).length;
  return {
    replicas, calls: latencies.length, seconds, callsPerSecond: latencies.length / seconds, p50: at(0.5), p99: at(0.99),
    passedOn: calls.length ? passed / calls.length : 0,
  };
}

/** Route → `127.0.0.1:<port>` of each registered replica. */
async function ownersOf(url: string, ports: number[]): Promise<Map<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows = (await client.query<{ id: string; value: { url: string } }>("SELECT id, value FROM state_entries WHERE collection = 'gateway.replicas'")).rows;
    return new Map(rows.filter((r) => ports.includes(Number(new URL(r.value.url).port))).map((r) => [r.id, new URL(r.value.url).host]));
  } finally {
    await client.end();
  }
}

await main();
