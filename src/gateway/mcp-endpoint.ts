// The MCP endpoint /servers/<name>/mcp (Streamable HTTP), as a list of small named steps
// (STYLE 13): host and origin, server, identity, then by method: POST (content type, body
// limit, JSON-RPC shape, revision, session) → upstream; GET stream; DELETE.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logging/logger.ts';
import {
  ErrorCode, MAX_NESTING, isNotification, isRequest, metaOf, nestedDeeperThan, validateMessage, type JsonRpcId, type JsonRpcRequest,
} from '../jsonrpc/messages.ts';
import { ALL_REVISIONS, META, STATELESS_REVISION, negotiateVersion } from '../sessions/protocol.ts';
import { ResponseSink, type Accepts } from '../sessions/response-sink.ts';
import { newSessionId, type ActivityRecord, type Session } from '../sessions/session.ts';
import type { SessionRouter } from '../sessions/session-router.ts';
import type { UpstreamPool } from '../upstream/child-pool.ts';
import type { Multiplexer } from '../upstream/multiplexer.ts';
import { GatewayError, sendGatewayError, sendJsonRpcError } from './http-errors.ts';
import { readBody } from './body.ts';
import type { RequestGuard } from './request-guard.ts';
import { handleStateless } from './stateless.ts';
import type { LocalTools } from '../sessions/local-tools.ts';
import { LimitError, type RequestBudget } from '../sessions/limits.ts';
import type { PermissionGate } from '../permissions/gate.ts';

/** Who is calling. Sign-in replaces the local identity with the token's user. */
export interface Identity { user: string }

/**
 * The seam sign-in plugs into: resolves the caller of a request, or answers the request itself
 * (401 with WWW-Authenticate, 403) and returns undefined.
 */
export type Identify = (req: IncomingMessage, res: ServerResponse, server: string) => Promise<Identity | undefined> | Identity | undefined;

/** Until sign-in exists, everyone on loopback is the one local user. */
export const localIdentity: Identify = () => ({ user: 'local' });

export interface McpEndpointDeps {
  /** The servers being served right now (enabled ones). */
  hasServer: (name: string) => boolean;
  pool: UpstreamPool;
  sessions: SessionRouter;
  guard: RequestGuard;
  identify: Identify;
  maxBodyBytes: number;
  logger: Logger;
  onactivity?: (record: ActivityRecord) => void;
  /** Tools the gateway adds to a server for a user (reconfigure). */
  localTools?: LocalTools;
  /** Each person's requests in flight, against their limit. */
  budget?: RequestBudget;
  /** The servers' permissions: what each person may see and use. */
  gate?: PermissionGate;
  /** A client that takes nothing of what waits for it this long is disconnected. */
  slowClientMs?: number;
  /** Replicas: session ids start with `<prefix>.` to name the one that holds them (replica-forward.ts). */
  sessionIdPrefix?: string;
  /** Replicas: passes a 2026-07-28 retry on to the replica its requestState names; false if none. */
  passOnParked?: (req: IncomingMessage, res: ServerResponse, token: string, body: string) => Promise<boolean>;
}

export type McpHandler = (req: IncomingMessage, res: ServerResponse, server: string) => Promise<void>;

