// What the benchmark found, as tables (one row per setup: under the raw node:http client, under
// the SDK client, then start-up and memory), the cold start of the real command, ratios of the
// sign-in-on gateway to the floors and the peers, issue 13's targets beside the numbers, and the
// JSON written to bench-results/.
import type { CommandColdStart } from './command.ts';
import type { StopReport } from './proc.ts';
import type { ProfileSummary } from './profile.ts';
import type { SetupId } from './setups.ts';

export interface CpuFigures {
  /** Calls the figures cover (sequential + concurrent). */
  calls: number;
  /** The server-side process alone (for direct stdio: the child). */
  selfUsPerCall: number;
  /** With every descendant (the children behind a gateway). */
  treeUsPerCall: number;
  sequential: { selfUsPerCall: number; treeUsPerCall: number };
  concurrent: { selfUsPerCall: number; treeUsPerCall: number };
  /** The benchmark's own process (the client), for context. */
  clientUsPerCall: number;
  /** CPU the rest of the machine used during these calls, % of one CPU (noise indicator). */
  otherCpuPercent: number;
}

/** What one client (raw or SDK) measured on one setup. */
export interface ClientFigures {
  sequential: { calls: number; medianUs: number; p99Us: number; meanUs: number; callsPerSec: number };
  /** `inflight` calls in flight at all times on one session; per-call latency as each call saw it. */
  concurrent: { calls: number; inflight: number; callsPerSec: number; medianUs: number; p99Us: number };
  cpu: CpuFigures;
}

export interface MemoryFigures {
  child: string;
  sessions: number;
  users: number;
  /** Sessions the gateway said it held afterwards (healthz), besides the warm-up one. */
  held?: number;
  before: MemorySnapshot;
  after: MemorySnapshot;
  /** (after − before) ÷ sessions, for each figure. */
  perSessionKb: { self: number; selfAnon: number; tree: number; heapUsed?: number };
  /** After the first half of the sessions. */
  middle?: MemorySnapshot;
  /** (after − middle) ÷ the second half's sessions: every child running, the baseline's free memory used up. */
  secondHalfKb?: { self: number; selfAnon: number; tree: number; heapUsed?: number };
  note?: string;
}

export interface MemorySnapshot {
  /** PSS of the server-side process alone. */
  selfKb: number;
  /** Its Pss_Anon: heap and stacks, unaffected by sharing the node binary with children. */
  selfAnonKb: number;
  /** PSS with every descendant. */
  treeKb: number;
  processes: number;
  /** V8 heap used after a full GC, when the process reported it. */
  heapUsedKb?: number;
}

export interface SetupResult {
  id: SetupId;
  label: string;
  /** Under the raw node:http client (HTTP setups). */
  raw?: ClientFigures;
  /** Under the SDK client. */
  sdk?: ClientFigures;
  warmSessionMs?: { median: number; p99: number; n: number };
  /** Spawn → first listTools answered; readyMs: spawn → listening (HTTP setups). */
  coldStartMs?: { median: number; runs: number[]; readyMedian: number; readyMs: number[] };
  /** The real command's cold start (the sign-in-on gateway's row). */
  command?: CommandColdStart;
  memory?: MemoryFigures;
  stops: Array<{ phase: string } & StopReport>;
  notes: string[];
  errors: string[];
}

export interface BenchReport {
  startedAt: string;
  durationS: number;
  machine: { cpus: number; memGiB: number; node: string; clkTck: number; loadAvgAtStart: number };
  settings: Record<string, number | string | boolean>;
  setups: SetupResult[];
  ratios: Record<string, number | null>;
  targets: Array<{ target: string; value: string; met: boolean | null }>;
  profile?: ProfileSummary;
  notes: string[];
}

