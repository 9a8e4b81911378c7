// JSON-RPC 2.0 as MCP uses it: message types, the spec's error codes, and shape validation.
// Messages pass through the gateway as plain JSON; only what routing needs is read or rewritten.

export type JsonRpcId = string | number;
export type Params = Record<string, unknown>;

export interface JsonRpcRequest { jsonrpc: '2.0'; id: JsonRpcId; method: string; params?: Params }
export interface JsonRpcNotification { jsonrpc: '2.0'; method: string; params?: Params }
export interface JsonRpcErrorObject { code: number; message: string; data?: unknown }
export interface JsonRpcResponse { jsonrpc: '2.0'; id: JsonRpcId | null; result?: unknown; error?: JsonRpcErrorObject }
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

/** JSON-RPC 2.0 §5.1 codes, plus the ones MCP and its SDKs use. */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** SDK: connection closed; we use it for "the server process exited". */
  ConnectionClosed: -32000,
  /** SDK: request timed out; also "session not found" on the HTTP transport. */
  RequestTimeout: -32001,
  SessionNotFound: -32001,
  /** Ours: a per-person limit was reached (the message names the setting). */
  LimitReached: -32099,
  /** Ours: the server's permissions do not let this person use what the request names (the message names the rule). */
  PermissionDenied: -32098,
} as const;

export function isRequest(m: JsonRpcMessage): m is JsonRpcRequest {
  return 'method' in m && 'id' in m && m.id !== undefined;
}
export function isNotification(m: JsonRpcMessage): m is JsonRpcNotification {
  return 'method' in m && !('id' in m && m.id !== undefined);
}
export function isResponse(m: JsonRpcMessage): m is JsonRpcResponse {
  return !('method' in m);
}

export function errorResponse(id: JsonRpcId | null, code: number, message: string, data?: unknown): JsonRpcResponse {
  const error: JsonRpcErrorObject = data === undefined ? { code, message } : { code, message, data };
  return { jsonrpc: '2.0', id, error };
}

export type Validation = { ok: true; message: JsonRpcMessage } | { ok: false; reason: string; id: JsonRpcId | null };

function isId(v: unknown): v is JsonRpcId {
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

/** Checks one parsed value is a JSON-RPC 2.0 request, notification or response. */
export function validateMessage(value: unknown): Validation {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'a JSON-RPC message must be an object', id: null };
  const m = value as Record<string, unknown>;
  const id = isId(m.id) ? m.id : null;
  if (m.jsonrpc !== '2.0') return { ok: false, reason: '"jsonrpc" must be "2.0"', id };
  if (m.params !== undefined && (m.params === null || typeof m.params !== 'object' || Array.isArray(m.params))) {
    return { ok: false, reason: '"params" must be an object', id };
  }
  if ('method' in m) {
    if (typeof m.method !== 'string' || m.method === '') return { ok: false, reason: '"method" must be a non-empty string', id };
    if ('id' in m && !isId(m.id)) return { ok: false, reason: '"id" must be a string or a number', id: null };
    return { ok: true, message: m as unknown as JsonRpcMessage };
  }
  if (!('id' in m) || (!isId(m.id) && m.id !== null)) return { ok: false, reason: 'a message needs "method" (request or notification) or "id" (response)', id };
  const hasResult = 'result' in m;
  const hasError = 'error' in m;
  if (hasResult === hasError) return { ok: false, reason: 'a response needs exactly one of "result" and "error"', id };
  if (hasError) {
    const e = m.error as Record<string, unknown> | null;
    if (!e || typeof e !== 'object' || typeof e.code !== 'number' || typeof e.message !== 'string') {
      return { ok: false, reason: '"error" needs a numeric "code" and a string "message"', id };
    }
  }
  return { ok: true, message: m as unknown as JsonRpcMessage };
}

/** The `_meta` object of a message's params, if any. */
export function metaOf(m: { params?: Params }): Record<string, unknown> | undefined {
  const meta = m.params?._meta;
  return meta && typeof meta === 'object' ? (meta as Record<string, unknown>) : undefined;
}

/**
 * Deepest nesting of objects and arrays a message may have. JSON.parse takes any depth, but
 * JSON.stringify (and every recursive reader after it) overflows the stack long before 10,000:
 * deeper input is refused at the edge, before anything is forwarded.
 */
export const MAX_NESTING = 128;

/** True when `value` nests objects or arrays deeper than `max` (checked without recursion). */
export function nestedDeeperThan(value: unknown, max = MAX_NESTING): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}
