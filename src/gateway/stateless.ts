// Requests of the stateless 2026-07-28 revision: no session, a version and the client's
// capabilities in every request's _meta, headers that must match the body. Each request is
// one exchange attached to the user's upstream for as long as it is open; results are given
// the fields the revision requires (resultType, cache hints) that older servers do not send.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { LimitError } from '../sessions/limits.ts';
import {
  ErrorCode, errorResponse, isRequest, isResponse, metaOf, type JsonRpcId, type JsonRpcMessage, type JsonRpcRequest,
} from '../jsonrpc/messages.ts';
import { ALL_REVISIONS, CLIENT_CAPABILITY_OF, META, STATELESS_REVISION } from '../sessions/protocol.ts';
import { ResponseSink, type Accepts } from '../sessions/response-sink.ts';
import type { Multiplexer, MuxClient, InitializeResult } from '../upstream/multiplexer.ts';
import type { Parked, SessionRouter } from '../sessions/session-router.ts';
import { appendLocalTools, findLocalTool, type LocalTool } from '../sessions/local-tools.ts';
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

/** Requests that may answer input_required. */
const MRTR_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);
/** How long a call waits for the client to come back with the input it asked for. */
const INPUT_WAIT_MS = 5 * 60_000;

interface InputRequest { upstreamId: number; method: string; params: unknown }

/**
 * One call's exchange with the upstream, attached while it is open. When the (older) server
 * asks the client something mid-call, the call is parked, the client gets an input_required
 * result (SEP-2322), and its retry carrying the answers resumes the same upstream call.
 */
class Exchange implements MuxClient, Parked {
  readonly id = `x${++exchanges}`;
  private sink?: ResponseSink;
  private queued = new Map<string, InputRequest>();
  private asked = new Map<string, InputRequest>();
  private flushing = false;
  private finished = false;

  /** The final response that came while the call was parked, for the client's retry. */
  private finalResponse?: JsonRpcMessage;

