// Requests of the stateless 2026-07-28 revision: no session, a version and the client's
// capabilities in every request's _meta, headers that must match the body. Each request is
// one exchange attached to the user's upstream for as long as it is open; results are given
// the fields the revision requires (resultType, cache hints) that older servers do not send.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { LimitError } from '../sessions/limits.ts';
import {
  ErrorCode, errorResponse, isRequest, isResponse, metaOf, type JsonRpcId, type JsonRpcMessage, type JsonRpcRequest, type JsonRpcResponse,
} from '../jsonrpc/messages.ts';
import { ALL_REVISIONS, CLIENT_CAPABILITY_OF, META, STATELESS_REVISION } from '../sessions/protocol.ts';
import { ResponseSink, type Accepts } from '../sessions/response-sink.ts';
import type { Multiplexer, MuxClient, InitializeResult } from '../upstream/multiplexer.ts';
import type { Parked, SessionRouter } from '../sessions/session-router.ts';
import { appendLocalTools, findLocalTool, type LocalTool } from '../sessions/local-tools.ts';
import { GatewayError, sendJsonRpcError } from './http-errors.ts';
import { Exchange, MRTR_METHODS, ModernError } from './exchange.ts';
import { listen } from './listen.ts';
import { capabilitiesFor } from '../permissions/lists.ts';
import type { Identity, McpEndpointDeps } from './mcp-endpoint.ts';

export { ModernError } from './exchange.ts';

/** Methods of the session revisions that 2026-07-28 removed: 404 + method not found. */
const REMOVED = new Set(['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe']);
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

export async function handleStateless(deps: McpEndpointDeps, req: IncomingMessage, res: ServerResponse, server: string, identity: Identity, message: JsonRpcMessage, accepts: Accepts): Promise<void> {
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
  // No sessions here: per-session and HTTP servers get one upstream per user for this revision.
  const mux = deps.pool.acquire(server, identity.user, `stateless:${identity.user}`, { perUser: true });
  let init: InitializeResult;
  try {
    init = await mux.start();
  } catch (e) {
    return sendJsonRpcError(res, 200, id, ErrorCode.InternalError, `the server "${server}" could not start: ${(e as Error).message}`);
  }
  if (message.method === 'server/discover') {
    const permit = deps.gate?.permit(server, identity.user);
    return discover(res, message, init, accepts, permit && !permit.everything ? capabilitiesFor(init.capabilities, permit) : undefined);
  }
  if (message.method === 'subscriptions/listen') return listen(deps, res, message, mux, init, identity.user, server);
  if (MRTR_METHODS.has(message.method) && typeof message.params?.requestState === 'string') return resume(deps, req, res, message, server, identity.user, accepts);
  forward(deps, server, mux, res, message, identity.user, accepts, init.serverInfo);
}

/** `capabilities`: the server's, cut down to what this person may use (by default all of them). */
function discover(res: ServerResponse, message: JsonRpcRequest, init: InitializeResult, accepts: Accepts, allowed?: Record<string, unknown>): void {
  const capabilities = { ...(allowed ?? init.capabilities) };
  const result: Record<string, unknown> = {
    resultType: 'complete',
    // Every revision the gateway serves (the older ones through initialize), as its errors say too.
    supportedVersions: [...ALL_REVISIONS],
    capabilities,
    ttlMs: 0,
    cacheScope: 'private',
    _meta: { [META.serverInfo]: init.serverInfo },
  };
  if (init.instructions) result.instructions = init.instructions;
  new ResponseSink(res, accepts).finish({ jsonrpc: '2.0', id: message.id, result });
}

