// The measurements themselves, each bounded in count and in time: sequential and concurrent
// echo calls, new sessions, cold starts, and raw initialize POSTs for the session-memory test.
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

export async function echo(client: Client): Promise<void> {
  const result = await client.callTool({ name: 'echo', arguments: { message: MESSAGE } });
  const content = result.content as Array<{ type: string; text?: string }> | undefined;
  const text = content?.find((c) => c.type === 'text')?.text;
  if (text !== `Echo: ${MESSAGE}`) throw new Error(`echo answered ${JSON.stringify(result).slice(0, 200)}`);
}

/** Sequential calls; latencies in µs. Stops early at the deadline. */
export async function sequential(client: Client, count: number, maxMs: number): Promise<number[]> {
  const out: number[] = [];
  const deadline = performance.now() + maxMs;
  for (let i = 0; i < count && performance.now() < deadline; i++) {
    const t0 = performance.now();
    await echo(client);
    out.push((performance.now() - t0) * 1000);
  }
  return out;
}

/** `total` calls with `inflight` in flight at all times; stops starting new ones at the deadline. */
export async function concurrent(client: Client, total: number, inflight: number, maxMs: number): Promise<{ calls: number; ms: number }> {
  let started = 0;
  let done = 0;
  const t0 = performance.now();
  const deadline = t0 + maxMs;
  const worker = async () => {
    while (started < total && performance.now() < deadline) {
      started++;
      await echo(client);
      done++;
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  return { calls: done, ms: performance.now() - t0 };
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

const INIT_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/**
 * Opens a session with raw POSTs (initialize, then notifications/initialized) and leaves it idle.
 * Resolves with its Mcp-Session-Id.
 */
export async function rawSession(url: string, user: string, n: number): Promise<string> {
  const init = await fetch(url, {
    method: 'POST',
    headers: { ...INIT_HEADERS, 'x-bench-user': user },
    body: JSON.stringify({
      jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: `bench-raw-${n}`, version: '1.0.0' } },
    }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = await init.text();
  const sid = init.headers.get('mcp-session-id');
  if (init.status !== 200 || !sid || !body.includes('"result"')) throw new Error(`initialize answered ${init.status}: ${body.slice(0, 200)}`);
  const note = await fetch(url, {
    method: 'POST',
    headers: { ...INIT_HEADERS, 'x-bench-user': user, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    signal: AbortSignal.timeout(30_000),
  });
  await note.text();
  if (note.status >= 300) throw new Error(`notifications/initialized answered ${note.status}`);
  return sid;
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