  constructor(
    readonly user: string,
    readonly server: string,
    private readonly mux: Multiplexer,
    private readonly router: SessionRouter,
    readonly method: string,
    private readonly capabilities: Record<string, unknown>,
    private wantsLogs: boolean,
    private readonly serverInfo: unknown,
    private requestId: JsonRpcId,
    private readonly localTools: LocalTool[] = [],
    /** Gives back this call's place in its person's requests in flight. */
    private readonly release: () => void = () => {},
  ) {}

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.release();
  }

  /** Binds the HTTP exchange whose response this call's outcome goes to. */
  bind(sink: ResponseSink, requestId: JsonRpcId, wantsLogs: boolean): void {
    this.sink = sink;
    this.requestId = requestId;
    this.wantsLogs = wantsLogs;
    // Closing the stream is how a 2026-07-28 client cancels; detaching cancels upstream.
    sink.onclose = () => { if (this.sink === sink) this.close(); };
    if (this.finalResponse) {
      // The server finished (or failed) while the client was away: that is the answer.
      const message = this.finalResponse;
      this.finalResponse = undefined;
      this.sink = undefined;
      if ('id' in message) message.id = requestId;
      sink.finish(message);
      return;
    }
    if (this.queued.size) this.askForInput();
  }

  deliver(message: JsonRpcMessage): boolean {
    if (isResponse(message)) {
      this.finish();
      let status: number | undefined;
      if (message.error) {
        // 2026-07-28: a missing resource is invalid params, not the older -32002.
        if (message.error.code === -32002 && this.method === 'resources/read') message.error = { ...message.error, code: ErrorCode.InvalidParams };
        // 2026-07-28: an unknown method is 404 as well as -32601.
        if (message.error.code === ErrorCode.MethodNotFound) status = 404;
      } else {
        if (this.method === 'tools/list' && this.localTools.length) appendLocalTools(message.result, this.localTools);
        const result: Record<string, unknown> = { resultType: 'complete', ...(message.result as Record<string, unknown>) };
        if (CACHEABLE.has(this.method)) {
          result.ttlMs ??= 0;
          result.cacheScope ??= 'private';
        }
        const meta = (result._meta as Record<string, unknown> | undefined) ?? {};
        if (meta[META.serverInfo] === undefined) result._meta = { ...meta, [META.serverInfo]: this.serverInfo };
        message.result = result;
      }
      message.id = this.requestId;
      const sink = this.sink;
      this.sink = undefined;
      if (sink) sink.finish(message, { status });
      else this.finalResponse = message;
      this.mux.detach(this);
      return true;
    }
    if (isRequest(message)) {
      const kind = CLIENT_CAPABILITY_OF[message.method];
      // Only what the client declared on this request may be asked of it; else the server gets an error.
      if (!kind || !MRTR_METHODS.has(this.method) || this.capabilities[kind] === undefined) return false;
      this.queued.set(`input-${message.id}`, { upstreamId: message.id as number, method: message.method, params: message.params ?? {} });
      if (this.sink && !this.flushing) {
        // Let requests sent together go out in one input_required result.
        this.flushing = true;
        setImmediate(() => { this.flushing = false; if (this.sink && this.queued.size) this.askForInput(); });
      }
      return true;
    }
    if (!this.sink) return true;
    if (message.method === 'notifications/message' && !this.wantsLogs) return true;
    if (message.method === 'notifications/progress' || message.method === 'notifications/message') this.sink.write(message);
    return true;
  }

  private askForInput(): void {
    const sink = this.sink!;
    this.sink = undefined;
    const inputRequests: Record<string, unknown> = {};
    for (const [key, r] of this.queued) {
      inputRequests[key] = { method: r.method, params: r.params };
      this.asked.set(key, r);
    }
    this.queued.clear();
    const token = randomBytes(24).toString('base64url');
    try {
      this.router.park(token, this, INPUT_WAIT_MS);
    } catch (e) {
      if (!(e instanceof LimitError)) throw e;
      this.close();
      sink.finish(errorResponse(this.requestId, e.code, e.message));
      return;
    }
    sink.finish({ jsonrpc: '2.0', id: this.requestId, result: { resultType: 'input_required', inputRequests, requestState: token } });
  }

  /** The client's retry: answers go to the server; what it left unanswered is asked again. */
  resume(params: Record<string, unknown>, sink: ResponseSink, requestId: JsonRpcId, wantsLogs: boolean): void {
    const responses = (params.inputResponses ?? {}) as Record<string, unknown>;
    for (const [key, r] of this.asked) {
      if (responses[key] === undefined) {
        this.queued.set(key, r);
        continue;
      }
      this.mux.respond(this, { jsonrpc: '2.0', id: r.upstreamId, result: responses[key] });
    }
    this.asked.clear();
    this.bind(sink, requestId, wantsLogs);
  }

  close(): void {
    if (!this.finished) this.mux.detach(this);
    this.finish();
  }
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
  if (message.method === 'server/discover') return discover(res, message, init, accepts);
  if (message.method === 'subscriptions/listen') {
    throw new GatewayError(404, ErrorCode.MethodNotFound, 'Method not found: subscriptions/listen is not served by this gateway yet', { id });
  }
  if (MRTR_METHODS.has(message.method) && typeof message.params?.requestState === 'string') return resume(deps, res, message, server, identity.user, accepts);
  forward(deps, server, mux, res, message, identity.user, accepts, init.serverInfo);
}

function discover(res: ServerResponse, message: JsonRpcRequest, init: InitializeResult, accepts: Accepts): void {
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
  const exchange = new Exchange(user, server, mux, deps.sessions, message.method, meta[META.clientCapabilities] as Record<string, unknown>, wantsLogs, serverInfo, message.id, localTools, release);
  mux.attach(exchange);
  exchange.bind(sink, message.id, wantsLogs);
  mux.request(exchange, message);
}

/** Step: a retry carrying input responses resumes the parked call it names. */
function resume(deps: McpEndpointDeps, res: ServerResponse, message: JsonRpcRequest, server: string, user: string, accepts: Accepts): void {
  const token = message.params!.requestState as string;
  const parked = deps.sessions.unpark(token, user, (p) => p instanceof Exchange && p.method === message.method && p.server === server);
  if (!(parked instanceof Exchange)) {
    throw new GatewayError(400, ErrorCode.InvalidParams, 'Invalid params: requestState is unknown, expired or for another request', { id: message.id });
  }
  parked.resume(message.params!, new ResponseSink(res, accepts, { slowClientMs: deps.slowClientMs }), message.id, metaOf(message)![META.logLevel] !== undefined);
}
