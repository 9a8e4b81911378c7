// The measurements themselves, each bounded in count and in time: sequential and concurrent
// calls (through the SDK client or the raw one), repeated timings, and a bounded worker pool.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { performance } from 'node:perf_hooks';

export interface Stats { n: number; median: number; p99: number; mean: number; min: number; max: number }

export function stats(xs: number[]): Stats {
  if (xs.length === 0) return { n: 0, median: NaN, p99: NaN, mean: NaN, min: NaN, max: NaN };
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  return { n: s.length, median: at(0.5), p99: at(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length, min: s[0]!, max: s[s.length - 1]! };
}

const MESSAGE = 'hello from the benchmark';

/** One echo through the SDK client; throws unless the answer is the echo. */
export async function echo(client: Client): Promise<void> {
  const result = await client.callTool({ name: 'echo', arguments: { message: MESSAGE } });
  const content = result.content as Array<{ type: string; text?: string }> | undefined;
  const text = content?.find((c) => c.type === 'text')?.text;
  if (text !== `Echo: ${MESSAGE}`) throw new Error(`echo answered ${JSON.stringify(result).slice(0, 200)}`);
}

/** Each call's latency in µs, and the phase's wall time in ms. */
export interface CallTimes { latencies: number[]; ms: number }

/** `count` calls one after another; stops early at the deadline. */
export async function sequential(call: () => Promise<void>, count: number, maxMs: number): Promise<CallTimes> {
  const latencies: number[] = [];
  const t0 = performance.now();
  const deadline = t0 + maxMs;
  for (let i = 0; i < count && performance.now() < deadline; i++) {
    const a = performance.now();
    await call();
    latencies.push((performance.now() - a) * 1000);
  }
  return { latencies, ms: performance.now() - t0 };
}

/** `total` calls with `inflight` in flight at all times; stops starting new ones at the deadline. */
export async function concurrent(call: () => Promise<void>, total: number, inflight: number, maxMs: number): Promise<CallTimes> {
  const latencies: number[] = [];
  let started = 0;
  const t0 = performance.now();
  const deadline = t0 + maxMs;
  const worker = async () => {
    while (started < total && performance.now() < deadline) {
      started++;
      const a = performance.now();
      await call();
      latencies.push((performance.now() - a) * 1000);
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  return { latencies, ms: performance.now() - t0 };
}

/** Times `count` runs of `once` (ms each), stopping early at the deadline. */
export async function timed(count: number, maxMs: number, once: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  const deadline = performance.now() + maxMs;
  for (let i = 0; i < count && performance.now() < deadline; i++) {
    const t0 = performance.now();
    await once();
    out.push(performance.now() - t0);
  }
  return out;
}

/** Runs `task(i)` for i in [0, count) with at most `parallel` at once; stops starting at the deadline. */
export async function pooled(count: number, parallel: number, maxMs: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  let done = 0;
  const deadline = performance.now() + maxMs;
  const worker = async () => {
    while (next < count && performance.now() < deadline) {
      const i = next++;
      await task(i);
      done++;
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return done;
}
