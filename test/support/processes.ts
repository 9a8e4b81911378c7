// Small helpers for tests that run third-party programs (mcp-remote, the conformance suite): a
// free loopback port for a callback server they open, waiting with a deadline, and finding any
// process still running with a marker in its environment (so a test can prove none is left).
import fs from 'node:fs/promises';
import net from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago (another program is going to listen on it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `promise`, or a rejection naming `what` (and `detail()`, e.g. a child's stderr) after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string, detail: () => string = () => ''): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms${detail() ? `\n${detail()}` : ''}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Pids of this user's processes whose environment contains `entry` (e.g. `MCP_REMOTE_CONFIG_DIR=/tmp/x`):
 * a child started with it, and every process it spawned in turn, carry it.
 */
export async function processesWithEnv(entry: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let environ: string;
    try {
      environ = await fs.readFile(`/proc/${name}/environ`, 'latin1');
    } catch {
      continue; // gone, or another user's
    }
    if (environ.split('\0').includes(entry)) found.push(Number(name));
  }
  return found;
}

/** Waits until no process carries `entry` in its environment; returns those still there after `ms`. */
export async function waitForNoProcessWithEnv(entry: string, ms = 5000): Promise<number[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = await processesWithEnv(entry);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}
