// The built-in demo server (server-everything) inside the desktop app's main process. The packed
// app cannot start itself as Node (its RunAsNode fuse is off: scripts/electron-fuses.mjs), so the
// demo is served here, on loopback over Streamable HTTP at a per-launch secret path, and the
// gateway reaches it as an HTTP upstream. No electron import: it runs, and is tested, under Node.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { randomBytes, randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { isStdioServer, type Config, type ServerConfig } from '../src/config/schema.ts';
import { parseConfig } from '../src/config/load.ts';

const require = createRequire(import.meta.url);
const SERVER_EVERYTHING = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');
const DEMO_TITLE = 'Demo (server-everything)';
/** The path the demo answers on: a secret of this launch, so other programs here cannot guess it. */
const DEMO_URL = /^http:\/\/127\.0\.0\.1:\d+\/demo-[A-Za-z0-9_-]{22}\/mcp$/;
/**
 * server-everything tools that would hand a remote person what belongs to the owner's process:
 * `get-env` prints the environment, which in-process is the desktop app's own (as a child it was
 * a minimal one).
 */
const OWNER_ONLY_TOOLS = ['get-env'];

export interface DemoServer {
  /** The Streamable HTTP endpoint, on 127.0.0.1. */
  readonly url: string;
  /** Sessions open right now. */
  readonly sessions: number;
  /** Ends every session and the listener. */
  close(): Promise<void>;
}

/**
 * True for the demo entry as `mcp-publish` makes it (this executable running server-everything,
 * `demoServer()` in src/publisher.ts) and for one saved from an earlier launch of the app.
 */
export function isDemoEntry(server: ServerConfig): boolean {
  if (isStdioServer(server)) return server.command === process.execPath && server.args[0] === SERVER_EVERYTHING;
  return DEMO_URL.test(server.url);
}

/** The config with every demo entry served by `demo` (the rest as it was). */
export function withDemoAt(config: Config, demo: DemoServer): Config {
  const servers = Object.fromEntries(Object.entries(config.mcpServers).map(([name, s]) => [
    name, isDemoEntry(s) ? { url: demo.url, title: s.title ?? DEMO_TITLE, enabled: s.enabled } : s,
  ]));
  return { ...config, mcpServers: parseConfig({ mcpServers: servers }).mcpServers };
}

/** Starts server-everything in this process; one MCP server per session, as its own HTTP transport does. */
export async function startDemoServer(): Promise<DemoServer> {
  const { createServer } = await import(pathToFileURL(require.resolve('@modelcontextprotocol/server-everything/dist/server/index.js')).href) as {
    createServer(): { server: McpServer; cleanup(sessionId?: string): void };
  };
  const path = `/demo-${randomBytes(16).toString('base64url')}/mcp`;
  const sessions = new Map<string, StreamableHTTPServerTransport>();

  const listener = http.createServer((req, res) => {
    void (async () => {
      if (new URL(req.url ?? '/', 'http://127.0.0.1').pathname !== path) return void res.writeHead(404).end();
      const id = req.headers['mcp-session-id'];
      let transport = typeof id === 'string' ? sessions.get(id) : undefined;
      if (!transport) {
        if (id !== undefined || req.method !== 'POST') return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such session"}');
        const { server, cleanup } = createServer();
        const tools = (server as unknown as { _registeredTools: Record<string, { remove(): void }> })._registeredTools;
        for (const name of OWNER_ONLY_TOOLS) tools[name]?.remove();
        const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (sid) => { sessions.set(sid, t); },
        });
        t.onclose = () => {
          if (t.sessionId) sessions.delete(t.sessionId);
          cleanup(t.sessionId);
        };
        await server.connect(t);
        transport = t;
      }
      await transport.handleRequest(req, res);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}${path}`;
  return {
    url,
    get sessions() { return sessions.size; },
    async close() {
      await Promise.allSettled([...sessions.values()].map((t) => t.close()));
      sessions.clear();
      listener.closeAllConnections();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}
