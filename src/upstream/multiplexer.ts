// Lets several client sessions share one upstream (DESIGN §5). The upstream's life cycle is the
// runner's (upstream-runner.ts), which id is which the request table's (request-table.ts), who
// hears what the fan-out policy's (fan-out.ts); this file joins them. Messages stay plain JSON;
// only routing fields are rewritten.
import type { Logger } from '../logging/logger.ts';
import {
  ErrorCode, errorResponse, isRequest, isResponse,
  type JsonRpcId, type JsonRpcMessage, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse,
} from '../jsonrpc/messages.ts';
import type { Upstream, UpstreamExit } from './upstream.ts';
import { RequestTable, type Entry } from './request-table.ts';
import { ServerRequests } from './server-requests.ts';
import { SharedSubscriptions, logTargets, subscribers } from './fan-out.ts';
import { Attached, lingering } from './attached.ts';
import { UpstreamRunner, type InitializeResult, type RunnerState } from './upstream-runner.ts';

export type { InitializeResult } from './upstream-runner.ts';

/** What a session looks like to the multiplexer. */
export interface MuxClient {
  /** Unique per session, for logs. */
  readonly id: string;
  /** Whose session it is: a log line never goes from one user's traffic to another's. */
  readonly user?: string;
  /**
   * Delivers a message from the server. `related` is the id (the client's own) of the client
   * request this message belongs to, when known. Returns false if it could not be delivered
   * (no open stream, capability not declared); the multiplexer then answers a server request
   * with an error itself.
   */
  deliver(message: JsonRpcMessage, related?: JsonRpcId): boolean;
}

export interface MultiplexerOptions {
  /** Makes a fresh upstream each time one is (re)started. */
  createUpstream: () => Upstream;
  logger: Logger;
  /** The revision the gateway asks the upstream for; it may answer an older one. */
  protocolVersion: string;
  clientInfo: { name: string; version: string };
  /** A request (either way) unanswered this long fails with a timeout error. */
  requestTimeoutMs: number;
  /** From spawn to the initialize result; default the request timeout. */
  startTimeoutMs?: number;
  /** Bytes written to the server and not read by it beyond which new requests are refused; default 16 MiB. */
  maxBacklogBytes?: number;
}

export type MuxState = RunnerState;

/**
 * One upstream shared by the sessions attached to it. Ids sent upstream are numbers from one
 * counter, so two sessions using the same ids never collide; the gateway's own requests use
 * string ids (`gw-N`).
 */
export class Multiplexer {
  private readonly runner: UpstreamRunner;
  private readonly clients = new Map<MuxClient, Attached>();
  private readonly table = new RequestTable<Attached>();
  private readonly serverRequests: ServerRequests<Attached>;
  private readonly subscriptions = new SharedSubscriptions<Attached>(() => this.clients.values(), (method, uri) => {
    this.runner.internalRequest(method, { uri }, this.options.requestTimeoutMs).catch((e: Error) => this.options.logger.warn({ err: e.message, method }, 'a subscription change of the gateway\'s own failed'));
  });
  /** Streams of each session that hold more than they can pass on (the upstream is paused while any do). */
  private readonly congested = new Map<MuxClient, number>();
  /** A ping to settle cancelled requests is about to go out (see `fence`). */
  private fencing = false;
  /** Last time a session attached, sent or received something; for idle reaping. */
  lastActive = Date.now();
  /** Called when the last session detaches. */
  onidle?: () => void;
  /** Called when the upstream exits without being asked to. */
  oncrash?: (exit: UpstreamExit) => void;
  /** Called for each sampling or elicitation request the server sends while a call is in flight. */
  onserverrequest?: (method: string) => void;

  constructor(private readonly options: MultiplexerOptions) {
    this.serverRequests = new ServerRequests((m) => this.runner.send(m), options.logger);
    this.runner = new UpstreamRunner({
      ...options,
      startTimeoutMs: options.startTimeoutMs ?? options.requestTimeoutMs,
      onmessage: (m) => this.fromUpstream(m),
      onended: (reason) => this.failForwarded(reason),
      // A restarted upstream is told again what the sessions are subscribed to, before anything else.
      onready: (restarted) => { if (restarted) this.subscriptions.restore(); },
      oncrash: (exit) => this.oncrash?.(exit),
    });
  }

  get state(): MuxState { return this.runner.state; }
  get sessionCount(): number { return this.clients.size; }
  get pid(): number | undefined { return this.runner.pid; }
  get stderr() { return this.runner.stderr; }
  get inflightCount(): number { return this.table.size; }
  get serverRequestCount(): number { return this.serverRequests.size; }
  /** The cached initialize result, once the upstream has started. */
  get initializeResult(): InitializeResult | undefined { return this.runner.init; }
  get lastExit(): UpstreamExit | undefined { return this.runner.lastExit; }
  get failure() { return this.runner.failure; }
  /** Bytes written to the server that it has not read yet. */
  get backlog(): number { return this.runner.backlog; }

