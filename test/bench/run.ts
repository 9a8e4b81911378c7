// `npm run bench`: our gateway with sign-in on (the headline: bearer tokens from its own
// authorization server) and off, against direct stdio, the SDK's own HTTP server and two peer
// gateways, on server-everything's `echo`, under the raw node:http client and the SDK client,
// side by side in one run; plus the real command's cold start and 10,000 idle sessions.
// Options: --profile (an extra profiled pass of the sign-in-on gateway, top self-time
// functions), --quick (smaller counts, for trying the benchmark itself), --only=<id,id> (some setups).
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { commandColdStart } from './command.ts';
import { concurrent, echo, pooled, sequential, stats, timed, type CallTimes } from './measure.ts';
import { CLK_TCK, ProcessSet, systemBusyTicks, treeCpu, treePss, type StopReport } from './proc.ts';
import { summarize } from './profile.ts';
import { RawMcpSession } from './raw-client.ts';
import { compare, render, type BenchReport, type ClientFigures, type MemorySnapshot, type SetupResult } from './report.ts';
import { ROOT, SETUPS, type Instance, type Setup, type SetupId } from './setups.ts';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const PROFILE = argv.includes('--profile');
const ONLY = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',') as SetupId[] | undefined;

const S = {
  warmup: QUICK ? 50 : 200,
  /** Raw client: it costs little, so it gets the larger counts. */
  rawSequential: QUICK ? 500 : 2000,
  rawConcurrent: QUICK ? 1000 : 4000,
  sdkSequential: QUICK ? 200 : 500,
  sdkConcurrent: QUICK ? 400 : 1000,
  inflight: 16,
  warmSessions: QUICK ? 10 : 30,
  warmSessionWarmup: 5,
  coldRuns: QUICK ? 2 : 3,
  commandFirstRuns: QUICK ? 2 : 3,
  commandLaterRuns: QUICK ? 3 : 5,
  /** The sign-in-on gateway: issue 13's 10,000 idle sessions over 100 people. */
  memSessionsHeadline: QUICK ? 1000 : 10_000,
  memSessions: QUICK ? 200 : 1000,
  memUsers: QUICK ? 20 : 100,
  /** supergateway --stateful spawns a child per session: fewer sessions there. */
  memSessionsPerChild: QUICK ? 10 : 50,
  /** Bounds, ms. */
  phaseMs: QUICK ? 8_000 : 10_000,
  sessionPhaseMs: QUICK ? 8_000 : 10_000,
  memPhaseMs: 150_000,
  /** Past this, remaining phases are skipped (the run stays well under 10 minutes). */
  totalMs: 480_000,
};

const t0 = performance.now();
const procs = new ProcessSet();
const log = (msg: string) => process.stdout.write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
const overTime = () => performance.now() - t0 > S.totalMs;
const hrUs = () => Number(process.hrtime.bigint() / 1000n);

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    process.stdout.write(`\n${sig}: stopping every process the benchmark started\n`);
    procs.killNow();
    process.exit(130);
  });
}
process.on('exit', () => procs.killNow());

// The SDK client's fetch adds an abort listener per request to the transport's one AbortSignal;
// undici removes it only once the Request is garbage-collected, so thousands of calls trip
// Node's leak warning. Counted and reported once instead of printed thousands of times.
let abortListenerWarnings = 0;
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name === 'MaxListenersExceededWarning' && /AbortSignal/.test(w.message)) abortListenerWarnings++;
  else process.stderr.write(`${w.name}: ${w.message}\n`);
});

function noteStop(r: SetupResult, phase: string, stop: StopReport): void {
  r.stops.push({ phase, ...stop });
  if (!stop.graceful) r.notes.push(`${phase}: did not exit within 5 s of SIGTERM (killed)`);
  if (stop.leftovers.length) r.notes.push(`${phase}: ${stop.leftovers.length} descendant process(es) outlived it after SIGTERM (killed by the benchmark)`);
}

