// Error answers of the public gateway, in one place: JSON-RPC error bodies with the right HTTP
// status, never a stack trace (STYLE 3).
import type { ServerResponse } from 'node:http';
import { errorResponse, type JsonRpcId } from '../jsonrpc/messages.ts';
import { CodedError } from '../errors.ts';

/** An error a handler step raises, `code` a JSON-RPC one; `expose` (default true) says its message may reach a remote client. */
export class GatewayError extends CodedError<number> {
  constructor(
    readonly status: number,
    code: number,
    message: string,
    readonly options: { id?: JsonRpcId | null; data?: unknown; headers?: Record<string, string>; expose?: boolean; cause?: unknown } = {},
  ) {
    super(code, message, { expose: options.expose ?? true, cause: options.cause });
  }
}

export function sendJsonRpcError(res: ServerResponse, status: number, id: JsonRpcId | null, code: number, message: string, data?: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify(errorResponse(id, code, message, data));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function sendGatewayError(res: ServerResponse, e: unknown): void {
  if (e instanceof GatewayError) {
    sendJsonRpcError(res, e.status, e.options.id ?? null, e.code, e.expose ? e.message : 'internal error', e.options.data, e.options.headers);
  } else {
    sendJsonRpcError(res, 500, null, -32603, 'internal error');
  }
}
