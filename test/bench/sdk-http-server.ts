// The HTTP floor: the SDK's own Streamable HTTP server (McpServer + StreamableHTTPServerTransport,
// stateful sessions, its default SSE answers) with one `echo` tool, on plain node:http (no
// express), in a process of its own. Prints one JSON line `{ "url": … }` when listening.
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const transports = new Map<string, StreamableHTTPServerTransport>();

function echoServer(): McpServer {
  const server = new McpServer({ name: 'sdk-echo', version: '1.0.0' });
  server.registerTool('echo', { description: 'Echoes back the input string', inputSchema: { message: z.string() } },
    async ({ message }) => ({ content: [{ type: 'text', text: `Echo: ${message}` }] }));
  return server;
}

function rpcError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message } }));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!req.url?.startsWith('/mcp')) return rpcError(res, 404, 'not found');
  const body = req.method === 'POST' ? await readJson(req) : undefined;
  const sid = req.headers['mcp-session-id'];
  const existing = typeof sid === 'string' ? transports.get(sid) : undefined;
  if (existing) return existing.handleRequest(req, res, body);
  if (sid) return rpcError(res, 404, 'Session not found');
  if (req.method !== 'POST' || !isInitializeRequest(body)) return rpcError(res, 400, 'Bad Request: no session');
  const server = echoServer();
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => { transports.set(id, transport); },
  });
  transport.onclose = () => {
    if (transport.sessionId) transports.delete(transport.sessionId);
    void server.close();
  };
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

const httpServer = http.createServer((req, res) => {
  handle(req, res).catch((e: Error) => { if (!res.headersSent) rpcError(res, 500, e.message); else res.end(); });
});
httpServer.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => { httpServer.closeAllConnections(); process.exit(0); });
process.on('SIGINT', () => { httpServer.closeAllConnections(); process.exit(0); });
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
httpServer.listen(0, '127.0.0.1', () => {
  const { port } = httpServer.address() as AddressInfo;
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${port}/mcp` }) + '\n');
});