function forward(deps: McpEndpointDeps, server: string, mux: Multiplexer, res: ServerResponse, message: JsonRpcRequest, user: string, accepts: Accepts, serverInfo: unknown): void {
  const meta = metaOf(message)!;
  const wantsLogs = meta[META.logLevel] !== undefined;
  const sink = new ResponseSink(res, accepts, { slowClientMs: deps.slowClientMs });
  const localTools = deps.localTools?.(server, user) ?? [];
  const local = message.method === 'tools/call' ? findLocalTool(message.params, localTools) : undefined;
  if (local) {
    const sink = new ResponseSink(res, accepts, { slowClientMs: deps.slowClientMs });
    local.call((message.params?.arguments ?? {}) as Record<string, unknown>).then(
      (result) => sink.finish({ jsonrpc: '2.0', id: message.id, result: { resultType: 'complete', ...result } }),
      (e: Error) => sink.finish({ jsonrpc: '2.0', id: message.id, result: { resultType: 'complete', content: [{ type: 'text', text: e.message }], isError: true } }),
    );
    return;
  }
  let release: () => void;
  try {
    release = deps.budget?.take(user) ?? (() => {});
  } catch (e) {
    if (!(e instanceof LimitError)) throw e;
    return sink.finish(errorResponse(message.id, e.code, e.message));
  }
  const record = activityRecorder(deps, server, user, message);
  const exchange = new Exchange(user, server, mux, deps.sessions, message.method, meta[META.clientCapabilities] as Record<string, unknown>, wantsLogs, serverInfo, message.id, localTools, release, deps.gate, record);
  if (deps.sessionIdPrefix) exchange.tokenPrefix = `${deps.sessionIdPrefix}.`;
  mux.attach(exchange);
  const send = (refused: JsonRpcResponse | undefined) => {
    if (!refused) {
      exchange.bind(sink, message.id, wantsLogs);
      return mux.request(exchange, message);
    }
    // Outside this person's permissions: answered here, the server never sees it.
    exchange.close();
    record?.(refused);
    sink.finish(refused);
  };
  const refused = deps.gate?.check(server, user, message, mux, exchange);
  if (refused instanceof Promise) refused.then(send, (e: Error) => { exchange.close(); sink.finish(errorResponse(message.id, ErrorCode.InternalError, e.message)); });
  else send(refused);
}

/** Step: a retry carrying input responses resumes the parked call it names. */
async function resume(deps: McpEndpointDeps, req: IncomingMessage, res: ServerResponse, message: JsonRpcRequest, server: string, user: string, accepts: Accepts): Promise<void> {
  const token = message.params!.requestState as string;
  const parked = deps.sessions.unpark(token, user, (p) => p instanceof Exchange && p.method === message.method && p.server === server);
  if (!(parked instanceof Exchange)) {
    // Parked on another replica: the retry goes there (it holds the call and its process).
    if (await deps.passOnParked?.(req, res, token, JSON.stringify(message))) return;
    throw new GatewayError(400, ErrorCode.InvalidParams, 'Invalid params: requestState is unknown, expired or for another request', { id: message.id });
  }
  parked.resume(message.params!, new ResponseSink(res, accepts, { slowClientMs: deps.slowClientMs }), message.id, metaOf(message)![META.logLevel] !== undefined);
}

/** Calls of tools, prompts and resources are recorded in the activity log, as on the session path. */
function activityRecorder(deps: McpEndpointDeps, server: string, user: string, message: JsonRpcRequest): ((answer: JsonRpcResponse) => void) | undefined {
  const onactivity = deps.onactivity;
  if (!onactivity || !MRTR_METHODS.has(message.method)) return undefined;
  const started = performance.now();
  const p = message.params;
  const name = typeof p?.name === 'string' ? p.name : typeof p?.uri === 'string' ? p.uri : undefined;
  const clientName = (metaOf(message)?.[META.clientInfo] as { name?: unknown } | undefined)?.name;
  const client = typeof clientName === 'string' ? clientName.slice(0, 100) : undefined;
  return (answer) => {
    const result = answer.result as { isError?: boolean; resultType?: string } | undefined;
    // An input_required round is not the end of the call: its retry is recorded when it ends.
    if (result?.resultType === 'input_required') return;
    onactivity({
      at: Date.now(), server, user, session: 'stateless', client, method: message.method, name,
      ms: Math.round((performance.now() - started) * 10) / 10, ok: !answer.error && result?.isError !== true, error: answer.error?.message,
    });
  };
}