/** Runs a phase; an error is recorded on the setup and the run goes on. */
async function phase(r: SetupResult, name: string, body: () => Promise<void>): Promise<void> {
  if (overTime()) {
    r.notes.push(`${name}: skipped, the run hit its time bound`);
    return;
  }
  try {
    await body();
  } catch (e) {
    const msg = `${name}: ${(e as Error).message}`;
    r.errors.push(msg);
    log(`${r.label} · ERROR ${msg}`);
  }
}

/**
 * Sequential then 16-concurrent calls through one client, with the server-side process's CPU
 * (alone and with its descendants), the client's, and the rest of the machine's around each.
 */
async function measureClient(r: SetupResult, which: 'raw' | 'SDK', pid: number, call: () => Promise<void>, counts: { sequential: number; concurrent: number }): Promise<ClientFigures> {
  await sequential(call, S.warmup, S.phaseMs);
  log(`${r.label} · ${which}: warmed up (${S.warmup} calls); sequential ${counts.sequential} calls`);
  const c0 = treeCpu(pid); const u0 = process.cpuUsage(); const sys0 = systemBusyTicks(); const w0 = performance.now();
  const seq: CallTimes = await sequential(call, counts.sequential, S.phaseMs);
  const c1 = treeCpu(pid);
  const st = stats(seq.latencies);
  log(`${r.label} · ${which} sequential: median ${st.median.toFixed(0)} µs, p99 ${st.p99.toFixed(0)} µs; ${counts.concurrent} calls at ${S.inflight} in flight`);
  const conc = await concurrent(call, counts.concurrent, S.inflight, S.phaseMs);
  const c2 = treeCpu(pid); const u2 = process.cpuUsage(); const sys2 = systemBusyTicks(); const w2 = performance.now();
  const ct = stats(conc.latencies);
  const us = (ticks: number, calls: number) => (ticks * 1e6) / CLK_TCK / calls;
  const clientUs = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => b.user + b.system - a.user - a.system;
  const calls = st.n + ct.n;
  const figures: ClientFigures = {
    sequential: { calls: st.n, medianUs: st.median, p99Us: st.p99, meanUs: st.mean, callsPerSec: st.n / (seq.ms / 1000) },
    concurrent: { calls: ct.n, inflight: S.inflight, callsPerSec: ct.n / (conc.ms / 1000), medianUs: ct.median, p99Us: ct.p99 },
    cpu: {
      calls,
      selfUsPerCall: us(c2.self - c0.self, calls),
      treeUsPerCall: us(c2.tree - c0.tree, calls),
      sequential: { selfUsPerCall: us(c1.self - c0.self, st.n), treeUsPerCall: us(c1.tree - c0.tree, st.n) },
      concurrent: { selfUsPerCall: us(c2.self - c1.self, ct.n), treeUsPerCall: us(c2.tree - c1.tree, ct.n) },
      clientUsPerCall: clientUs(u0, u2) / calls,
      // What the rest of the machine used meanwhile: everything busy minus the server tree and us.
      otherCpuPercent: (100 * ((sys2 - sys0) / CLK_TCK - (c2.tree - c0.tree) / CLK_TCK - clientUs(u0, u2) / 1e6)) / ((w2 - w0) / 1000),
    },
  };
  if (st.n < counts.sequential || ct.n < counts.concurrent) r.notes.push(`${which} client: ${st.n} sequential and ${ct.n} concurrent calls within the ${S.phaseMs / 1000} s bound of each phase`);
  if (figures.cpu.otherCpuPercent > 10) r.notes.push(`${which} client: other processes used about ${figures.cpu.otherCpuPercent.toFixed(0)}% of a CPU meanwhile: noisier figures`);
  if (c2.pids.length !== c0.pids.length) r.notes.push(`${which} client: descendants changed during the CPU phases (${c0.pids.length} → ${c2.pids.length})`);
  log(`${r.label} · ${which} 16-concurrent: ${figures.concurrent.callsPerSec.toFixed(0)} calls/s, p50 ${ct.median.toFixed(0)} µs, p99 ${ct.p99.toFixed(0)} µs; CPU per call ${figures.cpu.selfUsPerCall.toFixed(0)} µs process, ${figures.cpu.treeUsPerCall.toFixed(0)} µs with children, ${figures.cpu.clientUsPerCall.toFixed(0)} µs client; rest of the machine ${figures.cpu.otherCpuPercent.toFixed(0)}% of a CPU`);
  return figures;
}