  attach(client: MuxClient): void {
    if (this.state === 'closed') throw new Error('this upstream was closed');
    if (!this.clients.has(client)) this.clients.set(client, new Attached(client, this.table));
    this.lastActive = Date.now();
  }

  /** Detaches a session: its requests in flight are cancelled upstream, its subscriptions dropped. */
  detach(client: MuxClient): void {
    const a = this.clients.get(client);
    if (!a) return;
    this.clients.delete(client);
    if (this.congested.delete(client)) this.runner.setPaused(this.congested.size > 0);
    for (const entry of this.table.entries(a)) this.cancelUpstream(entry, 'the client session ended');
    this.serverRequests.left(a);
    this.subscriptions.left(a);
    this.lastActive = Date.now();
    if (this.clients.size === 0) this.onidle?.();
  }

  /** Starts the upstream if needed and resolves with its initialize result. */
  start(): Promise<InitializeResult> { return this.runner.start(); }

  /** Forwards a session's request upstream, starting the upstream first if needed. */
  request(client: MuxClient, message: JsonRpcRequest, onResult?: Entry<Attached>['onResult']): void {
    const a = this.clients.get(client);
    if (!a) return void client.deliver(errorResponse(message.id, ErrorCode.InternalError, 'session is not attached'), message.id);
    this.lastActive = Date.now();
    if ((message.method === 'resources/subscribe' || message.method === 'resources/unsubscribe') && !onResult && this.subscriptions.request(a, message.method, message.params?.uri)) {
      return void client.deliver({ jsonrpc: '2.0', id: message.id, result: {} }, message.id);
    }
    const backlog = this.runner.backlog;
    if (backlog > (this.options.maxBacklogBytes ?? 16 * 1024 * 1024)) {
      const error = errorResponse(message.id, ErrorCode.InternalError, `the server is not reading its input (${(backlog / 1024 / 1024).toFixed(1)} MB are waiting for it); try again later`);
      return void (onResult ? onResult(error) : client.deliver(error, message.id));
    }
    if (this.state === 'ready') {
      if (!this.table.forward(a, message, onResult)) return this.duplicate(a, message.id);
      this.runner.send(message);
      return;
    }
    const entry = this.table.queue(a, message, onResult);
    if (!entry) return this.duplicate(a, message.id);
    this.runner.start().then(
      () => {
        // Cancelled or detached while it waited: it never goes upstream.
        if (this.table.find(a, entry.clientId) !== entry || !entry.queued) return;
        const queued = entry.queued;
        this.table.forward(a, queued, undefined, entry);
        this.runner.send(queued);
      },
      (e: Error) => {
        if (this.table.find(a, entry.clientId) !== entry) return;
        this.table.remove(entry);
        this.answer(entry, errorResponse(entry.clientId, ErrorCode.InternalError, `the server could not start: ${e.message}`));
      },
    );
  }

  private duplicate(a: Attached, id: JsonRpcId): void {
    a.client.deliver(errorResponse(id, ErrorCode.InvalidRequest, `a request with id ${JSON.stringify(id)} is already in flight`), id);
  }
  /** A notification of the gateway's own to every session of this upstream (a list that changed for them). */
  broadcast(message: JsonRpcNotification): void {
    for (const a of this.clients.values()) a.client.deliver(message);
  }

  /** Subscribes a client to a resource without a request of its own (a 2026-07-28 listen stream). */
  subscribe(client: MuxClient, uri: string): void {
    const a = this.clients.get(client);
    if (a) this.subscriptions.add(a, uri);
  }

  /**
   * A stream of `client` began (+1) or stopped (-1) holding more than its client takes: while any
   * stream of any session is congested, the upstream is not read from (DESIGN §5, STYLE 15).
   */
  congestion(client: MuxClient, change: 1 | -1): void {
    if (!this.clients.has(client)) return;
    const n = (this.congested.get(client) ?? 0) + change;
    if (n > 0) this.congested.set(client, n);
    else this.congested.delete(client);
    this.runner.setPaused(this.congested.size > 0);
  }

  /**
   * Forwards a session's notification; a cancellation is looked up by the session's own id first
   * and names the upstream's id. Returns true when it cancelled a request of this session.
   */
  notify(client: MuxClient, message: JsonRpcNotification): boolean {
    const a = this.clients.get(client);
    if (!a) return false;
    this.lastActive = Date.now();
    if (message.method === 'notifications/initialized') return false;
    if (message.method !== 'notifications/cancelled') {
      this.runner.send(message);
      return false;
    }
    const entry = this.table.find(a, message.params?.requestId as JsonRpcId);
    if (!entry) return false;
    this.cancelUpstream(entry, message.params?.reason);
    return true;
  }

  /** Forwards a session's answer to a server-to-client request (sampling, elicitation, roots). */
  respond(client: MuxClient, message: JsonRpcResponse): void {
    const a = this.clients.get(client);
    if (a && this.serverRequests.answer(a, message)) this.lastActive = Date.now();
  }

