// Several replicas behind one proxy (issue 15): an MCP session lives on the replica that created
// it (its children are processes there). Its id starts with that replica's route
// (`<route>.<random>`), and each replica records its route and internal URL in the shared state,
// so a request that the proxy sends to another replica is passed on to the right one, whatever
// the proxy's rule. A replica that is gone answers nothing: the client gets 404 and starts a new
// session, on a replica that is alive.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Logger } from '../logging/logger.ts';
import type { StateStore } from '../state/state-store.ts';
import type { McpHandler } from './mcp-endpoint.ts';
import { sendJsonRpcError } from './http-errors.ts';
import { ErrorCode } from '../jsonrpc/messages.ts';

/** Routes and internal URLs of the live replicas. */
export const REPLICAS_COLLECTION = 'gateway.replicas';
/** Set on a passed-on request: it is never passed on again (no loops). */
const FORWARDED = 'x-mcp-publish-forwarded-by';
/** Hop-by-hop headers (RFC 9110 §7.6.1) are not passed on. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

export interface ReplicaRecord { url: string; since: number }

/** A replica's record outlives it by at most this (killed replicas do not delete theirs); renewed at a third of it. */
const RECORD_TTL_MS = 60 * 60_000;

export class ReplicaRouter {
  /** This replica's route: the prefix of the session ids it makes. */
  readonly route = randomBytes(5).toString('hex');
  readonly #urls = new Map<string, string>();
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  #renew: NodeJS.Timeout | undefined;

  constructor(private readonly o: { state: StateStore; logger: Logger }) {}

  /** Tells the other replicas where this one is (`url`: reachable from them, e.g. the pod's address). */
  async register(url: string): Promise<void> {
    const since = Date.now();
    const put = () => this.o.state.put<ReplicaRecord>(REPLICAS_COLLECTION, this.route, { url, since }, { expiresAt: Date.now() + RECORD_TTL_MS });
    await put();
    this.#renew = setInterval(() => void put().catch((e: Error) => this.o.logger.warn({ err: e.message }, 'could not renew this replica\'s record')), RECORD_TTL_MS / 3).unref();
    this.o.logger.info({ route: this.route, url }, 'this replica is registered: sessions it makes are found from the others');
  }

  /**
   * Where the other replicas reach one listening on `host:port`: a wildcard address means this
   * machine's first outside IPv4 address (a container's or a pod's own).
   */
  static reachableUrl(host: string, port: number): string {
    if (host !== '0.0.0.0' && host !== '::') return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    const outside = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
    return `http://${outside?.address ?? '127.0.0.1'}:${port}`;
  }

  /** Stops and forgets this replica. */
  async close(): Promise<void> {
    clearInterval(this.#renew);
    this.#agent.destroy();
    await this.o.state.delete(REPLICAS_COLLECTION, this.route).catch(() => false);
  }

  /** `mcp`, except that a session of another replica is passed on to it. */
  wrap(mcp: McpHandler): McpHandler {
    return async (req, res, server) => {
      const session = req.headers['mcp-session-id'];
      const route = typeof session === 'string' ? session.slice(0, Math.max(0, session.indexOf('.'))) : '';
      if (!route || route === this.route || req.headers[FORWARDED] !== undefined || req.method === 'OPTIONS') return mcp(req, res, server);
      const url = await this.#urlOf(route);
      if (!url) return mcp(req, res, server); // unknown: the local answer is 404, the client starts over
      this.#forward(req, res, route, url);
    };
  }

  /** A 2026-07-28 retry (its body already read) whose parked call is held by another replica: passed on. */
  async passOnParked(req: IncomingMessage, res: ServerResponse, token: string, body: string): Promise<boolean> {
    const route = token.slice(0, Math.max(0, token.indexOf('.')));
    if (!route || route === this.route || req.headers[FORWARDED] !== undefined) return false;
    const url = await this.#urlOf(route);
    if (!url) return false;
    this.#forward(req, res, route, url, body);
    return true;
  }

  async #urlOf(route: string): Promise<string | undefined> {
    const known = this.#urls.get(route);
    if (known) return known;
    const record = await this.o.state.get<ReplicaRecord>(REPLICAS_COLLECTION, route).catch(() => undefined);
    if (record) this.#urls.set(route, record.url);
    return record?.url;
  }

  #forward(req: IncomingMessage, res: ServerResponse, route: string, base: string, body?: string): void {
    const headers: http.OutgoingHttpHeaders = { [FORWARDED]: this.route };
    for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && v !== undefined) headers[k] = v;
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    // The Host the client used: the owner checks it against the public origins as usual.
    headers.host = req.headers.host;
    const out = http.request(new URL(req.url ?? '/', base), { method: req.method, headers, agent: this.#agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      // Streams (SSE) go through as they come: nothing is buffered here.
      res.flushHeaders();
      answer.pipe(res);
      res.once('close', () => answer.destroy());
    });
    out.once('error', (e) => {
      if (res.headersSent) return void res.destroy();
      // The owner is gone (killed, restarted), and its sessions with it: the client starts a new one.
      this.#urls.delete(route);
      this.o.logger.warn({ err: e.message, replica: base }, 'could not reach the replica that owns a session');
      sendJsonRpcError(res, 404, null, ErrorCode.SessionNotFound, 'Session not found (the replica that held it is gone)');
    });
    if (body === undefined) req.pipe(out);
    else out.end(body);
    res.once('close', () => { if (!out.writableFinished || !res.writableFinished) out.destroy(); });
  }
}
