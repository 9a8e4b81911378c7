// The five ways the benchmark reaches the same `echo` tool, each started fresh on 127.0.0.1:
// direct stdio (the floor), the SDK's own HTTP server (the HTTP floor), our gateway, and the
// peers supergateway (--stateful) and mcp-proxy. Every one is spoken to by the same SDK 1.x Client.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { freePort, waitForPort, type BenchProcess, type GcReport, type ProcessSet, type StopReport } from './proc.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BENCH = path.join(ROOT, 'test/bench');
const require = createRequire(import.meta.url);
const GC_HOOK = path.join(BENCH, 'gc-hook.mjs');

/** The child every setup ends at: server-everything (the benchmark) or the tiny echo server (memory). */
export type ChildKind = 'everything' | 'tiny';

export function childCommand(kind: ChildKind): [string, ...string[]] {
  return kind === 'everything'
    ? [process.execPath, require.resolve('@modelcontextprotocol/server-everything/dist/index.js'), 'stdio']
    : [process.execPath, path.join(BENCH, 'tiny-server.mjs')];
}

export type SetupId = 'stdio' | 'sdk-http' | 'gateway' | 'supergateway' | 'mcp-proxy';

/** One client session. */
export interface Conn {
  client: Client;
  /** The stdio child, for direct stdio. */
  pid?: number;
  /** Ends the session (DELETE for HTTP) and closes the client. */
  close(): Promise<void>;
}

/** A running setup. */
export interface Instance {
  /** The server-side process whose CPU and memory are read; undefined for direct stdio. */
  pid?: number;
  /** Its MCP endpoint, for raw HTTP; undefined for direct stdio. */
  url?: string;
  /** A new client session, as `user` where the setup tells users apart (our gateway). */
  connect(user?: string): Promise<Conn>;
  /** Full garbage collection in the server-side process; its heap figures. */
  gc?(): Promise<GcReport | undefined>;
  /** Ends it and everything it spawned; graceMs before SIGKILL. */
  stop(graceMs?: number): Promise<StopReport>;
}

export interface StartOptions {
  child: ChildKind;
  /** Run under `--cpu-prof` writing to this directory (our gateway only). */
  profileDir?: string;
}

export interface Setup {
  id: SetupId;
  label: string;
  start(procs: ProcessSet, options: StartOptions): Promise<Instance>;
}

const CLIENT_INFO = { name: 'mcp-publish-bench', version: '1.0.0' };
const READY_MS = 30_000;

async function httpConnect(url: string, user?: string): Promise<Conn> {
  const headers: Record<string, string> = user ? { 'x-bench-user': user } : {};
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  const client = new Client(CLIENT_INFO, { capabilities: {} });
  await client.connect(transport);
  return {
    client,
    async close() {
      await transport.terminateSession().catch(() => {});
      await client.close().catch(() => {});
    },
  };
}

async function readUrl(proc: BenchProcess, key = 'url'): Promise<string> {
  const line = await proc.nextLine(READY_MS);
  const url = (JSON.parse(line) as Record<string, string>)[key];
  if (!url) throw new Error(`${proc.label} printed no ${key}: ${line}`);
  return url;
}

function httpInstance(proc: BenchProcess, url: string): Instance {
  return { pid: proc.pid, url, connect: (user) => httpConnect(url, user), gc: () => proc.gc(), stop: (graceMs) => proc.stop(graceMs) };
}

export const SETUPS: Setup[] = [
  {
    id: 'stdio',
    label: 'direct stdio',
    async start(procs, { child }) {
      const [command, ...args] = childCommand(child);
      return {
        async connect() {
          const transport = new StdioClientTransport({ command, args, stderr: 'ignore' });
          const client = new Client(CLIENT_INFO, { capabilities: {} });
          await client.connect(transport);
          const pid = transport.pid ?? undefined;
          if (pid) procs.adopt(pid);
          return {
            client, pid,
            async close() {
              await client.close().catch(() => {});
              if (pid) procs.release(pid);
            },
          };
        },
        async stop() { return { graceful: true, leftovers: [] }; },
      };
    },
  },
  {
    id: 'sdk-http',
    label: 'SDK HTTP server',
    async start(procs) {
      const proc = procs.spawn('sdk-http-server', process.execPath, ['--import', GC_HOOK, '--import', 'tsx', path.join(BENCH, 'sdk-http-server.ts')], { cwd: ROOT });
      return httpInstance(proc, await readUrl(proc));
    },
  },
  {
    id: 'gateway',
    label: 'mcp-publish gateway',
    async start(procs, { child, profileDir }) {
      const prof = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
      const proc = procs.spawn('gateway', process.execPath, [...prof, '--import', GC_HOOK, '--import', 'tsx', path.join(BENCH, 'gateway-process.ts')], { cwd: ROOT });
      return httpInstance(proc, await readUrl(proc, child));
    },
  },
  {
    id: 'supergateway',
    label: 'supergateway --stateful',
    async start(procs, { child }) {
      const port = await freePort();
      const cmd = childCommand(child).map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      const proc = procs.spawn('supergateway', process.execPath, [
        '--import', GC_HOOK, require.resolve('supergateway/dist/index.js'),
        '--stdio', cmd, '--outputTransport', 'streamableHttp', '--stateful', '--port', String(port), '--logLevel', 'none',
      ], { cwd: ROOT });
      await waitForPort(port, READY_MS, proc);
      return httpInstance(proc, `http://127.0.0.1:${port}/mcp`);
    },
  },
  {
    id: 'mcp-proxy',
    label: 'mcp-proxy',
    async start(procs, { child }) {
      const port = await freePort();
      const bin = path.join(path.dirname(require.resolve('mcp-proxy/package.json')), 'dist/bin/mcp-proxy.mjs');
      const proc = procs.spawn('mcp-proxy', process.execPath, [
        '--import', GC_HOOK, bin, '--port', String(port), '--host', '127.0.0.1', '--server', 'stream', '--', ...childCommand(child),
      ], { cwd: ROOT });
      await waitForPort(port, READY_MS, proc);
      return httpInstance(proc, `http://127.0.0.1:${port}/mcp`);
    },
  },
];