  private fromUpstream(message: JsonRpcMessage): void {
    this.lastActive = Date.now();
    if (isResponse(message)) {
      const entry = typeof message.id === 'number' ? this.table.byUpstreamId(message.id) : undefined;
      if (!entry) return void this.table.settle(message.id);
      this.table.remove(entry);
      message.id = entry.clientId;
      return this.answer(entry, message);
    }
    if (isRequest(message)) return this.serverRequest(message);
    switch (message.method) {
      case 'notifications/progress': {
        const token = message.params?.progressToken;
        const entry = typeof token === 'string' || typeof token === 'number' ? this.table.byProgressToken(String(token)) : undefined;
        if (!entry) return;
        message.params = { ...message.params, progressToken: entry.clientToken };
        entry.client.client.deliver(message, entry.clientId);
        return;
      }
      case 'notifications/cancelled':
        return this.serverRequests.withdrawn(message);
      case 'notifications/resources/updated':
        for (const a of subscribers(this.clients.values(), message.params?.uri)) a.client.deliver(message);
        return;
      // Log lines may carry one user's data: on a shared server they go to that user only.
      case 'notifications/message':
        for (const a of logTargets(this.clients.values(), lingering(this.clients, this.table).departedUsers)) a.client.deliver(message);
        return;
      default:
        // list_changed and anything else: every session of this upstream.
        for (const a of this.clients.values()) a.client.deliver(message);
    }
  }

  /** A request from the server: ping is answered here; the others go where they are known to belong. */
  private serverRequest(message: JsonRpcRequest): void {
    if (message.method === 'ping') return this.runner.send({ jsonrpc: '2.0', id: message.id, result: {} });
    // A conversation's questions (sampling, elicitation) asked during a call make isolation "auto"
    // exact from then on; roots/list is about a client's workspace, asked as servers start (as
    // server-everything does, racing the first call), and is routed the same way without that.
    const { departedCalls } = lingering(this.clients, this.table);
    if (message.method !== 'roots/list' && [...this.clients.values()].some((a) => a.inflight + a.lingering > 0)) this.onserverrequest?.(message.method);
    this.serverRequests.route(message, this.clients.values(), departedCalls);
  }

  /** Delivers a request's answer to its session (or to the gateway's own bookkeeping). */
  private answer(entry: Entry<Attached>, response: JsonRpcResponse): void {
    if (entry.onResult) entry.onResult(response);
    else entry.client.client.deliver(response, entry.clientId);
  }

  /**
   * Forgets a session's request and, if the upstream has it, tells it the request is cancelled.
   * Until the upstream answers it, shows it read the cancellation, or a request timeout passes, a
   * question or log line it sends may still belong to that request (fan-out.ts).
   */
  private cancelUpstream(entry: Entry<Attached>, reason: unknown): void {
    this.table.abandon(entry, this.options.requestTimeoutMs);
    if (entry.upstreamId === undefined) return;
    this.runner.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: entry.upstreamId, ...(reason === undefined ? {} : { reason }) } });
    if (this.runner.ordered) this.fence();
  }

  /**
   * A ping after cancellations: once a stdio server answers it, it has read them, and what it
   * sends from then on is not for those requests (a server stops a cancelled request; one that
   * goes on asking about it is not followed). An HTTP server gives no such order, so its
   * cancelled requests linger until answered or timed out.
   */
  private fence(): void {
    if (this.fencing) return;
    this.fencing = true;
    setImmediate(() => {
      this.fencing = false;
      const ids = this.table.lingeringIds();
      const settle = () => { for (const id of ids) this.table.settle(id); };
      this.runner.internalRequest('ping', {}, this.options.requestTimeoutMs).then(settle, settle);
    });
  }

  /** The upstream is gone: what was forwarded to it fails; the server's own requests are withdrawn. */
  private failForwarded(reason: string): void {
    this.table.forgetLingering();
    for (const entry of this.table.forwarded()) {
      this.table.remove(entry);
      this.answer(entry, errorResponse(entry.clientId, ErrorCode.ConnectionClosed, reason));
    }
    this.serverRequests.withdrawAll(reason);
  }

  /** Fails requests older than the timeout, either way (called by the pool's sweeper). */
  expireRequests(now = Date.now()): void {
    const limit = this.options.requestTimeoutMs;
    for (const entry of this.table.entries().filter((e) => now - e.started >= limit)) {
      this.cancelUpstream(entry, 'timed out');
      this.answer(entry, errorResponse(entry.clientId, ErrorCode.RequestTimeout, `the server did not answer within ${Math.round(limit / 1000)} s`));
    }
    this.serverRequests.expire(now, limit);
  }

  /** Stops the upstream; pending requests fail. The multiplexer cannot be used again. */
  async close(): Promise<void> {
    await this.runner.close();
    this.clients.clear();
  }

  /**
   * Stops the upstream but keeps the multiplexer and its sessions: the next request starts a new
   * one (a user's env changed). Requests in flight on the old one fail.
   */
  stop(): Promise<void> {
    return this.runner.stop('the server is restarting with new settings; try again');
  }
}
