// Reading a request body with a size limit: over the limit the request is refused with 413
// before the rest is read into memory.
import type { IncomingMessage } from 'node:http';
import { GatewayError } from './http-errors.ts';
import { ErrorCode } from '../jsonrpc/messages.ts';

export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new GatewayError(413, ErrorCode.InvalidRequest, `request body too large (limit ${limit} bytes)`, { headers: { connection: 'close' } }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(new GatewayError(413, ErrorCode.InvalidRequest, `request body too large (limit ${limit} bytes)`, { headers: { connection: 'close' } }));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => { if (!failed) resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')); });
    req.on('error', (e) => { if (!failed) { failed = true; reject(new GatewayError(400, ErrorCode.InvalidRequest, `could not read the request: ${e.message}`)); } });
  });
}
