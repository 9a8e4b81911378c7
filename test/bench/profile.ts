// Reads a V8 .cpuprofile (written by `node --cpu-prof`) and tells where the time went: self time
// per function and per area (our src/, each npm package, node internals, GC), optionally only
// inside a window of the monotonic clock (the phases measured), so start-up does not count.
import { readFileSync } from 'node:fs';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

export interface FunctionTime { name: string; where: string; area: string; selfMs: number; percent: number }

export interface ProfileSummary {
  file: string;
  /** Sampled time in the window, idle excluded, ms. */
  busyMs: number;
  idleMs: number;
  samples: number;
  /** False when the window did not overlap the profile and every sample was used. */
  windowed: boolean;
  top: FunctionTime[];
  areas: Array<{ area: string; selfMs: number; percent: number }>;
}

function areaOf(url: string, name: string, root: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)' || name === '(idle)' || name === '(root)') return name;
  if (!url) return 'native/V8';
  if (url.startsWith('node:')) return 'node internals';
  const rel = url.replace(/^file:\/\//, '').replace(root + '/', '');
  const nm = rel.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const parts = rel.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (rel.startsWith('src/')) return `src/${rel.split('/')[1]}`;
  return rel.split('/').slice(0, 2).join('/');
}

function shortWhere(url: string, line: number, root: string): string {
  if (!url) return '';
  const rel = url.replace(/^file:\/\//, '').replace(root + '/', '').replace(/^.*node_modules\//, '');
  // tsx compiles each TypeScript module onto a line or two: a line number says nothing there.
  return rel.endsWith('.ts') || line <= 0 ? rel : `${rel}:${line + 1}`;
}

/** Summarises a profile; window = [startUs, endUs] on the monotonic clock (process.hrtime). */
export function summarize(file: string, root: string, window?: { startUs: number; endUs: number }, topN = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Native frames (writev, writeUtf8String…) are told apart by the nearest caller outside node's
  // own modules: the code of ours or of a package that caused them.
  const via = (id: number): string => {
    for (let up = parent.get(id), hops = 0; up !== undefined && hops < 64; up = parent.get(up), hops++) {
      const f = byId.get(up)!.callFrame;
      if (f.url && !f.url.startsWith('node:')) return `${f.functionName || '(anonymous)'} in ${shortWhere(f.url, f.lineNumber, root)}`;
    }
    return '';
  };
  const times: number[] = [];
  let t = p.startTime;
  for (const d of p.timeDeltas) { t += d; times.push(t); }
  const overlaps = window !== undefined && window.startUs < p.endTime && window.endUs > p.startTime;
  const self = new Map<string, { frame: CallFrame; caller: string; us: number }>();
  const areas = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  let samples = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const ts = times[i]!;
    if (overlaps && (ts < window.startUs || ts > window.endUs)) continue;
    const dt = Math.max(0, (i + 1 < times.length ? times[i + 1]! : p.endTime) - ts);
    const node = byId.get(p.samples[i]!);
    if (!node) continue;
    const frame = node.callFrame;
    samples++;
    if (frame.functionName === '(idle)') { idle += dt; continue; }
    busy += dt;
    const caller = frame.url ? '' : via(node.id);
    const key = `${frame.functionName}\u0000${frame.url}\u0000${frame.lineNumber}\u0000${frame.columnNumber}\u0000${caller}`;
    const e = self.get(key) ?? { frame, caller, us: 0 };
    e.us += dt;
    self.set(key, e);
    const area = areaOf(frame.url, frame.functionName, root);
    areas.set(area, (areas.get(area) ?? 0) + dt);
  }
  const pct = (us: number) => (busy > 0 ? (100 * us) / busy : 0);
  const top = [...self.values()].sort((a, b) => b.us - a.us).slice(0, topN).map((e) => ({
    name: e.frame.functionName || '(anonymous)',
    where: e.frame.url ? shortWhere(e.frame.url, e.frame.lineNumber, root) : e.caller ? `native, from ${e.caller}` : 'native',
    area: areaOf(e.frame.url, e.frame.functionName, root),
    selfMs: e.us / 1000,
    percent: pct(e.us),
  }));
  const areaList = [...areas.entries()].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, selfMs: us / 1000, percent: pct(us) }));
  return { file, busyMs: busy / 1000, idleMs: idle / 1000, samples, windowed: overlaps, top, areas: areaList };
}
