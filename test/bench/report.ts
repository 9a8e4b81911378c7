// What the benchmark found, as one table (a row per setup), ratios against the floors and the
// peers, the targets beside the numbers, and the JSON written to bench-results/.
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
  /** The benchmark's own process (the SDK client), for context. */
  clientUsPerCall: number;
  /** CPU the rest of the machine used during these calls, % of one CPU (noise indicator). */
  otherCpuPercent: number;
}

export interface MemoryFigures {
  child: string;
  sessions: number;
  users: number;
  before: MemorySnapshot;
  after: MemorySnapshot;
  /** (after − before) ÷ sessions, for each figure. */
  perSessionKb: { self: number; selfAnon: number; tree: number; heapUsed?: number };
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
  sequential?: { calls: number; medianUs: number; p99Us: number; meanUs: number; callsPerSec: number };
  concurrent?: { calls: number; inflight: number; callsPerSec: number };
  cpu?: CpuFigures;
  warmSessionMs?: { median: number; p99: number; n: number };
  /** Spawn → first listTools answered; readyMs: spawn → listening (HTTP setups). */
  coldStartMs?: { median: number; runs: number[]; readyMedian: number; readyMs: number[] };
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

function table(header: string[], rows: string[][], alignLeft = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < alignLeft ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Ratios and targets, computed once for both the printout and the JSON. */
export function compare(setups: SetupResult[]): { ratios: BenchReport['ratios']; targets: BenchReport['targets'] } {
  const by = (id: SetupId) => setups.find((s) => s.id === id);
  const gw = by('gateway');
  const stdio = by('stdio');
  const sdk = by('sdk-http');
  const peers = setups.filter((s) => s.id === 'supergateway' || s.id === 'mcp-proxy');
  const ratios: BenchReport['ratios'] = {
    'gateway/stdio seq median': ratio(gw?.sequential?.medianUs, stdio?.sequential?.medianUs),
    'gateway/stdio seq calls/s': ratio(gw?.sequential?.callsPerSec, stdio?.sequential?.callsPerSec),
    'gateway/stdio 16-conc calls/s': ratio(gw?.concurrent?.callsPerSec, stdio?.concurrent?.callsPerSec),
    'gateway+children/stdio child CPU per call': ratio(gw?.cpu?.treeUsPerCall, stdio?.cpu?.treeUsPerCall),
    'gateway/sdk-http seq median': ratio(gw?.sequential?.medianUs, sdk?.sequential?.medianUs),
    'gateway/sdk-http seq calls/s': ratio(gw?.sequential?.callsPerSec, sdk?.sequential?.callsPerSec),
    'gateway/sdk-http 16-conc calls/s': ratio(gw?.concurrent?.callsPerSec, sdk?.concurrent?.callsPerSec),
    'gateway/sdk-http CPU per call (process)': ratio(gw?.cpu?.selfUsPerCall, sdk?.cpu?.selfUsPerCall),
  };
  for (const p of peers) {
    ratios[`gateway/${p.id} seq median`] = ratio(gw?.sequential?.medianUs, p.sequential?.medianUs);
    ratios[`gateway/${p.id} 16-conc calls/s`] = ratio(gw?.concurrent?.callsPerSec, p.concurrent?.callsPerSec);
    ratios[`gateway/${p.id} CPU per call (process)`] = ratio(gw?.cpu?.selfUsPerCall, p.cpu?.selfUsPerCall);
    ratios[`gateway/${p.id} CPU per call (+children)`] = ratio(gw?.cpu?.treeUsPerCall, p.cpu?.treeUsPerCall);
    ratios[`gateway/${p.id} warm session`] = ratio(gw?.warmSessionMs?.median, p.warmSessionMs?.median);
  }
  const peerCpu = peers.map((p) => p.cpu?.selfUsPerCall).filter((x): x is number => x !== undefined);
  const bestPeerCpu = peerCpu.length ? Math.min(...peerCpu) : undefined;
  ratios['gateway/best peer CPU per call (process)'] = ratio(gw?.cpu?.selfUsPerCall, bestPeerCpu);
  const peerConc = peers.map((p) => p.concurrent?.callsPerSec).filter((x): x is number => x !== undefined);
  const bestPeerConc = peerConc.length ? Math.max(...peerConc) : undefined;
  ratios['gateway/best peer 16-conc calls/s'] = ratio(gw?.concurrent?.callsPerSec, bestPeerConc);

  const met = (ok: boolean | undefined) => (ok === undefined ? null : ok);
  const seqVsSdk = ratios['gateway/sdk-http seq median'];
  const concVsPeers = ratios['gateway/best peer 16-conc calls/s'];
  const targets: BenchReport['targets'] = [
    { target: 'gateway CPU per call ≤ 300 µs (gateway process, all calls)', value: `${f(gw?.cpu?.selfUsPerCall)} µs (sequential ${f(gw?.cpu?.sequential.selfUsPerCall)}, 16-concurrent ${f(gw?.cpu?.concurrent.selfUsPerCall)})`, met: met(gw?.cpu ? gw.cpu.selfUsPerCall <= 300 : undefined) },
    { target: 'sequential median no slower than the SDK HTTP server', value: `${f(gw?.sequential?.medianUs)} µs vs ${f(sdk?.sequential?.medianUs)} µs (${rx(seqVsSdk)})`, met: met(seqVsSdk === null ? undefined : seqVsSdk <= 1) },
    { target: '≥ 1.5× the peers\' throughput at 16 concurrent', value: `${rx(concVsPeers)} the best peer`, met: met(concVsPeers === null ? undefined : concVsPeers >= 1.5) },
    { target: 'a warm new session ≤ 5 ms', value: `${f(gw?.warmSessionMs?.median, 2)} ms`, met: met(gw?.warmSessionMs ? gw.warmSessionMs.median <= 5 : undefined) },
    { target: '≤ 100 KB per idle session (gateway process, Pss_Anon)', value: `${f(gw?.memory?.perSessionKb.selfAnon, 1)} KB (PSS ${f(gw?.memory?.perSessionKb.self, 1)} KB; +children ${f(gw?.memory?.perSessionKb.tree, 1)} KB)`, met: met(gw?.memory ? gw.memory.perSessionKb.selfAnon <= 100 : undefined) },
  ];
  return { ratios, targets };
}

export function render(report: BenchReport): string {
  const header = ['setup', 'seq p50 µs', 'seq p99 µs', 'seq calls/s', '16-conc calls/s', 'CPU µs/call', 'seq/conc', '+children', 'seq/conc', 'client µs/call', 'warm session ms', 'cold start ms (ready)', 'KB/session PSS', 'anon', '+children'];
  const pair = (a: number | undefined, b: number | undefined) => (a === undefined ? '—' : `${f(a)}/${f(b)}`);
  const rows = report.setups.map((s) => [
    s.label,
    f(s.sequential?.medianUs), f(s.sequential?.p99Us), f(s.sequential?.callsPerSec), f(s.concurrent?.callsPerSec),
    f(s.cpu?.selfUsPerCall), pair(s.cpu?.sequential.selfUsPerCall, s.cpu?.concurrent.selfUsPerCall),
    f(s.cpu?.treeUsPerCall), pair(s.cpu?.sequential.treeUsPerCall, s.cpu?.concurrent.treeUsPerCall),
    f(s.cpu?.clientUsPerCall),
    f(s.warmSessionMs?.median, 2), !s.coldStartMs ? '—' : Number.isFinite(s.coldStartMs.readyMedian) ? `${f(s.coldStartMs.median)} (${f(s.coldStartMs.readyMedian)})` : f(s.coldStartMs.median),
    f(s.memory?.perSessionKb.self, 1), f(s.memory?.perSessionKb.selfAnon, 1), f(s.memory?.perSessionKb.tree, 1),
  ]);
  const out: string[] = [];
  out.push(table(header, rows));
  out.push('');
  out.push('CPU µs/call: utime+stime of the server-side process from /proc over the sequential + 16-concurrent calls (direct stdio: the child itself), then each phase alone');
  out.push('(seq/conc); +children adds every descendant. client µs/call: the benchmark process (the SDK client). cold start: spawn → first listTools answered (spawn → listening).');
  const mem = report.setups.filter((s) => s.memory);
  if (mem.length) {
    out.push('KB/session: (after − before opening idle sessions with raw initialize POSTs) ÷ sessions, from smaps_rollup after a full GC. PSS = the process alone;');
    out.push('anon = its Pss_Anon (PSS alone falls as children start, since they share the node binary\'s pages); +children = PSS summed over the process tree.');
    for (const s of mem) {
      const m = s.memory!;
      const heap = m.before.heapUsedKb !== undefined && m.after.heapUsedKb !== undefined ? `, V8 heap used ${f(m.before.heapUsedKb)} → ${f(m.after.heapUsedKb)} KB` : '';
      out.push(`  ${s.label}: ${m.sessions} sessions over ${m.users} user(s), child ${m.child}${m.note ? ` (${m.note})` : ''}; PSS ${f(m.before.selfKb)} → ${f(m.after.selfKb)} KB, anon ${f(m.before.selfAnonKb)} → ${f(m.after.selfAnonKb)} KB, with children ${f(m.before.treeKb)} → ${f(m.after.treeKb)} KB (${m.before.processes} → ${m.after.processes} processes)${heap}`);
    }
  }
  out.push('');
  out.push('Ratios (gateway ÷ other; latency and CPU: lower is better, calls/s: higher is better):');
  for (const [k, v] of Object.entries(report.ratios)) out.push(`  ${k.padEnd(48)} ${rx(v)}`);
  out.push('');
  out.push('Targets:');
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
  const out = [`Gateway CPU profile (${p.windowed ? 'sequential + concurrent phases only' : 'whole process: the phase window did not match'}; ${f(p.busyMs)} ms busy, ${f(p.idleMs)} ms idle, ${p.samples} samples; ${p.file}):`];
  out.push(table(['self ms', '%', 'function', 'where'], p.top.map((t) => [f(t.selfMs, 1), f(t.percent, 1), t.name, t.where]), 0)
    .split('\n').map((l) => `  ${l}`).join('\n'));
  out.push('  By area: ' + p.areas.slice(0, 12).map((a) => `${a.area} ${f(a.percent, 1)}%`).join(', '));
  return out.join('\n');
}
