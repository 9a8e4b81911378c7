// One client session on one server: its requests waiting for an answer, its SSE streams (one per
// POST that streams, and the GET stream), and the multiplexer it is attached to. It decides which
// stream each message from the server goes on, numbers the events so a dropped stream can be
// taken up again, and tells the multiplexer when a client stops taking what it is sent.
import { randomBytes } from 'node:crypto';
import {
  ErrorCode, errorResponse, isResponse, type JsonRpcId, type JsonRpcMessage, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse,
} from '../jsonrpc/messages.ts';
import type { Multiplexer, MuxClient } from '../upstream/multiplexer.ts';
import { sseEvent, type ResponseSink } from './response-sink.ts';
import { appendLocalTools, findLocalTool, type LocalTool } from './local-tools.ts';
import { CLIENT_CAPABILITY_OF } from './protocol.ts';
import type { RequestBudget } from './limits.ts';
import { EventLog, Stream, parseEventId } from './event-log.ts';

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

/** How long streams can be taken up again, and what that may cost. */
export interface ReplayOptions {
  /** Bytes of recent events kept per session; default 1 MiB. */
  bytes: number;
  /** How long an event, a finished stream or an abandoned GET stream is kept; default 60 s. */
  windowMs: number;
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
  replay?: ReplayOptions;
}

/** 128 random bits in base64url: visible ASCII as the spec requires, unguessable. */
export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

