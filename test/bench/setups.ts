// The six ways the benchmark reaches the same `echo` tool, each started fresh on 127.0.0.1:
// direct stdio (the floor), the SDK's own HTTP server (the HTTP floor), our gateway with sign-in
// on (the headline: bearer tokens from its own authorization server) and off, and the peers
// supergateway (--stateful) and mcp-proxy. Every HTTP setup is spoken to by the SDK 1.x Client
// and by the raw node:http client (raw-client.ts); direct stdio by the SDK Client only.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { freePort, waitForPort, type BenchProcess, type GcReport, type ProcessSet, type StopReport } from './proc.ts';
import { signInAll, type BenchPerson } from './sign-in.ts';

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

export type SetupId = 'stdio' | 'sdk-http' | 'gateway' | 'gateway-open' | 'supergateway' | 'mcp-proxy';

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
  /**
   * Headers that make a request come from `user`: a bearer token (sign-in on; only for the
   * people named at start), `x-bench-user` (our gateway with sign-in off), nothing (the others).
   */
  headers(user: string): Record<string, string>;
  /** A new SDK client session as `user`. */
  connect(user?: string): Promise<Conn>;
  /** Full garbage collection in the server-side process; its heap figures. */
  gc?(): Promise<GcReport | undefined>;
  /** The last lines the server-side process wrote to stderr (our gateway: its log). */
  stderr?(): string;
  /** Ends it and everything it spawned; graceMs before SIGKILL. */
  stop(graceMs?: number): Promise<StopReport>;
}

export interface StartOptions {
  child: ChildKind;
  /** Run under `--cpu-prof` writing to this directory (our gateway only). */
  profileDir?: string;
  /**
   * The people the run speaks as. With sign-in on each gets a local account and signs in
   * through the authorization server (authorization code + PKCE) before start resolves.
   */
  people?: string[];
}

export interface Setup {
  id: SetupId;
  label: string;
  start(procs: ProcessSet, options: StartOptions): Promise<Instance>;
}

const CLIENT_INFO = { name: 'mcp-publish-bench', version: '1.0.0' };
const READY_MS = 30_000;

/** The domain of the benchmark's people; test/bench/gateway-process.ts allows it. */
const BENCH_DOMAIN = 'bench.example';
export const emailOf = (user: string): string => `${user}@${BENCH_DOMAIN}`;

async function httpConnect(url: string, headers: Record<string, string>): Promise<Conn> {
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

async function readReady(proc: BenchProcess, key = 'url'): Promise<Record<string, string>> {
  const line = await proc.nextLine(READY_MS);
  const ready = JSON.parse(line) as Record<string, string>;
  if (!ready[key]) throw new Error(`${proc.label} printed no ${key}: ${line}`);
  return ready;
}

function httpInstance(proc: BenchProcess, url: string, headers: (user: string) => Record<string, string> = () => ({})): Instance {
  return { pid: proc.pid, url, headers, connect: (user = 'bench') => httpConnect(url, headers(user)), gc: () => proc.gc(), stderr: () => proc.stderrTail(16 * 1024), stop: (graceMs) => proc.stop(graceMs) };
}

function gatewayArgs(profileDir: string | undefined, signIn: boolean): string[] {
  const prof = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  return [...prof, '--import', GC_HOOK, '--import', 'tsx', path.join(BENCH, 'gateway-process.ts'), ...(signIn ? ['--sign-in'] : [])];
}

export const SETUPS: Setup[] = [
  {
    id: 'stdio',
    label: 'direct stdio',
    async start(procs, { child }) {
      const [command, ...args] = childCommand(child);
      return {
        headers: () => ({}),
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
      return httpInstance(proc, (await readReady(proc)).url!);
    },
  },
  {
    id: 'gateway',
    label: 'gateway, sign-in on',
    async start(procs, { child, profileDir, people = [] }) {
      const password = randomBytes(12).toString('base64url');
      const persons: BenchPerson[] = people.map((u) => ({ email: emailOf(u), password: `${password}-${emailOf(u)}` }));
      const proc = procs.spawn('gateway', process.execPath, gatewayArgs(profileDir, true), {
        cwd: ROOT, env: { ...process.env, BENCH_PEOPLE: JSON.stringify(persons.map((p) => p.email)), BENCH_PASSWORD: password },
      });
      try {
        const url = (await readReady(proc, child))[child]!;
        // Before any timing: every person signs in once, through the real flow.
        const tokens = await signInAll(url, persons);
        return httpInstance(proc, url, (user) => {
          const token = tokens.get(emailOf(user));
          if (!token) throw new Error(`"${user}" was not signed in at start (StartOptions.people)`);
          return { authorization: `Bearer ${token}` };
        });
      } catch (e) {
        await proc.stop();
        throw e;
      }
    },
  },
  {
    id: 'gateway-open',
    label: 'gateway, sign-in off',
    async start(procs, { child, profileDir }) {
      const proc = procs.spawn('gateway-open', process.execPath, gatewayArgs(profileDir, false), { cwd: ROOT });
      return httpInstance(proc, (await readReady(proc, child))[child]!, (user) => ({ 'x-bench-user': user }));
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
