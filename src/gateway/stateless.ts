// Requests of the stateless 2026-07-28 revision: no session, a version and the client's
// capabilities in every request's _meta, headers that must match the body. Each request is
// one exchange attached to the user's upstream for as long as it is open; results are given
// the fields the revision requires (resultType, cache hints) that older servers do not send.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ErrorCode, isRequest, isResponse, metaOf, type JsonRpcId, type JsonRpcMessage, type JsonRpcRequest,
} from '../jsonrpc/messages.ts';
import { ALL_REVISIONS, META, STATELESS_REVISION } from '../sessions/protocol.ts';
import { ResponseSink } from '../sessions/response-sink.ts';
import type { Multiplexer, MuxClient, InitializeResult } from '../upstream/multiplexer.ts';
import { GatewayError, sendJsonRpcError } from './http-errors.ts';
import type { Identity, McpEndpointDeps } from './mcp-endpoint.ts';

/** 2026-07-28 error codes. */
export const ModernError = { HeaderMismatch: -32020, MissingClientCapability: -32021, UnsupportedVersion: -32022 } as const;

/** Methods of the session revisions that 2026-07-28 removed: 404 + method not found. */
const REMOVED = new Set(['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe']);
/** Results the revision requires cache hints on. */
const CACHEABLE = new Set(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read']);
/** Requests whose Mcp-Name header must name their target, and the param that holds it. */
const NAMED: Record<string, string> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v)?.trim();
}

/** Header values that are not header-safe arrive as =?base64?…?=. */
function decodeHeaderValue(v: string): string {
  const m = /^=\?base64\?(.*)\?=$/.exec(v);
  return m ? Buffer.from(m[1]!, 'base64').toString('utf8') : v;
}

function mismatch(id: JsonRpcId | null, what: string): GatewayError {
  return new GatewayError(400, ModernError.HeaderMismatch, `Header mismatch: ${what}`, { id, data: { mismatch: what } });
}

let exchanges = 0;

/** One request's exchange with the upstream, attached only while it is open. */
class Exchange implements MuxClient {
  readonly id = `x${++exchanges}`;
  constructor(private readonly sink: ResponseSink, private readonly method: string, private readonly wantsLogs: boolean, private readonly serverInfo: unknown) {}

  deliver(message: JsonRpcMessage): boolean {
    if (isResponse(message)) {
      if (message.error) {
        // 2026-07-28: a missing resource is invalid params, not the older -32002.
        if (message.error.code === -32002 && this.method === 'resources/read') message.error = { ...message.error, code: ErrorCode.InvalidParams };
      } else {
        const result: Record<string, unknown> = { resultType: 'complete', ...(message.result as Record<string, unknown>) };
        if (CACHEABLE.has(this.method)) {
          result.ttlMs ??= 0;
          result.cacheScope ??= 'private';
        }
        const meta = (result._meta as Record<string, unknown> | undefined) ?? {};
        if (meta[META.serverInfo] === undefined) result._meta = { ...meta, [META.serverInfo]: this.serverInfo };
        message.result = result;
      }
      this.sink.finish(message);
      return true;
    }
    // The revision has no server-to-client requests on streams (they become input_required
    // results); an older server's sampling or elicitation request is answered with an error.
    if (isRequest(message)) return false;
    if (message.method === 'notifications/message' && !this.wantsLogs) return true;
    if (message.method === 'notifications/progress' || message.method === 'notifications/message') this.sink.write(message);
    return true;
  }
}