const TRACKED = new Set(['tools/call', 'prompts/get', 'resources/read']);
/** A POST still unanswered this long is turned into a stream with a first (priming) event id, so a dropped connection can be resumed. */
const PRIME_AFTER_MS = 1000;
/** A stream quiet this long gets a keep-alive comment. */
const KEEPALIVE_MS = 15_000;
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
  /** Streams that can still be taken up again, by number. */
  private streams = new Map<number, Stream>();
  private standalone?: Stream;
  private nextStream = 1;
  private log?: EventLog;
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
    this.mux.attach(this);
  }

  /** True while a request of the session waits for its answer. */
  get working(): boolean { return this.posts.size > 0; }

  /** True while a request is open or a GET stream is connected. */
  get busy(): boolean { return this.posts.size > 0 || (this.standalone?.sink !== undefined && !this.standalone.sink.done); }

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
    let release = () => {};
    try {
      if (this.init.budget) release = this.init.budget.take(this.user);
    } catch (e) {
      return sink.finish(errorResponse(id, ErrorCode.LimitReached, (e as Error).message));
    }
    const p = message.params;
    const tracked = TRACKED.has(message.method) && this.init.onactivity !== undefined;
    const post: Post = {
      id, release, method: message.method, started: tracked ? performance.now() : 0, at: Date.now(),
      name: !tracked ? undefined : typeof p?.name === 'string' ? p.name : typeof p?.uri === 'string' ? p.uri : undefined,
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
    if (post.stream) this.finishStream(post.stream);
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
    const at = parseEventId(lastEventId);
    const stream = at && this.streams.get(at.stream);
    if (stream) return this.resume(stream, at.seq, sink);
    if (this.standalone?.sink && !this.standalone.sink.done) return false;
    const s = new Stream(this.nextStream++, 'get');
    this.streams.set(s.no, s);
    this.standalone = s;
    this.attach(s, sink);
    sink.openStream();
    if (this.protocolVersion >= PRIMING_SINCE) sink.send(`id: ${s.no}.0\ndata: \n\n`);
    return true;
  }

  private resume(stream: Stream, seq: number, sink: ResponseSink): boolean {
    const missed = this.log?.after(stream.no, seq) ?? [];
    if (stream.finished && missed.length === 0) {
      // Everything was delivered: nothing more will come on it.
      sink.res.writeHead(204).end();
      return true;
    }
    stream.sink?.end();
    sink.openStream();
    for (const text of missed) sink.send(text);
    if (stream.finished) return (sink.end(), true);
    if (stream.kind === 'get') this.standalone = stream;
    this.attach(stream, sink);
    return true;
  }

  private attach(stream: Stream, sink: ResponseSink): void {
    stream.sink = sink;
    this.watch(sink);
    sink.onclose = () => {
      if (stream.sink !== sink) return;
      stream.sink = undefined;
      stream.since = Date.now();
    };
  }

  deliver(message: JsonRpcMessage, related?: JsonRpcId): boolean {
    if (this.closed) return false;
    if (isResponse(message)) return this.answer(message);
    // A request the client's capabilities do not cover is refused (the multiplexer answers the server).
    if ('id' in message && 'method' in message) {
      const needs = CLIENT_CAPABILITY_OF[message.method];
      if (needs && this.capabilities?.[needs] === undefined) return false;
    }
    // Related messages go on their request's stream; others on the GET stream (kept while its
    // client reconnects), else on the newest open request's stream, else nowhere.
    const post = related === undefined ? undefined : this.posts.get(related);
    const stream = (post && this.streamOf(post)) ?? this.standalone ?? this.newestStream();
    if (!stream) return false;
    this.send(stream, message);
    return true;
  }

  private answer(message: JsonRpcResponse): boolean {
    const post = this.posts.get(message.id as JsonRpcId);
    if (!post) return false;
    this.posts.delete(post.id);
    post.release();
    if (post.method === 'tools/list' && this.init.localTools?.length && message.result) appendLocalTools(message.result, this.init.localTools);
    if (post.started) this.record(post, message);
    if (post.stream) {
      this.send(post.stream, message, true);
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
    const s = new Stream(this.nextStream++, 'post', post.id);
    this.streams.set(s.no, s);
    s.sink = post.sink;
    post.stream = s;
    return s;
  }

  private newestStream(): Stream | undefined {
    let last: Post | undefined;
    for (const p of this.posts.values()) if (p.sink && !p.sink.done) last = p;
    return last && this.streamOf(last);
  }

  /** Sends a message on a stream under its next event id, keeping it for a resume. */
  private send(stream: Stream, message: JsonRpcMessage, last = false): void {
    const id = stream.nextId();
    const text = sseEvent(JSON.stringify(message), id);
    this.log ??= new EventLog(this.init.replay?.bytes ?? 1024 * 1024, this.init.replay?.windowMs ?? 60_000);
    this.log.add(stream.no, stream.seq, text);
    if (!last) return void stream.sink?.send(text);
    stream.sink?.send(text);
    this.finishStream(stream);
  }

  private finishStream(stream: Stream): void {
    stream.finished = true;
    stream.since = Date.now();
    const sink = stream.sink;
    stream.sink = undefined;
    sink?.end();
  }

  private record(post: Post, message: JsonRpcResponse): void {
    const result = message.result as { isError?: boolean } | undefined;
    const ok = !message.error && result?.isError !== true;
    this.init.onactivity!({
      at: Date.now(), server: this.server, user: this.user, session: this.id, method: post.method, name: post.name,
      ms: Math.round((performance.now() - post.started) * 10) / 10, ok,
      error: message.error?.message,
    });
  }

  /**
   * Called now and then: long calls become resumable streams, quiet streams get keep-alives, and
   * streams nobody can take up any more are forgotten.
   */
  tick(now = Date.now()): void {
    const priming = this.protocolVersion >= PRIMING_SINCE;
    for (const post of this.posts.values()) {
      const sink = post.sink;
      if (!sink || sink.done) continue;
      if (!post.stream && priming && sink.accepts.sse && now - post.at >= PRIME_AFTER_MS) {
        const s = this.streamOf(post)!;
        sink.send(`id: ${s.no}.0\ndata: \n\n`);
      } else sink.keepAlive(KEEPALIVE_MS);
    }
    this.standalone?.sink?.keepAlive(KEEPALIVE_MS);
    const windowMs = this.init.replay?.windowMs ?? 60_000;
    for (const [no, s] of this.streams) {
      if (s.sink || now - s.since < windowMs) continue;
      if (s.finished || s.kind === 'get') {
        this.streams.delete(no);
        if (this.standalone === s) this.standalone = undefined;
      }
    }
    this.log?.trim(now);
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
      if (post.stream) this.send(post.stream, errorResponse(post.id, ErrorCode.ConnectionClosed, why), true);
      else post.sink?.fail(ErrorCode.ConnectionClosed, why);
    }
    this.posts.clear();
    for (const s of this.streams.values()) s.sink?.end();
    this.streams.clear();
    this.standalone = undefined;
  }
}
