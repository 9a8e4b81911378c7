// One HTTP exchange that carries messages to a client: the response to a POST (plain JSON when
// nothing needs streaming, else an SSE stream opened on the first message that does) or a GET
// stream. It reports when the client stops taking what is written (so the server feeding it can
// be paused) and cuts a client that takes nothing for too long.
import type { ServerResponse } from 'node:http';
import { errorResponse, type JsonRpcId, type JsonRpcMessage } from '../jsonrpc/messages.ts';

/** What the client said it accepts (`Accept`). */
export interface Accepts { json: boolean; sse: boolean }

export interface SinkOptions {
  /** Added to the response (Mcp-Session-Id). */
  headers?: Record<string, string>;
  /** A client that takes nothing of what waits for it this long is disconnected; default never. */
  slowClientMs?: number;
}

/** LSP's RequestCancelled: what a JSON-only client gets for a request it cancelled. */
export const REQUEST_CANCELLED = -32800;

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  // DESIGN §5: tunnels and reverse proxies buffer streams otherwise.
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
  connection: 'keep-alive',
};

/** One SSE event carrying a JSON-RPC message; `id` makes it resumable. */
export function sseEvent(data: string, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: message\ndata: ${data}\n\n`;
}

export class ResponseSink {
  /** True once SSE headers are out. */
  streaming = false;
  /** True once the HTTP response ended or the client went away. */
  done = false;
  /** The client's request this sink answers (POST); for activity records and error answers. */
  requestId?: JsonRpcId;
  method?: string;
  name?: string;
  started = 0;
  /** Called once when the response ends or the connection drops. */
  onclose?: () => void;
  /** Called with true when what is written starts waiting on the client, with false when it flows again or the exchange ended. */
  oncongestion?: (congested: boolean) => void;
  private congested = false;
  private corked = false;
  private slowTimer?: NodeJS.Timeout;
  private lastWrite = Date.now();

  constructor(
    readonly res: ServerResponse,
    /** What the client accepts: a lone response goes as plain JSON when it may. */
    readonly accepts: Accepts,
    private readonly options: SinkOptions = {},
  ) {
    res.once('close', () => this.closed());
  }

  private closed(): void {
    if (this.done) return;
    this.done = true;
    this.uncongest();
    this.onclose?.();
  }

  /** Opens the SSE stream now (GET, or a POST whose client only accepts SSE). */
  openStream(): void {
    if (this.streaming || this.done) return;
    this.streaming = true;
    this.res.writeHead(200, { ...SSE_HEADERS, ...this.options.headers });
    this.res.flushHeaders();
  }

  /** Writes raw SSE text (events, comments), opening the stream if needed. */
  send(text: string): void {
    if (this.done) return;
    if (!this.streaming) this.openStream();
    this.lastWrite = Date.now();
    // Events written in the same tick go out in one write.
    if (!this.corked) {
      this.corked = true;
      this.res.cork();
      process.nextTick(() => { this.corked = false; this.res.uncork(); });
    }
    if (!this.res.write(text) && !this.congested) this.congest();
  }

  /** Sends a message that is not the final response (progress, a log line, a server request). */
  write(message: JsonRpcMessage, id?: string): void {
    this.send(sseEvent(JSON.stringify(message), id));
  }

  /** Sends the final response and ends the HTTP exchange; `status` replaces 200 when nothing was streamed yet. */
  finish(message: JsonRpcMessage, options: { status?: number; id?: string } = {}): void {
    if (this.done) return;
    if (!this.streaming && (this.accepts.json || options.status !== undefined)) {
      const body = JSON.stringify(message);
      this.res.writeHead(options.status ?? 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...this.options.headers });
      this.res.end(body);
    } else {
      if (!this.streaming) this.openStream();
      this.res.end(sseEvent(JSON.stringify(message), options.id));
    }
    this.closed();
  }

  /**
   * Ends the exchange of a request the client cancelled: nothing more is sent for it (spec), so an
   * SSE stream just ends; a client that takes only JSON gets an error naming the cancellation.
   */
  cancel(): void {
    if (this.done) return;
    if (!this.streaming && !this.accepts.sse) return this.finish(errorResponse(this.requestId ?? null, REQUEST_CANCELLED, 'the request was cancelled by the client'));
    this.end();
  }

  /** Ends the exchange of a request that will never be answered, with a JSON-RPC error saying why. */
  fail(code: number, message: string): void {
    if (this.done) return;
    if (this.requestId === undefined) return this.end();
    this.finish(errorResponse(this.requestId, code, message));
  }

  /** Ends the exchange without a message: an SSE stream that is over (opened first if need be). */
  end(): void {
    if (this.done) return;
    this.openStream();
    this.res.end();
    this.closed();
  }

  /** A comment line that keeps idle proxies and tunnels from closing the stream (when it has been quiet `quietMs`). */
  keepAlive(quietMs = 0): void {
    if (this.streaming && !this.done && Date.now() - this.lastWrite >= quietMs) this.send(': keep-alive\n\n');
  }

  private congest(): void {
    this.congested = true;
    this.oncongestion?.(true);
    this.res.once('drain', () => this.uncongest());
    const ms = this.options.slowClientMs;
    if (ms) {
      this.slowTimer = setTimeout(() => {
        // The client has taken nothing for `ms`: let it go (it may resume the stream later).
        this.res.destroy();
      }, ms);
      this.slowTimer.unref();
    }
  }

  private uncongest(): void {
    if (!this.congested) return;
    this.congested = false;
    clearTimeout(this.slowTimer);
    this.oncongestion?.(false);
  }
}
