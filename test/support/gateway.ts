// Starts the world for gateway tests: a Publisher on loopback with the given servers, a log
// captured in memory (so tests can grep it), and SDK clients that speak to it as a given user.
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { pino } from 'pino';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { parseConfig } from '../../src/config/load.ts';
import { REDACT_PATHS } from '../../src/logging/logger.ts';
import { Publisher } from '../../src/publisher.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

/** A fixture server from test/fixtures, run with tsx. */
export function fixture(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { command: process.execPath, args: ['--import', 'tsx', path.join(ROOT, 'test/fixtures', `${name}.ts`)], cwd: ROOT, ...extra };
}

/** A server from npm, run with node directly. */
export function npmServer(pkg: string, args: string[] = [], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { command: process.execPath, args: [require.resolve(`${pkg}/dist/index.js`), ...args], ...extra };
}

export interface TestGateway {
  publisher: Publisher;
  url: string;
  mcpUrl(server: string): string;
  logs: string[];
  /** An SDK client connected to a server as `user` (header read by the test identity). */
  connect(server: string, options?: { user?: string; capabilities?: Record<string, unknown>; protocolVersion?: string }): Promise<Client>;
  close(): Promise<void>;
}

export async function startGateway(servers: Record<string, unknown>, gateway: Record<string, unknown> = {}): Promise<TestGateway> {
  const config = parseConfig({ mcpServers: servers, gateway: { port: 0, ...gateway } });
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
  const logger = pino({ level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
  const publisher = new Publisher({
    config, logger,
    identify: (req) => ({ user: String(req.headers['x-test-user'] ?? 'local') }),
  });
  const url = await publisher.start();
  const clients: Client[] = [];
  return {
    publisher, url, logs,
    mcpUrl: (server) => `${url}/servers/${server}/mcp`,
    async connect(server, options = {}) {
      const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: options.capabilities ?? {} });
      const headers: Record<string, string> = {};
      if (options.user) headers['x-test-user'] = options.user;
      const transport = new StreamableHTTPClientTransport(new URL(`${url}/servers/${server}/mcp`), { requestInit: { headers } });
      await client.connect(transport);
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      await publisher.stop();
    },
  };
}

/** The text of a tool result's first content block. */
export function text(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content;
  return content?.find((c) => c.type === 'text')?.text ?? '';
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Raw HTTP to the gateway, for what the SDK client would never send. */
export async function rawPost(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
  });
  const t = await res.text();
  let json: unknown;
  try { json = JSON.parse(t); } catch { json = t; }
  return { status: res.status, json, headers: res.headers };
}