export function createMcpHandler(deps: McpEndpointDeps): McpHandler {
  return async (req, res, server) => {
    try {
      if (!deps.guard.hostAllowed(req)) throw new GatewayError(403, ErrorCode.InvalidRequest, 'Host not allowed');
      if (!deps.guard.originAllowed(req)) throw new GatewayError(403, ErrorCode.InvalidRequest, 'Origin not allowed');
      if (deps.guard.cors(req, res)) return;
      if (!deps.hasServer(server)) throw new GatewayError(404, ErrorCode.InvalidRequest, `no server named "${server}" is published here`);
      const identity = await deps.identify(req, res, server);
      if (!identity) return;
      switch (req.method) {
        case 'POST': return await post(deps, req, res, server, identity);
        case 'GET': return get(deps, req, res, server, identity);
        case 'DELETE': return del(deps, req, res, server, identity);
        default: throw new GatewayError(405, ErrorCode.InvalidRequest, `method ${req.method} not allowed`, { headers: { allow: 'GET, POST, DELETE, OPTIONS' } });
      }
    } catch (e) {
      if (!(e instanceof GatewayError)) deps.logger.error({ err: (e as Error).message }, 'unexpected error in the MCP endpoint');
      sendGatewayError(res, e);
    }
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Step: a supported MCP-Protocol-Version header, when one is sent (spec: 400 otherwise). */
function checkVersionHeader(req: IncomingMessage): string | undefined {
  const v = header(req, 'mcp-protocol-version');
  if (v !== undefined && !ALL_REVISIONS.includes(v)) {
    throw new GatewayError(400, ErrorCode.InvalidRequest, `Unsupported protocol version: ${v} (supported: ${ALL_REVISIONS.join(', ')})`);
  }
  return v;
}

/** Step: find the session named by Mcp-Session-Id (400 when missing, 404 when unknown). */
function findSession(deps: McpEndpointDeps, req: IncomingMessage, server: string, identity: Identity, id?: JsonRpcId): Session {
  const sessionId = header(req, 'mcp-session-id');
  const rpcId = id ?? null;
  if (!sessionId) throw new GatewayError(400, ErrorCode.InvalidRequest, 'Bad Request: Mcp-Session-Id header is required', { id: rpcId });
  const session = deps.sessions.get(sessionId, server, identity.user);
  if (!session) throw new GatewayError(404, ErrorCode.SessionNotFound, 'Session not found', { id: rpcId });
  // Its upstream was replaced (the server's settings changed): the client must start over.
  if (session.mux.state === 'closed') {
    deps.sessions.close(session, 'its server was reconfigured');
    throw new GatewayError(404, ErrorCode.SessionNotFound, 'Session not found (the server was reconfigured)', { id: rpcId });
  }
  return session;
}

/** The top-level id of a parsed body, when it has a usable one. */
function idOf(parsed: unknown): JsonRpcId | null {
  const id = parsed && typeof parsed === 'object' ? (parsed as { id?: unknown }).id : undefined;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
}

function acceptsOf(req: IncomingMessage): Accepts {
  const accept = (header(req, 'accept') ?? '*/*').toLowerCase();
  const any = accept.includes('*/*');
  return { json: any || accept.includes('application/json'), sse: any || accept.includes('text/event-stream') };
}

async function post(deps: McpEndpointDeps, req: IncomingMessage, res: ServerResponse, server: string, identity: Identity): Promise<void> {
  const contentType = (header(req, 'content-type') ?? '').toLowerCase();
  if (!contentType.startsWith('application/json')) {
    req.resume();
    throw new GatewayError(415, ErrorCode.InvalidRequest, 'Unsupported Media Type: Content-Type must be application/json');
  }
  const accepts = acceptsOf(req);
  if (!accepts.json && !accepts.sse) {
    req.resume();
    throw new GatewayError(406, ErrorCode.InvalidRequest, 'Not Acceptable: Accept must include application/json and text/event-stream');
  }
  const text = await readBody(req, deps.maxBodyBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GatewayError(400, ErrorCode.ParseError, 'Parse error: the body is not valid JSON');
  }
  // Nesting deeper than MAX_NESTING takes at least twice that many characters: small bodies cannot.
  if (text.length > 2 * MAX_NESTING && nestedDeeperThan(parsed)) {
    throw new GatewayError(400, ErrorCode.InvalidRequest, `Invalid Request: the message is nested deeper than ${MAX_NESTING} levels`, { id: idOf(parsed) });
  }
  if (Array.isArray(parsed)) {
    throw new GatewayError(400, ErrorCode.InvalidRequest, 'Invalid Request: JSON-RPC batches are not supported (removed in MCP 2025-06-18); send one message per request');
  }
  const valid = validateMessage(parsed);
  if (!valid.ok) throw new GatewayError(400, ErrorCode.InvalidRequest, `Invalid Request: ${valid.reason}`, { id: valid.id });
  const message = valid.message;

  // The stateless revision is told apart by the version in _meta (or in the header).
  const headerVersion = header(req, 'mcp-protocol-version');
  const meta = 'method' in message ? metaOf(message) : undefined;
  if (meta?.[META.protocolVersion] !== undefined || headerVersion === STATELESS_REVISION) {
    return handleStateless(deps, req, res, server, identity, message, accepts);
  }
  checkVersionHeader(req);

  if (isRequest(message) && message.method === 'initialize') return initialize(deps, res, server, identity, message, accepts);

  const session = findSession(deps, req, server, identity, isRequest(message) ? message.id : undefined);
  if (isRequest(message)) {
    session.request(message, new ResponseSink(res, accepts, { slowClientMs: deps.slowClientMs }));
  } else {
    if (isNotification(message)) session.notify(message);
    else session.respond(message);
    res.writeHead(202).end();
  }
}

/** Step: a new session. The upstream is started (or reused) and its cached result answers. */
async function initialize(deps: McpEndpointDeps, res: ServerResponse, server: string, identity: Identity, message: JsonRpcRequest, accepts: Accepts): Promise<void> {
  const params = message.params ?? {};
  const id = deps.sessionIdPrefix ? `${deps.sessionIdPrefix}.${newSessionId()}` : newSessionId();
  let mux;
  try {
    deps.sessions.makeRoom(identity.user);
    mux = acquire(deps, server, identity.user, id);
  } catch (e) {
    if (e instanceof LimitError) return sendJsonRpcError(res, 200, message.id, e.code, e.message);
    throw e;
  }
  let init;
  try {
    init = await mux.start();
  } catch (e) {
    deps.logger.warn({ server, err: (e as Error).message }, 'server failed to start');
    return sendJsonRpcError(res, 200, message.id, ErrorCode.InternalError, `the server "${server}" could not start: ${(e as Error).message}`);
  }
  const version = negotiateVersion(params.protocolVersion);
  const session = deps.sessions.create({
    id, server, user: identity.user, protocolVersion: version, mux, onactivity: deps.onactivity,
    localTools: deps.localTools?.(server, identity.user),
    budget: deps.budget,
    gate: deps.gate,
    clientInfo: params.clientInfo as Record<string, unknown> | undefined,
    capabilities: params.capabilities as Record<string, unknown> | undefined,
  });
  const sink = new ResponseSink(res, accepts, { headers: { 'mcp-session-id': session.id } });
  sink.finish({ jsonrpc: '2.0', id: message.id, result: { ...init, protocolVersion: version } });
}

/** The upstream for a new session; at the process limit an idle session's own process makes room first. */
function acquire(deps: McpEndpointDeps, server: string, user: string, sessionId: string): Multiplexer {
  try {
    return deps.pool.acquire(server, user, sessionId);
  } catch (e) {
    if (!(e instanceof LimitError) || !deps.sessions.evictIdle(user, (s) => deps.pool.ownsProcessAlone(s.mux), e.limit)) throw e;
    return deps.pool.acquire(server, user, sessionId);
  }
}

function get(deps: McpEndpointDeps, req: IncomingMessage, res: ServerResponse, server: string, identity: Identity): void {
  if (header(req, 'mcp-protocol-version') === STATELESS_REVISION) throw new GatewayError(405, ErrorCode.InvalidRequest, 'Method Not Allowed: the 2026-07-28 revision has no GET stream', { headers: { allow: 'POST' } });
  if (!acceptsOf(req).sse || !(header(req, 'accept') ?? '').includes('text/event-stream')) {
    throw new GatewayError(406, ErrorCode.InvalidRequest, 'Not Acceptable: Accept must include text/event-stream');
  }
  checkVersionHeader(req);
  const session = findSession(deps, req, server, identity);
  const sink = new ResponseSink(res, { json: false, sse: true }, { headers: { 'mcp-session-id': session.id }, slowClientMs: deps.slowClientMs });
  if (!session.openStream(sink, header(req, 'last-event-id'))) throw new GatewayError(409, ErrorCode.InvalidRequest, 'Conflict: only one GET stream is allowed per session');
}

function del(deps: McpEndpointDeps, req: IncomingMessage, res: ServerResponse, server: string, identity: Identity): void {
  if (header(req, 'mcp-protocol-version') === STATELESS_REVISION) throw new GatewayError(405, ErrorCode.InvalidRequest, 'Method Not Allowed: the 2026-07-28 revision has no sessions', { headers: { allow: 'POST' } });
  const session = findSession(deps, req, server, identity);
  deps.sessions.close(session, 'the session was deleted by the client');
  res.writeHead(200).end();
}
