// One client session on one server: the open HTTP exchanges it has (POSTs waiting for their
// response, at most one GET stream) and the multiplexer it is attached to. It decides which
// stream each message from the server goes on.
import { randomBytes } from 'node:crypto';
import {
  ErrorCode, isResponse, type JsonRpcId, type JsonRpcMessage, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse,
} from '../jsonrpc/messages.ts';
import type { Multiplexer, MuxClient } from '../upstream/multiplexer.ts';
import type { ResponseSink } from './response-sink.ts';
import { appendLocalTools, findLocalTool, type LocalTool } from './local-tools.ts';
import { CLIENT_CAPABILITY_OF } from './protocol.ts';
import type { RequestBudget } from './limits.ts';

/** What happened on a finished call, for the activity feed. */
export interface ActivityRecord {
  at: number;
  server: string;
  user: string;
  session: string;
  method: string;
  /** The tool, prompt or resource named by the call. */
  name?: string;
  ms: number;
  ok: boolean;
  error?: string;
}

export interface SessionInit {
  /** The Mcp-Session-Id; default a new random one. */
  id?: string;
  server: string;
  user: string;
  protocolVersion: string;
  clientInfo?: Record<string, unknown>;
  capabilities?: Record<string, unknown>;
  mux: Multiplexer;
  onactivity?: (record: ActivityRecord) => void;
  /** Tools the gateway adds for this user (reconfigure). */
  localTools?: LocalTool[];
  /** Counts this person's requests in flight against their limit; default no limit. */
  budget?: RequestBudget;
}

/** 128 random bits in base64url: visible ASCII as the spec requires, unguessable. */
export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

const TRACKED = new Set(['tools/call', 'prompts/get', 'resources/read']);

export class Session implements MuxClient {
  readonly id: string;
  readonly server: string;
  readonly user: string;
  readonly protocolVersion: string;
  readonly clientInfo?: Record<string, unknown>;
  readonly capabilities?: Record<string, unknown>;
  readonly mux: Multiplexer;
  readonly createdAt = Date.now();
  lastActive = Date.now();
  closed = false;
  private posts = new Map<JsonRpcId, ResponseSink>();
  private stream?: ResponseSink;
  private readonly onactivity?: (record: ActivityRecord) => void;
  private readonly localTools: LocalTool[];
  private readonly budget?: RequestBudget;

  constructor(init: SessionInit) {
    this.id = init.id ?? newSessionId();
    this.server = init.server;
    this.user = init.user;
    this.protocolVersion = init.protocolVersion;
    this.clientInfo = init.clientInfo;
    this.capabilities = init.capabilities;
    this.mux = init.mux;
    this.onactivity = init.onactivity;
    this.localTools = init.localTools ?? [];
    this.budget = init.budget;
    this.mux.attach(this);
  }

  /** True while a request is open or a GET stream is connected. */
  get busy(): boolean { return this.posts.size > 0 || (this.stream !== undefined && !this.stream.done); }