const f = (n: number | undefined, digits = 0): string => (n === undefined || !Number.isFinite(n) ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const ratio = (a: number | undefined, b: number | undefined): number | null => (a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : null);
const rx = (r: number | null): string => (r === null ? '—' : `${r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×`);

/** Median of a list (NaN when empty). */
export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The command's cold-start medians, ms. */
export function commandMedians(c: CommandColdStart | undefined): { firstListening: number; firstOwner: number; laterListening: number; laterOwner: number; laterFirstCall: number } {
  return {
    firstListening: median(c?.firstRuns.map((r) => r.listeningMs) ?? []),
    firstOwner: median(c?.firstRuns.map((r) => r.ownerMs) ?? []),
    laterListening: median(c?.laterRuns.map((r) => r.listeningMs) ?? []),
    laterOwner: median(c?.laterRuns.map((r) => r.ownerMs) ?? []),
    laterFirstCall: median(c?.laterRuns.map((r) => r.firstCallMs ?? NaN).filter(Number.isFinite) ?? []),
  };
}

function table(header: string[], rows: string[][], alignLeft = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < alignLeft ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Issue 13's bounds. */
export const TARGETS = {
  firstCallMs: 700,
  readyMs: 400,
  cpuOpenUs: 200,
  cpuSignInUs: 250,
  signInAddsAtMost: 0.15,
  concVsBestPeer: 2,
  concP99VsSeqMedian: 2,
  memSessions: 10_000,
  memPeople: 100,
  kbPerSession: 30,
};

/** Ratios and targets, computed once for both the printout and the JSON. */
export function compare(setups: SetupResult[]): { ratios: BenchReport['ratios']; targets: BenchReport['targets'] } {
  const by = (id: SetupId) => setups.find((s) => s.id === id);
  const gw = by('gateway');
  const open = by('gateway-open');
  const stdio = by('stdio');
  const sdk = by('sdk-http');
  const peers = setups.filter((s) => s.id === 'supergateway' || s.id === 'mcp-proxy');
  const ratios: BenchReport['ratios'] = {
    'gateway/gateway-open raw seq median (sign-in)': ratio(gw?.raw?.sequential.medianUs, open?.raw?.sequential.medianUs),
    'gateway/gateway-open raw CPU per call (sign-in)': ratio(gw?.raw?.cpu.selfUsPerCall, open?.raw?.cpu.selfUsPerCall),
    'gateway/stdio SDK seq median': ratio(gw?.sdk?.sequential.medianUs, stdio?.sdk?.sequential.medianUs),
    'gateway/stdio SDK 16-conc calls/s': ratio(gw?.sdk?.concurrent.callsPerSec, stdio?.sdk?.concurrent.callsPerSec),
    'gateway+children/stdio child SDK CPU per call': ratio(gw?.sdk?.cpu.treeUsPerCall, stdio?.sdk?.cpu.treeUsPerCall),
    'gateway/sdk-http raw seq median': ratio(gw?.raw?.sequential.medianUs, sdk?.raw?.sequential.medianUs),
    'gateway/sdk-http raw 16-conc calls/s': ratio(gw?.raw?.concurrent.callsPerSec, sdk?.raw?.concurrent.callsPerSec),
    'gateway/sdk-http raw CPU per call (process)': ratio(gw?.raw?.cpu.selfUsPerCall, sdk?.raw?.cpu.selfUsPerCall),
  };
  for (const p of peers) {
    ratios[`gateway/${p.id} raw seq median`] = ratio(gw?.raw?.sequential.medianUs, p.raw?.sequential.medianUs);
    ratios[`gateway/${p.id} raw 16-conc calls/s`] = ratio(gw?.raw?.concurrent.callsPerSec, p.raw?.concurrent.callsPerSec);
    ratios[`gateway/${p.id} raw 16-conc p99`] = ratio(gw?.raw?.concurrent.p99Us, p.raw?.concurrent.p99Us);
    ratios[`gateway/${p.id} SDK 16-conc calls/s`] = ratio(gw?.sdk?.concurrent.callsPerSec, p.sdk?.concurrent.callsPerSec);
    ratios[`gateway/${p.id} raw CPU per call (process)`] = ratio(gw?.raw?.cpu.selfUsPerCall, p.raw?.cpu.selfUsPerCall);
    ratios[`gateway/${p.id} raw CPU per call (+children)`] = ratio(gw?.raw?.cpu.treeUsPerCall, p.raw?.cpu.treeUsPerCall);
    ratios[`gateway/${p.id} warm session`] = ratio(gw?.warmSessionMs?.median, p.warmSessionMs?.median);
  }
  const best = (xs: Array<number | undefined>, pick: (...v: number[]) => number) => {
    const v = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
    return v.length ? pick(...v) : undefined;
  };
  const bestPeerRawConc = best(peers.map((p) => p.raw?.concurrent.callsPerSec), Math.max);
  ratios['gateway/best peer raw 16-conc calls/s'] = ratio(gw?.raw?.concurrent.callsPerSec, bestPeerRawConc);
  ratios['gateway/best peer SDK 16-conc calls/s'] = ratio(gw?.sdk?.concurrent.callsPerSec, best(peers.map((p) => p.sdk?.concurrent.callsPerSec), Math.max));
  ratios['gateway raw 16-conc p99 ÷ its 16-conc p50'] = ratio(gw?.raw?.concurrent.p99Us, gw?.raw?.concurrent.medianUs);
  ratios['gateway/best peer raw CPU per call (process)'] = ratio(gw?.raw?.cpu.selfUsPerCall, best(peers.map((p) => p.raw?.cpu.selfUsPerCall), Math.min));

  const T = TARGETS;
  const met = (ok: boolean | undefined) => (ok === undefined ? null : ok);
  const known = (...xs: Array<number | null | undefined>) => xs.every((x) => x !== undefined && x !== null && Number.isFinite(x));
  /** "2.3× the bound" when over it. */
  const gap = (value: number | undefined | null, bound: number, higherIsBetter = false) => {
    if (value === undefined || value === null || !Number.isFinite(value)) return '';
    const over = higherIsBetter ? bound / value : value / bound;
    return over > 1 ? `; gap: ${over.toFixed(2)}× ${higherIsBetter ? 'short of' : 'over'} the bound` : '';
  };
  const cm = commandMedians(gw?.command);
  const readyWorst = Math.max(cm.firstOwner, cm.laterOwner);
  const cpuText = (s: SetupResult | undefined) => `${f(s?.raw?.cpu.selfUsPerCall)} µs (sequential ${f(s?.raw?.cpu.sequential.selfUsPerCall)}, 16-concurrent ${f(s?.raw?.cpu.concurrent.selfUsPerCall)}; under the SDK client ${f(s?.sdk?.cpu.selfUsPerCall)})`;
  const signInAdds = (ratio(gw?.raw?.sequential.medianUs, open?.raw?.sequential.medianUs) ?? NaN) - 1;
  const concVsPeer = ratios['gateway/best peer raw 16-conc calls/s'];
  const p99VsSeq = ratio(gw?.raw?.concurrent.p99Us, gw?.raw?.sequential.medianUs);
  const mem = gw?.memory;
  const memHeld = mem !== undefined && mem.sessions >= T.memSessions && mem.users >= T.memPeople && (mem.held === undefined || mem.held >= mem.sessions);
  // Pss_Anon over all sessions can grow less than the V8 heap when the baseline held memory freed
  // but kept (sign-in's garbage): the second half's Pss_Anon and the heap's growth are counted
  // too, and the largest of the three is the figure.
  const memFigures: Array<[string, number | undefined]> = [
    ['Pss_Anon over all sessions', mem?.perSessionKb.selfAnon],
    ['Pss_Anon over the second half', mem?.secondHalfKb?.selfAnon],
    ['V8 heap used', mem?.perSessionKb.heapUsed],
  ];
  const memKnown = memFigures.filter((e): e is [string, number] => e[1] !== undefined && Number.isFinite(e[1]));
  const memTop = memKnown.length ? memKnown.reduce((a, b) => (b[1] > a[1] ? b : a)) : undefined;
  const memKb = memTop?.[1];
  const memWhich = `the largest of ${memFigures.map(([k, v]) => `${k} ${f(v, 1)}`).join(', ')}`;
  // Calls/s at which 16 in flight would average 2× the sequential median.
  const littleNeeds = gw?.raw ? gw.raw.concurrent.inflight / ((T.concP99VsSeqMedian * gw.raw.sequential.medianUs) / 1e6) : undefined;
  const targets: BenchReport['targets'] = [
    {
      target: `serve → first successful tools/call on the demo server ≤ ${T.firstCallMs / 1000} s (the command, later runs)`,
      value: `${f(cm.laterFirstCall)} ms (median of ${gw?.command?.laterRuns.length ?? 0})${gap(cm.laterFirstCall, T.firstCallMs)}`,
      met: met(known(cm.laterFirstCall) ? cm.laterFirstCall <= T.firstCallMs : undefined),
    },
    {
      target: `serve ready to accept (listening, owner printed) ≤ ${T.readyMs / 1000} s`,
      value: `first run ${f(cm.firstOwner)} ms (listening ${f(cm.firstListening)}), later runs ${f(cm.laterOwner)} ms (listening ${f(cm.laterListening)})${gap(readyWorst, T.readyMs)}`,
      met: met(known(cm.firstOwner, cm.laterOwner) ? readyWorst <= T.readyMs : undefined),
    },
    {
      target: `gateway CPU per call, sign-in off ≤ ${T.cpuOpenUs} µs (its process, raw client, sequential + 16-concurrent)`,
      value: `${cpuText(open)}${gap(open?.raw?.cpu.selfUsPerCall, T.cpuOpenUs)}`,
      met: met(open?.raw ? open.raw.cpu.selfUsPerCall <= T.cpuOpenUs : undefined),
    },
    {
      target: `gateway CPU per call, sign-in on ≤ ${T.cpuSignInUs} µs (same)`,
      value: `${cpuText(gw)}${gap(gw?.raw?.cpu.selfUsPerCall, T.cpuSignInUs)}`,
      met: met(gw?.raw ? gw.raw.cpu.selfUsPerCall <= T.cpuSignInUs : undefined),
    },
    {
      target: `sign-in adds ≤ ${T.signInAddsAtMost * 100}% to the sequential median (raw client)`,
      value: `${Number.isFinite(signInAdds) ? `${signInAdds >= 0 ? '+' : ''}${(signInAdds * 100).toFixed(1)}%` : '—'}: ${f(gw?.raw?.sequential.medianUs)} µs on vs ${f(open?.raw?.sequential.medianUs)} µs off`,
      met: met(Number.isFinite(signInAdds) ? signInAdds <= T.signInAddsAtMost : undefined),
    },
    {
      target: `16-concurrent throughput with sign-in on ≥ ${T.concVsBestPeer}× the best peer (raw client)`,
      value: `${rx(concVsPeer)}: ${f(gw?.raw?.concurrent.callsPerSec)} vs ${f(bestPeerRawConc)} calls/s${gap(concVsPeer, T.concVsBestPeer, true)}`,
      met: met(concVsPeer === null ? undefined : concVsPeer >= T.concVsBestPeer),
    },
    {
      target: `p99 latency at 16 concurrent ≤ ${T.concP99VsSeqMedian}× the sequential median (sign-in on, raw client)`,
      value: `${rx(p99VsSeq)}: p99 ${f(gw?.raw?.concurrent.p99Us)} µs (p50 ${f(gw?.raw?.concurrent.medianUs)}) vs sequential median ${f(gw?.raw?.sequential.medianUs)} µs${gap(p99VsSeq, T.concP99VsSeqMedian)}. `
        + `With ${gw?.raw?.concurrent.inflight ?? 16} in flight the mean latency is in flight ÷ throughput (Little's law), so even the mean gets there only at ≥ ${f(littleNeeds)} calls/s, ${rx(ratio(littleNeeds, gw?.raw?.concurrent.callsPerSec))} the ${f(gw?.raw?.concurrent.callsPerSec)} measured`,
      met: met(p99VsSeq === null ? undefined : p99VsSeq <= T.concP99VsSeqMedian),
    },
    {
      target: `${f(T.memSessions)} idle sessions over ${T.memPeople} people held, ≤ ${T.kbPerSession} KB each (gateway process)`,
      value: mem
        ? `${f(mem.sessions)} sessions over ${mem.users} people${mem.held !== undefined ? ` (${f(mem.held)} held)` : ''}: ${f(memKb, 1)} KB each (${memWhich}; PSS ${f(mem.perSessionKb.self, 1)})${gap(memKb, T.kbPerSession)}`
        : '—',
      met: met(mem && memKb !== undefined ? memHeld && memKb <= T.kbPerSession : undefined),
    },
  ];
  return { ratios, targets };
}

function clientTable(report: BenchReport, pick: (s: SetupResult) => ClientFigures | undefined): string {
  const header = ['setup', 'seq p50 µs', 'seq p99 µs', 'seq calls/s', '16-conc p50 µs', '16-conc p99 µs', '16-conc calls/s', 'CPU µs/call', 'seq/conc', '+children', 'client µs/call'];
  const rows = report.setups.filter((s) => pick(s)).map((s) => {
    const c = pick(s)!;
    return [
      s.label,
      f(c.sequential.medianUs), f(c.sequential.p99Us), f(c.sequential.callsPerSec),
      f(c.concurrent.medianUs), f(c.concurrent.p99Us), f(c.concurrent.callsPerSec),
      f(c.cpu.selfUsPerCall), `${f(c.cpu.sequential.selfUsPerCall)}/${f(c.cpu.concurrent.selfUsPerCall)}`, f(c.cpu.treeUsPerCall),
      f(c.cpu.clientUsPerCall),
    ];
  });
  return table(header, rows);
}

export function render(report: BenchReport): string {
  const out: string[] = [];
  out.push('Raw node:http client (keep-alive, one session, POST tools/call echo; what the server itself costs):');
  out.push(clientTable(report, (s) => s.raw));
  out.push('');
  out.push('SDK client (@modelcontextprotocol/sdk 1.x Client + StreamableHTTPClientTransport / StdioClientTransport):');
  out.push(clientTable(report, (s) => s.sdk));
  out.push('');
  out.push('p50/p99: per-call latency (16-conc: each call as it saw it with 16 in flight on one session). CPU µs/call: utime+stime of the server-side');
  out.push('process from /proc over the sequential + 16-concurrent calls (direct stdio: the child itself), then each phase (seq/conc); +children adds every');
  out.push('descendant. client µs/call: the benchmark process.');
  out.push('');
  const cm = report.setups.find((s) => s.id === 'gateway')?.command;
  const med = commandMedians(cm);
  const rows = report.setups.map((s) => {
    const m = s.memory;
    const cold = s.id === 'gateway' && cm
      ? `${f(med.laterFirstCall)} (${f(med.laterListening)}) serve`
      : !s.coldStartMs ? '—' : Number.isFinite(s.coldStartMs.readyMedian) ? `${f(s.coldStartMs.median)} (${f(s.coldStartMs.readyMedian)})` : f(s.coldStartMs.median);
    return [
      s.label, f(s.warmSessionMs?.median, 2), cold,
      m ? `${f(m.sessions)}/${m.users}` : '—', f(m?.perSessionKb.selfAnon, 1), f(m?.secondHalfKb?.selfAnon, 1), f(m?.perSessionKb.self, 1), f(m?.perSessionKb.heapUsed, 1), f(m?.perSessionKb.tree, 1),
    ];
  });
  out.push('Start-up and memory:');
  out.push(table(['setup', 'warm session ms', 'cold start ms (ready)', 'sessions/people', 'KB/session anon', '2nd half', 'PSS', 'V8 heap', '+children'], rows));
  out.push('');
  out.push('warm session: a new SDK client session on a running server (connect → initialized). cold start: spawn → first listTools answered (spawn →');
  out.push('listening); for the sign-in-on gateway, the real command: spawn of `mcp-publish serve` → first tools/call answered (→ listening), later runs.');
  out.push('KB/session: (after − before opening idle sessions with raw initialize POSTs) ÷ sessions, from smaps_rollup after a full GC. anon = Pss_Anon of');
  out.push('the process alone (its heap and stacks); 2nd half = its growth over the second half of the sessions (our gateways: every child already running); PSS =');
  out.push('the process alone (falls as children start: they share the node binary\'s pages); V8 heap = heap used; +children = PSS summed over the process tree.');
  for (const s of report.setups.filter((x) => x.memory)) {
    const m = s.memory!;
    const heap = m.before.heapUsedKb !== undefined && m.after.heapUsedKb !== undefined ? `, V8 heap used ${f(m.before.heapUsedKb)} → ${f(m.after.heapUsedKb)} KB` : '';
    out.push(`  ${s.label}: ${f(m.sessions)} sessions over ${m.users} people${m.held !== undefined ? ` (${f(m.held)} held)` : ''}, child ${m.child}${m.note ? ` (${m.note})` : ''}; anon ${f(m.before.selfAnonKb)} → ${m.middle ? `${f(m.middle.selfAnonKb)} → ` : ''}${f(m.after.selfAnonKb)} KB, PSS ${f(m.before.selfKb)} → ${f(m.after.selfKb)} KB, with children ${f(m.before.treeKb)} → ${f(m.after.treeKb)} KB (${m.before.processes} → ${m.after.processes} processes)${heap}`);
  }
  if (cm) {
    out.push('');
    out.push('Cold start of `node bin/mcp-publish.js serve` (compiled dist/, demo server, sign-in on, encrypted-file secrets), ms from spawn:');
    const runs = (xs: number[]) => xs.map((x) => f(x)).join(', ');
    out.push(`  first run (fresh folder, owner created): listening ${f(med.firstListening)}, owner + password printed ${f(med.firstOwner)} (runs: ${runs(cm.firstRuns.map((r) => r.ownerMs))})`);
    out.push(`  later runs: listening ${f(med.laterListening)}, owner printed ${f(med.laterOwner)}, first tools/call answered ${f(med.laterFirstCall)} (runs: ${runs(cm.laterRuns.map((r) => r.firstCallMs ?? NaN))})`);
  }
  out.push('');
  out.push('Ratios (sign-in-on gateway ÷ other; latency and CPU: lower is better, calls/s: higher is better):');
  for (const [k, v] of Object.entries(report.ratios)) out.push(`  ${k.padEnd(52)} ${rx(v)}`);
  out.push('');
  out.push('Targets (issue 13):');
  for (const t of report.targets) out.push(`  [${t.met === null ? ' ?  ' : t.met ? ' ok ' : 'MISS'}] ${t.target}: ${t.value}`);
  const notes = [...report.notes, ...report.setups.flatMap((s) => [...s.notes.map((n) => `${s.label}: ${n}`), ...s.errors.map((e) => `${s.label}: ERROR ${e}`)])];
  if (notes.length) {
    out.push('');
    out.push('Notes:');
    for (const n of notes) out.push(`  - ${n}`);
  }
  if (report.profile) out.push('', renderProfile(report.profile));
  return out.join('\n');
}

export function renderProfile(p: ProfileSummary): string {
  const out = [`Sign-in-on gateway CPU profile, raw client (${p.windowed ? 'sequential + concurrent phases only' : 'whole process: the phase window did not match'}; ${f(p.busyMs)} ms busy, ${f(p.idleMs)} ms idle, ${p.samples} samples; ${p.file}):`];
  out.push(table(['self ms', '%', 'function', 'where'], p.top.map((t) => [f(t.selfMs, 1), f(t.percent, 1), t.name, t.where]), 0)
    .split('\n').map((l) => `  ${l}`).join('\n'));
  out.push('  By area: ' + p.areas.slice(0, 12).map((a) => `${a.area} ${f(a.percent, 1)}%`).join(', '));
  return out.join('\n');
}