/** Latency, throughput and CPU under both clients, then warm sessions, on one fresh instance. */
async function runMain(setup: Setup, r: SetupResult): Promise<void> {
  log(`${setup.label} · starting`);
  const inst = await setup.start(procs, { child: 'everything', people: ['bench'] });
  try {
    const conn = await inst.connect('bench');
    const pid = inst.pid ?? conn.pid;
    if (!pid) throw new Error('no server-side pid to measure');
    r.sdk = await measureClient(r, 'SDK', pid, () => echo(conn.client), { sequential: S.sdkSequential, concurrent: S.sdkConcurrent });
    if (inst.url) {
      const raw = await RawMcpSession.open(inst.url, { headers: inst.headers('bench'), maxSockets: S.inflight });
      try {
        r.raw = await measureClient(r, 'raw', pid, () => raw.echo(), { sequential: S.rawSequential, concurrent: S.rawConcurrent });
      } finally {
        await raw.close();
      }
    }

    if (setup.id === 'stdio') {
      r.notes.push('raw client, warm new session: not applicable (the floor is the SDK client on stdio; every stdio session is a new process, see cold start)');
    } else {
      await phase(r, 'warm new session', async () => {
        const connectOnce = async (): Promise<number> => {
          const a = performance.now();
          const c = await inst.connect('bench');
          const ms = performance.now() - a;
          await c.close();
          return ms;
        };
        for (let i = 0; i < S.warmSessionWarmup; i++) await connectOnce();
        const times: number[] = [];
        await timed(S.warmSessions, S.sessionPhaseMs, async () => { times.push(await connectOnce()); });
        const ws = stats(times);
        if (setup.id === 'supergateway') r.notes.push('warm new session: --stateful spawns a child per session, so a new session waits for a fresh server-everything');
        if (setup.id === 'gateway' || setup.id === 'gateway-open') {
          // Every warm session and the raw one were ended with DELETE: only the SDK one should be left.
          const health = (await (await fetch(new URL('/healthz', inst.url))).json()) as { sessions?: number; upstreams?: number };
          if (health.sessions !== 1) r.notes.push(`after ${ws.n + S.warmSessionWarmup} sessions ended with DELETE, healthz reports ${health.sessions} open sessions (expected 1)`);
          // isolation "auto": a server seen asking clients questions gets a process per new session.
          if (/each new session gets its own process/.test(inst.stderr?.() ?? '')) r.notes.push('warm new session: the gateway logged that server-everything asks clients questions, so (isolation "auto") each new session started a server-everything of its own');
        }
        r.warmSessionMs = { median: ws.median, p99: ws.p99, n: ws.n };
        if (ws.n < S.warmSessions) r.notes.push(`warm new session: ${ws.n} of ${S.warmSessions} within the time bound`);
        log(`${setup.label} · warm new session: median ${ws.median.toFixed(2)} ms over ${ws.n}`);
      });
    }
    await conn.close();
  } finally {
    noteStop(r, 'main instance', await inst.stop());
  }
}