export async function handleStateless(deps: McpEndpointDeps, req: IncomingMessage, res: ServerResponse, server: string, identity: Identity, message: JsonRpcMessage, acceptsJson: boolean): Promise<void> {
  if (isResponse(message)) throw new GatewayError(400, ErrorCode.InvalidRequest, 'Invalid Request: clients of 2026-07-28 do not send responses');
  const id = isRequest(message) ? message.id : null;
  const meta = metaOf(message);
  const headerVersion = header(req, 'mcp-protocol-version');
  const version = meta?.[META.protocolVersion];

  // Step: the envelope and the headers agree with the body.
  if (version === undefined) {
    if (message.method === 'initialize') throw mismatch(id, 'initialize sent with MCP-Protocol-Version 2026-07-28');
    throw new GatewayError(400, ErrorCode.InvalidParams, `Invalid params: _meta["${META.protocolVersion}"] is required`, { id });
  }
  if (headerVersion !== version) throw mismatch(id, `MCP-Protocol-Version header (${headerVersion ?? 'missing'}) does not match _meta (${String(version)})`);
  if (version !== STATELESS_REVISION) {
    throw new GatewayError(400, ModernError.UnsupportedVersion, 'Unsupported protocol version', { id, data: { supported: [...ALL_REVISIONS], requested: version } });
  }
  const methodHeader = header(req, 'mcp-method');
  if (methodHeader !== message.method) throw mismatch(id, `Mcp-Method header (${methodHeader ?? 'missing'}) does not match the method`);
  if (!isRequest(message)) {
    res.writeHead(202).end();
    return;
  }
  const capabilities = meta?.[META.clientCapabilities];
  if (!capabilities || typeof capabilities !== 'object') {
    throw new GatewayError(400, ErrorCode.InvalidParams, `Invalid params: _meta["${META.clientCapabilities}"] is required`, { id });
  }
  const named = NAMED[message.method];
  if (named) {
    const nameHeader = header(req, 'mcp-name');
    const expected = message.params?.[named];
    if (nameHeader === undefined || decodeHeaderValue(nameHeader) !== expected) throw mismatch(id, `Mcp-Name header does not match params.${named}`);
  }
  if (REMOVED.has(message.method)) throw new GatewayError(404, ErrorCode.MethodNotFound, `Method not found: ${message.method} is not part of 2026-07-28`, { id });

  // Step: the user's upstream (per-session servers get one per user for this revision).
  const mux = deps.pool.acquire(server, identity.user, `stateless:${identity.user}`);
  let init: InitializeResult;
  try {
    init = await mux.start();
  } catch (e) {
    return sendJsonRpcError(res, 200, id, ErrorCode.InternalError, `the server "${server}" could not start: ${(e as Error).message}`);
  }
  if (message.method === 'server/discover') return discover(res, message, init, acceptsJson);
  if (message.method === 'subscriptions/listen') {
    throw new GatewayError(404, ErrorCode.MethodNotFound, 'Method not found: subscriptions/listen is not served by this gateway yet', { id });
  }
  forward(mux, res, message, acceptsJson, meta?.[META.logLevel] !== undefined, init.serverInfo);
}

function discover(res: ServerResponse, message: JsonRpcRequest, init: InitializeResult, acceptsJson: boolean): void {
  const capabilities = { ...init.capabilities };
  // Subscriptions move to subscriptions/listen, which this gateway does not serve yet.
  if (capabilities.resources && typeof capabilities.resources === 'object') {
    const { subscribe: _subscribe, ...resources } = capabilities.resources as Record<string, unknown>;
    capabilities.resources = resources;
  }
  const result: Record<string, unknown> = {
    resultType: 'complete',
    supportedVersions: [STATELESS_REVISION],
    capabilities,
    ttlMs: 0,
    cacheScope: 'private',
    _meta: { [META.serverInfo]: init.serverInfo },
  };
  if (init.instructions) result.instructions = init.instructions;
  new ResponseSink(res, acceptsJson).finish({ jsonrpc: '2.0', id: message.id, result });
}

function forward(mux: Multiplexer, res: ServerResponse, message: JsonRpcRequest, acceptsJson: boolean, wantsLogs: boolean, serverInfo: unknown): void {
  const sink = new ResponseSink(res, acceptsJson);
  const exchange = new Exchange(sink, message.method, wantsLogs, serverInfo);
  mux.attach(exchange);
  // Closing the stream is how a 2026-07-28 client cancels; detaching cancels upstream.
  sink.onclose = () => mux.detach(exchange);
  mux.request(exchange, message);
}
