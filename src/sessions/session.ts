// One client session on one server: its requests waiting for an answer, its SSE streams (one per
// POST that streams, and the GET stream), and the multiplexer it is attached to. It decides which
// stream each message from the server goes on, numbers the events so a dropped stream can be
// taken up again, and tells the multiplexer when a client stops taking what it is sent.
import { randomBytes } from 'node:crypto';
import {
  ErrorCode, errorResponse, isResponse, type JsonRpcId, type JsonRpcMessage, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse,
} from '../jsonrpc/messages.ts';
import type { Multiplexer, MuxClient } from '../upstream/multiplexer.ts';
import type { ResponseSink } from './response-sink.ts';
import { appendLocalTools, findLocalTool, type LocalTool } from './local-tools.ts';
import { CLIENT_CAPABILITY_OF } from './protocol.ts';
import type { RequestBudget } from './limits.ts';
import type { PermissionGate } from '../permissions/gate.ts';
import { isListMethod } from '../permissions/lists.ts';
import { Streams, KEEPALIVE_MS, type ReplayOptions, type Stream } from './streams.ts';

export type { ReplayOptions } from './streams.ts';

/** What happened on a finished call, for the activity feed. */
export interface ActivityRecord {
  at: number;
  server: string;
  user: string;
  session: string;
  method: string;
  /** The tool, prompt or resource named by the call. */
  name?: string;
  /** The MCP client, as it named itself (clientInfo.name). */
  client?: string;
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
  /** The server's permissions: what this person may see and use; default everything. */
  gate?: PermissionGate;
  replay?: ReplayOptions;
}

/** 128 random bits in base64url: visible ASCII as the spec requires, unguessable. */
export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

const TRACKED = new Set(['tools/call', 'prompts/get', 'resources/read']);
/** A POST still unanswered this long is turned into a stream with a first (priming) event id, so a dropped connection can be resumed. */
const PRIME_AFTER_MS = 1000;
/** 2025-11-25 (SEP-1699) lets servers send an event with an id and empty data first. */
const PRIMING_SINCE = '2025-11-25';