/** Spawn (or connect, for stdio) → first listTools answered, on fresh processes. */
async function runCold(setup: Setup, r: SetupResult): Promise<void> {
  const runs: number[] = [];
  const ready: number[] = [];
  for (let i = 0; i < S.coldRuns && !overTime(); i++) {
    const a = performance.now();
    const inst = await setup.start(procs, { child: 'everything' });
    const b = performance.now();
    try {
      const conn = await inst.connect('cold');
      await conn.client.listTools();
      runs.push(performance.now() - a);
      if (inst.pid) ready.push(b - a); // direct stdio has nothing to wait for before connecting
      await conn.close();
    } finally {
      noteStop(r, `cold start ${i + 1}`, await inst.stop());
    }
  }
  r.coldStartMs = { median: stats(runs).median, runs, readyMedian: stats(ready).median, readyMs: ready };
  if (setup.id === 'gateway-open') r.notes.push('cold start: the benchmark\'s own gateway process (test/bench/gateway-process.ts under tsx), not the command');
  log(`${setup.label} · cold start: median ${stats(runs).median.toFixed(0)} ms (${runs.map((x) => x.toFixed(0)).join(', ')})${ready.length ? `; listening after ${stats(ready).median.toFixed(0)} ms` : ''}`);
}

/** The sign-in-on gateway's cold start is the real command's (test/bench/command.ts). */
async function runCommandCold(r: SetupResult): Promise<void> {
  log('command cold start · node bin/mcp-publish.js serve');
  r.command = await commandColdStart(procs, {
    root: ROOT, firstRuns: S.commandFirstRuns, laterRuns: S.commandLaterRuns, deadline: t0 + S.totalMs, log,
    onStop: (name, stop) => noteStop(r, name, stop),
  });
  r.notes.push(...r.command.notes.map((n) => `command cold start: ${n}`));
}

