// Where messages for one HTTP exchange go: the response to a POST (plain JSON when nothing
// needs streaming, else an SSE stream opened on the first message that does) or a GET stream.
import type { ServerResponse } from 'node:http';
import { errorResponse, type JsonRpcId, type JsonRpcMessage } from '../jsonrpc/messages.ts';

/** What the client said it accepts (`Accept`). */
export interface Accepts { json: boolean; sse: boolean }

/** LSP's RequestCancelled: what a JSON-only client gets for a request it cancelled. */
export const REQUEST_CANCELLED = -32800;

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  // DESIGN §5: tunnels and reverse proxies buffer streams otherwise.
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
  connection: 'keep-alive',
};

export class ResponseSink {
  /** True once SSE headers are out. */
  streaming = false;
  /** True once the HTTP response ended or the client went away. */
  done = false;
  /** The client's request this sink answers (POST); for activity records. */
  requestId?: JsonRpcId;
  method?: string;
  name?: string;
  started = 0;
  /** Called once when the response ends or the connection drops. */
  onclose?: () => void;

  constructor(
    readonly res: ServerResponse,
    /** What the client accepts: a lone response goes as plain JSON when it may. */
    private readonly accepts: Accepts,
    private readonly headers: Record<string, string> = {},
  ) {
    res.once('close', () => this.closed());
  }

  private closed(): void {
    if (this.done) return;
    this.done = true;
    this.onclose?.();
  }

  /** Opens the SSE stream now (GET, or a POST whose client only accepts SSE). */
  openStream(): void {
    if (this.streaming || this.done) return;
    this.streaming = true;
    this.res.writeHead(200, { ...SSE_HEADERS, ...this.headers });
    this.res.flushHeaders();
  }

  /** Sends a message that is not the final response (progress, a log line, a server request). */
  write(message: JsonRpcMessage): void {
    if (this.done) return;
    if (!this.streaming) this.openStream();
    this.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  /** Sends the final response and ends the HTTP exchange; `status` replaces 200 when nothing was streamed yet. */
  finish(message: JsonRpcMessage, status?: number): void {
    if (this.done) return;
    if (!this.streaming && (this.accepts.json || status !== undefined)) {
      const body = JSON.stringify(message);
      this.res.writeHead(status ?? 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...this.headers });
      this.res.end(body);
    } else {
      if (!this.streaming) this.openStream();
      this.res.end(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    }
    this.closed();
  }

  /** A comment line that keeps idle proxies and tunnels from closing the stream. */
  keepAlive(): void {
    if (this.streaming && !this.done) this.res.write(': keep-alive\n\n');
  }

  /**
   * Ends the exchange of a request the client cancelled: nothing more is sent for it (spec), so an
   * SSE stream just ends; a client that takes only JSON gets an error naming the cancellation.
   */
  cancel(): void {
    if (this.done) return;
    if (!this.streaming && !this.accepts.sse) return this.finish(errorResponse(this.requestId ?? null, REQUEST_CANCELLED, 'the request was cancelled by the client'));
    this.openStream();
    this.res.end();
    this.closed();
  }

  /** Ends the exchange of a request that will never be answered, with a JSON-RPC error saying why. */
  fail(code: number, message: string): void {
    if (this.done) return;
    if (this.requestId === undefined) return this.end();
    this.finish(errorResponse(this.requestId, code, message));
  }

  /** Ends the exchange without a message (GET stream closed by the server). */
  end(): void {
    if (this.done) return;
    if (!this.streaming) {
      this.res.writeHead(204);
    }
    this.res.end();
    this.closed();
  }
}