/** A client request waiting for its answer. */
interface Post {
  readonly id: JsonRpcId;
  /** The connection it came on, while it is open. */
  sink?: ResponseSink;
  /** Its SSE stream, once it streams (its events then carry ids and it survives a dropped connection). */
  stream?: Stream;
  readonly release: () => void;
  readonly method: string;
  readonly name?: string;
  /** performance.now() when it came, for activity records (0: not recorded). */
  readonly started: number;
  /** Date.now() when it came. */
  readonly at: number;
}

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
  private posts = new Map<JsonRpcId, Post>();
  private readonly streams: Streams;
  private readonly init: SessionInit;

  constructor(init: SessionInit) {
    this.init = init;
    this.id = init.id ?? newSessionId();
    this.server = init.server;
    this.user = init.user;
    this.protocolVersion = init.protocolVersion;
    this.clientInfo = init.clientInfo;
    this.capabilities = init.capabilities;
    this.mux = init.mux;
    this.streams = new Streams(init.replay, this.protocolVersion >= PRIMING_SINCE, (sink) => this.watch(sink));
    this.mux.attach(this);
  }

  /** The client's own name for itself, for activity records. */
  private get clientName(): string | undefined {
    const name = this.clientInfo?.name;
    return typeof name === 'string' ? name.slice(0, 100) : undefined;
  }

  /** True while a request of the session waits for its answer. */
  get working(): boolean { return this.posts.size > 0; }

  /** True while a request is open or a GET stream is connected. */
  get busy(): boolean { return this.posts.size > 0 || this.streams.getConnected; }

  /** A client request: its answer (and what relates to it) goes to `sink`. */
  request(message: JsonRpcRequest, sink: ResponseSink): void {
    this.lastActive = Date.now();
    const id = message.id;
    sink.requestId = id;
    if (message.method === 'ping') return sink.finish({ jsonrpc: '2.0', id, result: {} });
    if (this.posts.has(id)) return sink.finish(errorResponse(id, ErrorCode.InvalidRequest, `a request with id ${JSON.stringify(id)} is already in flight`));
    const local = message.method === 'tools/call' ? findLocalTool(message.params, this.init.localTools ?? []) : undefined;
    if (local) {
      local.call((message.params?.arguments ?? {}) as Record<string, unknown>).then(
        (result) => sink.finish({ jsonrpc: '2.0', id, result }),
        (e: Error) => sink.finish({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: e.message }], isError: true } }),
      );
      return;
    }
    const refused = this.init.gate?.check(this.server, this.user, message, this.mux, this);
    if (refused instanceof Promise) {
      refused.then(
        (r) => (this.closed ? sink.fail(ErrorCode.ConnectionClosed, 'the session ended') : r ? this.refuse(message, r, sink) : this.forward(message, sink)),
        (e: Error) => sink.fail(ErrorCode.InternalError, e.message),
      );
      return;
    }
    if (refused) return this.refuse(message, refused, sink);
    this.forward(message, sink);
  }

  /** A request the server's permissions do not allow: answered here, recorded, never sent on. */
  private refuse(message: JsonRpcRequest, refusal: JsonRpcResponse, sink: ResponseSink): void {
    if (TRACKED.has(message.method)) this.init.onactivity?.({
      at: Date.now(), server: this.server, user: this.user, session: this.id, client: this.clientName, method: message.method, name: nameOf(message), ms: 0, ok: false, error: refusal.error?.message,
    });
    sink.finish(refusal);
  }

  private forward(message: JsonRpcRequest, sink: ResponseSink): void {
    const id = message.id;
    let release = () => {};
    try {
      if (this.init.budget) release = this.init.budget.take(this.user);
    } catch (e) {
      return sink.finish(errorResponse(id, ErrorCode.LimitReached, (e as Error).message));
    }
    const tracked = TRACKED.has(message.method) && this.init.onactivity !== undefined;
    const post: Post = {
      id, release, method: message.method, started: tracked ? performance.now() : 0, at: Date.now(),
      name: tracked ? nameOf(message) : undefined,
    };
    this.posts.set(id, post);
    this.bind(post, sink);
    this.mux.request(this, message);
  }

  private bind(post: Post, sink: ResponseSink): void {
    post.sink = sink;
    this.watch(sink);
    sink.onclose = () => {
      if (post.sink !== sink) return;
      post.sink = undefined;
      if (post.stream) {
        // Spec: a dropped connection is not a cancellation. A stream whose events had ids waits
        // for the client to take it up again; its events are kept meanwhile.
        post.stream.sink = undefined;
        post.stream.since = Date.now();
      } else if (this.posts.get(post.id) === post) {
        // Nothing to resume with: the late answer is dropped.
        this.posts.delete(post.id);
        post.release();
      }
    };
  }

  /** Passes a connection's congestion on to the multiplexer, which stops reading the server meanwhile. */
  private watch(sink: ResponseSink): void {
    sink.oncongestion = (congested) => this.mux.congestion(this, congested ? 1 : -1);
  }

  notify(message: JsonRpcNotification): void {
    this.lastActive = Date.now();
    // Read before the multiplexer rewrites it to the child's id (DESIGN §5: look the request up
    // by the client's id before any rewriting).
    const requestId = message.method === 'notifications/cancelled' ? message.params?.requestId as JsonRpcId | undefined : undefined;
    this.mux.notify(this, message);
    // A cancelled request gets no answer (spec): end its HTTP exchange instead of leaving it open.
    const post = requestId === undefined ? undefined : this.posts.get(requestId);
    if (!post) return;
    this.posts.delete(post.id);
    post.release();
    if (post.stream) this.streams.finish(post.stream);
    post.sink?.cancel();
  }

  respond(message: JsonRpcResponse): void {
    this.lastActive = Date.now();
    this.mux.respond(this, message);
  }

  /**
   * A GET: a new standalone stream, or with `Last-Event-ID` the stream it names taken up again
   * (its missed events first). Returns false when a standalone stream is already connected.
   */
  openStream(sink: ResponseSink, lastEventId?: string): boolean {
    this.lastActive = Date.now();
    return this.streams.get(sink, lastEventId);
  }

  deliver(message: JsonRpcMessage, related?: JsonRpcId): boolean {
    if (this.closed) return false;
    if (isResponse(message)) return this.answer(message);
    if (message.method === 'notifications/tools/list_changed') this.init.gate?.forget(this.mux);
    // A request the client's capabilities do not cover is refused (the multiplexer answers the server).
    if ('id' in message && 'method' in message) {
      const needs = CLIENT_CAPABILITY_OF[message.method];
      if (needs && this.capabilities?.[needs] === undefined) return false;
    }
    // Related messages go on their request's stream; others on the GET stream (kept while its
    // client reconnects), else on the newest open request's stream, else nowhere.
    const post = related === undefined ? undefined : this.posts.get(related);
    const stream = (post && this.streamOf(post)) ?? this.streams.getStream ?? this.newestStream();
    if (!stream) return false;
    this.streams.send(stream, message);
    return true;
  }

  private answer(message: JsonRpcResponse): boolean {
    const post = this.posts.get(message.id as JsonRpcId);
    if (!post) return false;
    this.posts.delete(post.id);
    post.release();
    if (this.init.gate && message.result && isListMethod(post.method)) this.init.gate.filter(this.server, this.user, post.method, message.result, this.mux);
    if (post.method === 'tools/list' && this.init.localTools?.length && message.result) appendLocalTools(message.result, this.init.localTools);
    if (post.started) this.record(post, message);
    if (post.stream) {
      this.streams.send(post.stream, message, true);
      return true;
    }
    if (!post.sink) return false;
    post.sink.finish(message);
    return true;
  }

  /** The stream of a request, opened on its connection if it has none yet (not for JSON-only clients). */
  private streamOf(post: Post): Stream | undefined {
    if (post.stream) return post.stream;
    if (!post.sink || post.sink.done || !post.sink.accepts.sse) return undefined;
    post.stream = this.streams.open(post.id, post.sink);
    return post.stream;
  }

  private newestStream(): Stream | undefined {
    let last: Post | undefined;
    for (const p of this.posts.values()) if (p.sink && !p.sink.done) last = p;
    return last && this.streamOf(last);
  }

  private record(post: Post, message: JsonRpcResponse): void {
    const result = message.result as { isError?: boolean } | undefined;
    const ok = !message.error && result?.isError !== true;
    this.init.onactivity!({
      at: Date.now(), server: this.server, user: this.user, session: this.id, client: this.clientName, method: post.method, name: post.name,
      ms: Math.round((performance.now() - post.started) * 10) / 10, ok,
      error: message.error?.message,
    });
  }

  /**
   * Called now and then: long calls become resumable streams, quiet streams get keep-alives, and
   * streams nobody can take up any more are forgotten.
   */
  tick(now = Date.now()): void {
    for (const post of this.posts.values()) {
      const sink = post.sink;
      if (!sink || sink.done) continue;
      if (!post.stream && this.protocolVersion >= PRIMING_SINCE && sink.accepts.sse && now - post.at >= PRIME_AFTER_MS) this.streams.prime(this.streamOf(post)!);
      else sink.keepAlive(KEEPALIVE_MS);
    }
    this.streams.tick(now);
  }

  /**
   * Ends the session: detaches from the upstream (cancelling its requests) and ends its streams;
   * a request still open is answered with an error saying `why`.
   */
  close(why = 'the session ended'): void {
    if (this.closed) return;
    this.closed = true;
    this.mux.detach(this);
    for (const post of this.posts.values()) {
      post.release();
      if (post.stream) this.streams.send(post.stream, errorResponse(post.id, ErrorCode.ConnectionClosed, why), true);
      else post.sink?.fail(ErrorCode.ConnectionClosed, why);
    }
    this.posts.clear();
    this.streams.close();
  }
}

/** The tool, prompt or resource a call names. */
function nameOf(message: JsonRpcRequest): string | undefined {
  const p = message.params;
  return typeof p?.name === 'string' ? p.name : typeof p?.uri === 'string' ? p.uri : undefined;
}