/** PSS before and after opening idle sessions with raw POSTs, on a fresh instance with the tiny child. */
async function runMemory(setup: Setup, r: SetupResult): Promise<void> {
  const perChild = setup.id === 'supergateway';
  const ours = setup.id === 'gateway' || setup.id === 'gateway-open';
  const sessions = perChild ? S.memSessionsPerChild : setup.id === 'gateway' ? S.memSessionsHeadline : S.memSessions;
  const users = ours ? S.memUsers : 1;
  const people = Array.from({ length: users }, (_, i) => `user-${i}`);
  log(`${setup.label} · session memory: ${sessions} idle sessions${users > 1 ? ` over ${users} people` : ''} (tiny child)${setup.id === 'gateway' ? `; ${users + 1} people sign in first` : ''}`);
  const inst: Instance = await setup.start(procs, { child: 'tiny', people: ['warm', ...people] });
  const agent = new http.Agent({ keepAlive: true, maxSockets: perChild ? 4 : 16 });
  try {
    const pid = inst.pid!;
    const url = inst.url!;
    // Code paths loaded, one child (and its person) before the baseline.
    await RawMcpSession.open(url, { agent, headers: inst.headers('warm'), clientName: 'bench-warm' });
    const snapshot = async (): Promise<MemorySnapshot> => {
      const g = await inst.gc?.();
      if (!g) r.notes.push('session memory: the process did not report a GC; PSS may include garbage');
      const p = treePss(pid);
      return { selfKb: p.self, selfAnonKb: p.selfAnon, treeKb: p.tree, processes: p.processes, heapUsedKb: g ? g.heapUsed / 1024 : undefined };
    };
    const before = await snapshot();
    const a = performance.now();
    // In two halves, with a snapshot between: the second half's growth is what a session costs
    // once every person's child is running and whatever the baseline held free is used up.
    const half = Math.floor(sessions / 2);
    const open = (from: number, count: number) => pooled(count, perChild ? 4 : 16, S.memPhaseMs / 2, async (k) => {
      const i = from + k;
      await RawMcpSession.open(url, { agent, headers: inst.headers(people[i % users]!), clientName: `bench-raw-${i}` });
    });
    let opened = await open(0, half);
    const middle = opened === half ? await snapshot() : undefined;
    if (middle) opened += await open(half, sessions - half);
    if (opened < sessions) throw new Error(`only ${opened} of ${sessions} sessions opened within the time bound`);
    let held: number | undefined;
    if (ours) {
      const health = (await (await fetch(new URL('/healthz', url))).json()) as { sessions?: number; upstreams?: number };
      held = health.sessions === undefined ? undefined : health.sessions - 1;
      if (health.sessions !== sessions + 1) r.notes.push(`healthz reports ${health.sessions} sessions, expected ${sessions + 1}`);
      if (health.upstreams !== users + 1) r.notes.push(`healthz reports ${health.upstreams} upstreams, expected ${users + 1}`);
    }
    const after = await snapshot();
    const per = (x: number | undefined, y: number | undefined) => (x === undefined || y === undefined ? undefined : (x - y) / sessions);
    r.memory = {
      child: 'tiny-server.mjs', sessions, users, held, before, after,
      perSessionKb: { self: per(after.selfKb, before.selfKb)!, selfAnon: per(after.selfAnonKb, before.selfAnonKb)!, tree: per(after.treeKb, before.treeKb)!, heapUsed: per(after.heapUsedKb, before.heapUsedKb) },
      middle,
      secondHalfKb: middle && {
        self: (after.selfKb - middle.selfKb) / (sessions - half),
        selfAnon: (after.selfAnonKb - middle.selfAnonKb) / (sessions - half),
        tree: (after.treeKb - middle.treeKb) / (sessions - half),
        heapUsed: after.heapUsedKb !== undefined && middle.heapUsedKb !== undefined ? (after.heapUsedKb - middle.heapUsedKb) / (sessions - half) : undefined,
      },
      note: perChild ? `a child per session, so only ${sessions} sessions` : setup.id === 'mcp-proxy' ? 'one shared child' : ours ? `a child per person: ${users} children` : undefined,
    };
    const m = r.memory.perSessionKb;
    log(`${setup.label} · ${sessions} sessions opened in ${((performance.now() - a) / 1000).toFixed(1)} s; per session: anon ${m.selfAnon.toFixed(1)} KB (second half ${r.memory.secondHalfKb?.selfAnon.toFixed(1) ?? '?'} KB), PSS ${m.self.toFixed(1)} KB, heap ${m.heapUsed?.toFixed(1) ?? '?'} KB alone; PSS ${m.tree.toFixed(1)} KB with children (${before.processes} → ${after.processes} processes)`);
  } finally {
    agent.destroy();
    const a = performance.now();
    const stop = await inst.stop(10_000); // a hundred children to stop
    noteStop(r, 'memory instance', stop);
    log(`${setup.label} · stopped in ${(performance.now() - a).toFixed(0)} ms${stop.leftovers.length ? `, ${stop.leftovers.length} leftover process(es)` : ''}`);
  }
}

