// Per-tool statistics of the Activity page: calls, errors and p50/p95 duration per (server, tool)
// over the last hour, day or week, with calls counted per time bucket for the chart. Fed one
// call at a time by either log (the file log from its in-memory index, so no file is read).
import type { ActivityStatsView, StatsWindow, ToolStatsView } from '../admin/api.ts';

/** Each window's length and how many buckets its chart has (5 min, 1 h, 6 h). */
export const WINDOWS: Record<StatsWindow, { ms: number; buckets: number }> = {
  hour: { ms: 3_600_000, buckets: 12 },
  day: { ms: 86_400_000, buckets: 24 },
  week: { ms: 7 * 86_400_000, buckets: 28 },
};

/** Nearest-rank percentile of sorted durations (p in 0..1). */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length))) - 1]!;
}

interface Tally { server: string; tool: string; calls: number; errors: number; ms: number[]; buckets: number[] }

export class StatsBuilder {
  readonly since: number;
  readonly until: number;
  private readonly bucketMs: number;
  private readonly count: number;
  private readonly tools = new Map<string, Tally>();
  private readonly all: { calls: number; errors: number }[];

  constructor(private readonly window: StatsWindow, now = Date.now()) {
    const w = WINDOWS[window];
    this.until = now;
    this.since = now - w.ms;
    this.count = w.buckets;
    this.bucketMs = w.ms / w.buckets;
    this.all = Array.from({ length: w.buckets }, () => ({ calls: 0, errors: 0 }));
  }

  /** Counts one call; calls outside the window are ignored. */
  add(server: string, tool: string, at: number, ms: number, ok: boolean): void {
    if (at < this.since || at > this.until) return;
    const key = `${server}\u0000${tool}`;
    let t = this.tools.get(key);
    if (!t) this.tools.set(key, t = { server, tool, calls: 0, errors: 0, ms: [], buckets: new Array<number>(this.count).fill(0) });
    const b = Math.min(this.count - 1, Math.floor((at - this.since) / this.bucketMs));
    t.calls++;
    t.buckets[b]!++;
    t.ms.push(ms);
    this.all[b]!.calls++;
    if (!ok) { t.errors++; this.all[b]!.errors++; }
  }

  result(): ActivityStatsView {
    const tools = [...this.tools.values()].map(({ ms, ...t }): ToolStatsView => {
      const sorted = ms.sort((a, b) => a - b);
      return { ...t, p50Ms: percentile(sorted, 0.5), p95Ms: percentile(sorted, 0.95) };
    }).sort((a, b) => b.calls - a.calls || a.server.localeCompare(b.server) || a.tool.localeCompare(b.tool));
    return { window: this.window, since: this.since, until: this.until, bucketMs: this.bucketMs, tools, buckets: this.all };
  }
}