  /** A client request: its response (and what relates to it) goes to `sink`. */
  request(message: JsonRpcRequest, sink: ResponseSink): void {
    this.lastActive = Date.now();
    if (message.method === 'ping') return sink.finish({ jsonrpc: '2.0', id: message.id, result: {} });
    const id = message.id;
    if (this.posts.has(id)) {
      return sink.finish({ jsonrpc: '2.0', id, error: { code: -32600, message: `a request with id ${JSON.stringify(id)} is already in flight` } });
    }
    if (this.localTools.length && message.method === 'tools/call') {
      const local = findLocalTool(message.params, this.localTools);
      if (local) {
        local.call((message.params?.arguments ?? {}) as Record<string, unknown>).then(
          (result) => sink.finish({ jsonrpc: '2.0', id, result }),
          (e: Error) => sink.finish({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: e.message }], isError: true } }),
        );
        return;
      }
    }
    let release = () => {};
    if (this.budget) {
      try {
        release = this.budget.take(this.user);
      } catch (e) {
        return sink.finish({ jsonrpc: '2.0', id, error: { code: ErrorCode.LimitReached, message: (e as Error).message } });
      }
    }
    sink.requestId = id;
    sink.method = message.method;
    if (TRACKED.has(message.method) && this.onactivity) {
      sink.started = performance.now();
      const p = message.params;
      sink.name = typeof p?.name === 'string' ? p.name : typeof p?.uri === 'string' ? p.uri : undefined;
    }
    this.posts.set(id, sink);
    sink.onclose = () => {
      release();
      // Spec: a dropped connection is not a cancellation; the late answer is dropped.
      if (this.posts.get(id) === sink) this.posts.delete(id);
    };
    this.mux.request(this, message);
  }

  notify(message: JsonRpcNotification): void {
    this.lastActive = Date.now();
    // Read before the multiplexer rewrites it to the child's id (DESIGN §5: look the request up
    // by the client's id before any rewriting).
    const requestId = message.method === 'notifications/cancelled' ? message.params?.requestId as JsonRpcId | undefined : undefined;
    this.mux.notify(this, message);
    // A cancelled request gets no answer (spec): end its HTTP exchange instead of leaving it open.
    const sink = requestId === undefined ? undefined : this.posts.get(requestId);
    if (sink) {
      this.posts.delete(requestId!);
      sink.cancel();
    }
  }

  respond(message: JsonRpcResponse): void {
    this.lastActive = Date.now();
    this.mux.respond(this, message);
  }

  /** Opens the session's GET stream; false if one is open already. */
  openStream(sink: ResponseSink): boolean {
    if (this.stream && !this.stream.done) return false;
    this.stream = sink;
    sink.openStream();
    sink.onclose = () => { if (this.stream === sink) this.stream = undefined; };
    return true;
  }

  deliver(message: JsonRpcMessage, related?: JsonRpcId): boolean {
    if (this.closed) return false;
    if (isResponse(message)) {
      const id = message.id as JsonRpcId;
      const sink = this.posts.get(id);
      if (!sink) return false;
      this.posts.delete(id);
      if (sink.method === 'tools/list' && this.localTools.length && message.result) appendLocalTools(message.result, this.localTools);
      if (sink.started && this.onactivity) this.record(sink, message);
      sink.finish(message);
      return true;
    }
    // A request the client's capabilities do not cover is refused (the multiplexer answers the server).
    if ('id' in message && 'method' in message) {
      const needs = CLIENT_CAPABILITY_OF[message.method];
      if (needs && this.capabilities?.[needs] === undefined) return false;
    }
    // Related messages go on their request's stream; others on the GET stream, else on the
    // newest open request's stream (it is most likely what caused them), else nowhere.
    let sink = related !== undefined ? this.posts.get(related) : undefined;
    if (!sink || sink.done) sink = this.stream && !this.stream.done ? this.stream : this.newestPost();
    if (!sink) return false;
    sink.write(message);
    return true;
  }

  private newestPost(): ResponseSink | undefined {
    let last: ResponseSink | undefined;
    for (const s of this.posts.values()) if (!s.done) last = s;
    return last;
  }

  private record(sink: ResponseSink, message: JsonRpcResponse): void {
    const result = message.result as { isError?: boolean } | undefined;
    const ok = !message.error && result?.isError !== true;
    this.onactivity!({
      at: Date.now(), server: this.server, user: this.user, session: this.id, method: sink.method!, name: sink.name,
      ms: Math.round((performance.now() - sink.started) * 10) / 10, ok,
      error: message.error?.message,
    });
  }

  keepAlive(): void {
    this.stream?.keepAlive();
    for (const s of this.posts.values()) s.keepAlive();
  }

  /**
   * Ends the session: detaches from the upstream (cancelling its requests) and ends its streams;
   * a request still open is answered with an error saying `why`.
   */
  close(why = 'the session ended'): void {
    if (this.closed) return;
    this.closed = true;
    this.mux.detach(this);
    for (const sink of this.posts.values()) sink.fail(ErrorCode.ConnectionClosed, why);
    this.posts.clear();
    this.stream?.end();
    this.stream = undefined;
  }
}
