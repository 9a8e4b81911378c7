// The public gateway's HTTP server: MCP endpoints and /healthz on a small router of our own
// (the hot path stays lean); everything else (sign-in pages, metadata) mounts as `fallback`.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpHandler } from './mcp-endpoint.ts';
import { sendJsonRpcError } from './http-errors.ts';

export interface GatewayServerOptions {
  mcp: McpHandler;
  /** Answers /healthz. */
  health: () => Record<string, unknown>;
  /** Requests that are not MCP endpoints (later: OAuth, login pages); default 404. */
  fallback?: (req: IncomingMessage, res: ServerResponse) => void;
  /** A client must send a request's headers and body within this long; default 30 s. */
  readTimeoutMs?: number;
}

const MCP_PATH = /^\/servers\/([^/]+)\/mcp\/?$/;

export function createGatewayServer(options: GatewayServerOptions): http.Server {
  const readTimeoutMs = options.readTimeoutMs ?? 30_000;
  const server = http.createServer({
    // DESIGN §5: headers and bodies are bounded in time as well as size (a trickling body, a
    // declared length never sent, headers that never end). Checked every second.
    requestTimeout: readTimeoutMs,
    headersTimeout: readTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, readTimeoutMs),
  }, (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const m = MCP_PATH.exec(path);
    if (m) {
      let name: string;
      try { name = decodeURIComponent(m[1]!); } catch { name = m[1]!; }
      void options.mcp(req, res, name);
      return;
    }
    if (path === '/healthz') {
      const body = JSON.stringify({ ok: true, ...options.health() });
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    if (options.fallback) return options.fallback(req, res);
    sendJsonRpcError(res, 404, null, -32600, `nothing at ${path}`);
  });
  server.keepAliveTimeout = 65_000;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
  return server;
}

export function listen(server: http.Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Closes the server and every connection (SSE streams included). */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