/** An extra pass of the sign-in-on gateway under --cpu-prof, raw client; samples outside the measured phases are left out. */
async function runProfile(): Promise<BenchReport['profile']> {
  const setup = SETUPS.find((s) => s.id === 'gateway')!;
  const dir = path.join(ROOT, 'bench-results/profiles', stamp());
  mkdirSync(dir, { recursive: true });
  log(`profile · sign-in-on gateway under --cpu-prof, raw client (${path.relative(ROOT, dir)})`);
  const inst = await setup.start(procs, { child: 'everything', profileDir: dir, people: ['bench'] });
  let window: { startUs: number; endUs: number };
  try {
    const raw = await RawMcpSession.open(inst.url!, { headers: inst.headers('bench'), maxSockets: S.inflight });
    await sequential(() => raw.echo(), S.warmup, S.phaseMs);
    const startUs = hrUs();
    await sequential(() => raw.echo(), S.rawSequential, S.phaseMs);
    await concurrent(() => raw.echo(), S.rawConcurrent, S.inflight, S.phaseMs);
    window = { startUs, endUs: hrUs() };
    await raw.close();
  } finally {
    await inst.stop(15_000);
  }
  // One file per thread (tsx runs its loader in a worker): the main thread has the most samples.
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f));
  if (!files.length) throw new Error(`no .cpuprofile in ${dir}: the gateway did not exit normally`);
  const main = files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
  return summarize(main, ROOT, window);
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadAtStart = os.loadavg()[0]!;
  const setups = ONLY ? SETUPS.filter((s) => ONLY.includes(s.id)) : SETUPS;
  log(`MCP Publish benchmark: ${setups.map((s) => s.id).join(', ')} on server-everything echo; ${os.cpus().length} CPUs${QUICK ? '; --quick' : ''}${PROFILE ? '; --profile' : ''}`);
  const results: SetupResult[] = setups.map((s) => ({ id: s.id, label: s.label, stops: [], notes: [], errors: [] }));
  for (const [i, setup] of setups.entries()) await phase(results[i]!, 'latency/throughput/CPU', () => runMain(setup, results[i]!));
  for (const [i, setup] of setups.entries()) {
    await phase(results[i]!, 'cold start', () => (setup.id === 'gateway' ? runCommandCold(results[i]!) : runCold(setup, results[i]!)));
  }
  for (const [i, setup] of setups.entries()) {
    if (setup.id === 'stdio') {
      results[i]!.notes.push('session memory: not applicable (a session is a whole process)');
      continue;
    }
    await phase(results[i]!, 'session memory', () => runMemory(setup, results[i]!));
  }
  let profile: BenchReport['profile'];
  const notes: string[] = [
    `${os.cpus().length} CPUs: the client, the gateway and its child share them, so 16-concurrent figures are CPU-bound.`,
    '16 concurrent = one client session with 16 calls in flight (the raw client over 16 keep-alive connections).',
    'gateway, sign-in on: every request carries a bearer token (ES256 JWT) from the gateway\'s own authorization server, obtained once per person before timing (authorization code + PKCE through the SDK\'s OAuth client and the sign-in pages; local accounts); a state file, the app\'s logger at info.',
    'SDK HTTP server: McpServer + StreamableHTTPServerTransport on node:http, stateful, default SSE answers, no event store.',
    'supergateway has no listen-address option and binds every interface; the benchmark only connects to 127.0.0.1.',
    'Our gateway runs with limits.sessionsPerPerson 256 (default 32), so one person may hold the memory phase\'s 100 idle sessions.',
    'Session memory uses test/bench/tiny-server.mjs as the child (a dependency-free echo server), not server-everything: 100 of those would cost several GB.',
  ];
  if (abortListenerWarnings) notes.push(`the SDK client tripped Node's MaxListeners warning ${abortListenerWarnings} times (undici abort listeners pile up on the transport's AbortSignal until GC); client-side, not a server issue`);
  if (PROFILE && !overTime()) {
    try {
      profile = await runProfile();
      log('profile · done');
    } catch (e) {
      notes.push(`profile: ${(e as Error).message}`);
    }
  }
  const { ratios, targets } = compare(results);
  const report: BenchReport = {
    startedAt,
    durationS: (performance.now() - t0) / 1000,
    machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, clkTck: CLK_TCK, loadAvgAtStart: loadAtStart },
    settings: { ...S, quick: QUICK, profile: PROFILE },
    setups: results, ratios, targets, profile, notes,
  };
  const dir = path.join(ROOT, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${stamp()}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write('\n' + render(report) + '\n\n');
  log(`JSON written to ${path.relative(ROOT, file)} (${report.durationS.toFixed(0)} s)`);
}

main()
  .then(async () => { await procs.stopAll(); process.exit(0); })
  .catch(async (e: Error) => {
    process.stderr.write(`benchmark failed: ${e.stack ?? e.message}\n`);
    await procs.stopAll();
    process.exit(1);
  });
