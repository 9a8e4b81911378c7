// Lets several client sessions share one upstream (DESIGN §5): the gateway initializes the
// upstream once, remaps request ids and progress tokens per session, routes responses,
// progress, cancellations and server-to-client requests back to the right session, and fans
// notifications out. Messages stay plain JSON; only routing fields are rewritten.
import type { Logger } from '../logging/logger.ts';
import {
  ErrorCode, errorResponse, isRequest, isResponse, metaOf,
  type JsonRpcId, type JsonRpcMessage, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse,
} from '../jsonrpc/messages.ts';
import type { Upstream, UpstreamExit } from './upstream.ts';

/** What a session looks like to the multiplexer. */
export interface MuxClient {
  /** Unique per session, for logs. */
  readonly id: string;
  /** Whose session it is: a `shared` upstream never routes one user's traffic to another. */
  readonly user?: string;
  /**
   * Delivers a message from the server. `related` is the id (the client's own) of the client
   * request this message belongs to, when known. Returns false if it could not be delivered
   * (no open stream); the multiplexer then answers a server request with an error itself.
   */
  deliver(message: JsonRpcMessage, related?: JsonRpcId): boolean;
}

export interface InitializeResult {
  protocolVersion: string;
  capabilities: Record<string, unknown>;
  serverInfo: Record<string, unknown>;
  instructions?: string;
  [key: string]: unknown;
}

export interface MultiplexerOptions {
  /** Makes a fresh upstream each time one is (re)started. */
  createUpstream: () => Upstream;
  logger: Logger;
  /** The revision the gateway asks the upstream for; it may answer an older one. */
  protocolVersion: string;
  clientInfo: { name: string; version: string };
  /** A request unanswered this long fails with a timeout error. */
  requestTimeoutMs: number;
  /** How long the upstream may take from spawn to its initialize result. */
  startTimeoutMs?: number;
}

export type MuxState = 'stopped' | 'starting' | 'ready' | 'closed';

interface ClientState {
  client: MuxClient;
  /** client's request id → upstream id, for requests in flight. */
  inflight: Map<JsonRpcId, number>;
  subscriptions: Set<string>;
  lastActive: number;
  lastRequest: number;
}

interface Pending {
  state: ClientState;
  clientId: JsonRpcId;
  /** Progress token as the client sent it, when one was remapped. */
  clientToken?: string | number;
  upstreamToken?: string;
  started: number;
  /** Answered locally when the upstream replies (e.g. subscribe bookkeeping). */
  onResult?: (response: JsonRpcResponse) => void;
}

interface ServerRequest { state: ClientState; upstreamId: JsonRpcId }

const START_TIMEOUT_MS = 60_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * One upstream shared by the sessions attached to it. Ids sent upstream are numbers from one
 * counter, so two sessions using the same ids never collide; the gateway's own requests use
 * string ids (`gw-N`).
 */
export class Multiplexer {
  private upstream?: Upstream;
  private clients = new Map<MuxClient, ClientState>();
  private pending = new Map<number, Pending>();
  private tokens = new Map<string, Pending>();
  private serverRequests = new Map<number, ServerRequest>();
  private internal = new Map<string, (r: JsonRpcResponse) => void>();
  private nextId = 1;
  private nextServerRequest = 1;
  private nextInternal = 1;
  private ready?: Promise<InitializeResult>;
  private init?: InitializeResult;
  private crashes = 0;
  private lastCrash = 0;
  private startedAt = 0;
  /** Why the last start or run failed, for error messages. */
  lastExit?: UpstreamExit;
  state: MuxState = 'stopped';
  /** Last time a session attached, sent or received something; for idle reaping. */
  lastActive = Date.now();
  /** Called when the last session detaches. */
  onidle?: () => void;
  /** Called when the upstream exits without being asked to. */
  oncrash?: (exit: UpstreamExit) => void;

  constructor(private readonly options: MultiplexerOptions) {}

  get sessionCount(): number { return this.clients.size; }
  get pid(): number | undefined { return this.upstream?.pid; }
  get stderr() { return this.upstream?.stderr; }
  get inflightCount(): number { return this.pending.size; }
  /** The cached initialize result, once the upstream has started. */
  get initializeResult(): InitializeResult | undefined { return this.init; }

  attach(client: MuxClient): void {
    if (this.state === 'closed') throw new Error('this upstream was closed');
    if (!this.clients.has(client)) {
      this.clients.set(client, { client, inflight: new Map(), subscriptions: new Set(), lastActive: Date.now(), lastRequest: 0 });
    }
    this.lastActive = Date.now();
  }

  /** Detaches a session: its requests in flight are cancelled upstream, its subscriptions dropped. */
  detach(client: MuxClient): void {
    const state = this.clients.get(client);
    if (!state) return;
    this.clients.delete(client);
    for (const upstreamId of state.inflight.values()) {
      const p = this.pending.get(upstreamId);
      if (p) this.forget(upstreamId, p);
      this.sendUpstream({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: upstreamId, reason: 'the client session ended' } });
    }
    for (const [id, r] of this.serverRequests) {
      if (r.state === state) {
        this.serverRequests.delete(id);
        this.sendUpstream(errorResponse(r.upstreamId, ErrorCode.InternalError, 'the client session ended'));
      }
    }
    for (const uri of state.subscriptions) {
      if (!this.isSubscribed(uri)) this.internalRequest('resources/unsubscribe', { uri }).catch(() => {});
    }
    this.lastActive = Date.now();
    if (this.clients.size === 0) this.onidle?.();
  }

  /** Starts the upstream if needed and resolves with its initialize result. */
  start(): Promise<InitializeResult> {
    if (this.state === 'closed') return Promise.reject(new Error('this upstream was closed'));
    if (this.ready) return this.ready;
    this.ready = this.boot();
    this.ready.catch(() => { this.ready = undefined; });
    return this.ready;
  }

  private async boot(): Promise<InitializeResult> {
    // Restart with backoff after crashes: 0.25 s, 0.5 s, 1 s … up to 30 s.
    if (this.crashes > 0) {
      const wait = Math.min(MAX_BACKOFF_MS, 250 * 2 ** (this.crashes - 1)) - (Date.now() - this.lastCrash);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait).unref());
    }
    // Closed while waiting (server edited, app quitting): start nothing nobody would own.
    if ((this.state as MuxState) === 'closed') throw new Error('this upstream was closed');
    this.state = 'starting';
    const upstream = this.options.createUpstream();
    this.upstream = upstream;
    upstream.onmessage = (m) => this.fromUpstream(m);
    upstream.onerror = (e) => this.options.logger.warn({ err: e.message }, 'upstream problem');
    upstream.onclose = (exit) => this.onUpstreamClose(upstream, exit);
    this.startedAt = Date.now();
    try {
      await upstream.start();
      const timeoutMs = this.options.startTimeoutMs ?? START_TIMEOUT_MS;
      const response = await this.internalRequest('initialize', {
        protocolVersion: this.options.protocolVersion,
        capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
        clientInfo: this.options.clientInfo,
      }, timeoutMs);
      if (response.error) throw new Error(`the server refused to initialize: ${response.error.message}`);
      if ((this.state as MuxState) === 'closed') throw new Error('this upstream was closed');
      this.init = response.result as InitializeResult;
      this.sendUpstream({ jsonrpc: '2.0', method: 'notifications/initialized' });
      this.state = 'ready';
      this.options.logger.info({ pid: upstream.pid, protocolVersion: this.init.protocolVersion, ms: Date.now() - this.startedAt }, 'server started');
      return this.init;
    } catch (e) {
      const detail = upstream.stderr?.tail(3);
      await upstream.close().catch(() => {});
      if (this.upstream === upstream) this.upstream = undefined;
      this.crashes++;
      this.lastCrash = Date.now();
      if ((this.state as MuxState) !== 'closed') this.state = 'stopped';
      // The stderr tail is for the owner (doctor, test-start, the UI), never for remote clients.
      throw Object.assign(new Error((e as Error).message, { cause: e }), { stderrTail: detail });
    }
  }

  private onUpstreamClose(upstream: Upstream, exit: UpstreamExit): void {
    if (this.upstream !== upstream) return;
    this.upstream = undefined;
    this.ready = undefined;
    this.lastExit = exit;
    const wasRunning = this.state === 'ready';
    if (this.state !== 'closed') this.state = 'stopped';
    // Its stderr may hold a user's secrets: it stays in the owner's UI, not in the client's error.
    this.failAll(exit.expected ? 'the server was stopped' : exit.reason);
    if (!exit.expected && wasRunning) {
      if (Date.now() - this.startedAt > 60_000) this.crashes = 0;
      this.crashes++;
      this.lastCrash = Date.now();
      this.options.logger.warn({ reason: exit.reason, code: exit.code, signal: exit.signal }, 'server process ended unexpectedly; it restarts on next use');
      this.oncrash?.(exit);
    }
  }

  /** Fails every request in flight (the upstream is gone or being replaced). */
  private failAll(message: string): void {
    for (const [id, p] of this.pending) {
      this.forget(id, p);
      const r = errorResponse(p.clientId, ErrorCode.ConnectionClosed, message);
      if (p.onResult) p.onResult(r);
      else p.state.client.deliver(r, p.clientId);
    }
    for (const [id, resolve] of this.internal) {
      this.internal.delete(id);
      resolve(errorResponse(id, ErrorCode.ConnectionClosed, message));
    }
    this.serverRequests.clear();
  }

  /** Forwards a session's request upstream, starting the upstream first if needed. */
  request(client: MuxClient, message: JsonRpcRequest): void {
    const state = this.clients.get(client);
    if (!state) {
      client.deliver(errorResponse(message.id, ErrorCode.InternalError, 'session is not attached'), message.id);
      return;
    }
    const now = Date.now();
    state.lastActive = state.lastRequest = this.lastActive = now;
    if (message.method === 'resources/subscribe' || message.method === 'resources/unsubscribe') {
      if (this.subscription(state, message)) return;
    }
    if (this.state === 'ready') this.forward(state, message);
    else {
      this.start().then(
        () => this.forward(state, message),
        (e: Error) => client.deliver(errorResponse(message.id, ErrorCode.InternalError, `the server could not start: ${e.message}`), message.id),
      );
    }
  }

  private forward(state: ClientState, message: JsonRpcRequest, onResult?: Pending['onResult']): void {
    if (!this.clients.has(state.client)) return;
    if (state.inflight.has(message.id)) {
      state.client.deliver(errorResponse(message.id, ErrorCode.InvalidRequest, `a request with id ${JSON.stringify(message.id)} is already in flight`), message.id);
      return;
    }
    const id = this.nextId++;
    const pending: Pending = { state, clientId: message.id, started: Date.now(), onResult };
    const meta = metaOf(message);
    if (meta && meta.progressToken !== undefined) {
      const token = `${id}`;
      pending.clientToken = meta.progressToken as string | number;
      pending.upstreamToken = token;
      message.params = { ...message.params, _meta: { ...meta, progressToken: token } };
      this.tokens.set(token, pending);
    }
    this.pending.set(id, pending);
    state.inflight.set(message.id, id);
    message.id = id;
    this.sendUpstream(message);
  }

  /**
   * Subscriptions are shared upstream: the first subscriber subscribes, the last one to leave
   * unsubscribes; the others are answered here. Returns true when answered locally.
   */
  private subscription(state: ClientState, message: JsonRpcRequest): boolean {
    const uri = message.params?.uri;
    if (typeof uri !== 'string') return false;
    const others = this.isSubscribed(uri, state);
    if (message.method === 'resources/subscribe') {
      state.subscriptions.add(uri);
      if (!others) return false;
    } else {
      state.subscriptions.delete(uri);
      if (!others) return false;
    }
    state.client.deliver({ jsonrpc: '2.0', id: message.id, result: {} }, message.id);
    return true;
  }

  private isSubscribed(uri: string, except?: ClientState): boolean {
    for (const s of this.clients.values()) if (s !== except && s.subscriptions.has(uri)) return true;
    return false;
  }

  /** Forwards a session's notification (cancellations are remapped; `initialized` is ours to send). */
  notify(client: MuxClient, message: JsonRpcNotification): void {
    const state = this.clients.get(client);
    if (!state) return;
    state.lastActive = this.lastActive = Date.now();
    if (message.method === 'notifications/initialized') return;
    if (message.method === 'notifications/cancelled') {
      const requestId = message.params?.requestId as JsonRpcId | undefined;
      const upstreamId = requestId === undefined ? undefined : state.inflight.get(requestId);
      if (upstreamId === undefined) return;
      const p = this.pending.get(upstreamId);
      if (p) this.forget(upstreamId, p);
      message.params = { ...message.params, requestId: upstreamId };
    }
    if (this.state === 'ready') this.sendUpstream(message);
  }

  /** Forwards a session's answer to a server-to-client request (sampling, elicitation, roots). */
  respond(client: MuxClient, message: JsonRpcResponse): void {
    if (typeof message.id !== 'number') return;
    const r = this.serverRequests.get(message.id);
    if (!r || r.state.client !== client) return;
    this.serverRequests.delete(message.id);
    message.id = r.upstreamId;
    this.sendUpstream(message);
  }

  private fromUpstream(message: JsonRpcMessage): void {
    this.lastActive = Date.now();
    if (isResponse(message)) {
      if (typeof message.id === 'number') {
        const p = this.pending.get(message.id);
        if (!p) return;
        this.forget(message.id, p);
        message.id = p.clientId;
        if (p.onResult) p.onResult(message);
        else p.state.client.deliver(message, p.clientId);
      } else if (typeof message.id === 'string') {
        const resolve = this.internal.get(message.id);
        if (resolve) {
          this.internal.delete(message.id);
          resolve(message);
        }
      }
      return;
    }
    if (isRequest(message)) return this.serverRequest(message);
    const method = message.method;
    if (method === 'notifications/progress') {
      const token = message.params?.progressToken;
      const p = typeof token === 'string' || typeof token === 'number' ? this.tokens.get(String(token)) : undefined;
      if (!p) return;
      message.params = { ...message.params, progressToken: p.clientToken };
      p.state.client.deliver(message, p.clientId);
      return;
    }
    if (method === 'notifications/cancelled') {
      const id = message.params?.requestId;
      for (const [sessionSideId, r] of this.serverRequests) {
        if (r.upstreamId === id) {
          this.serverRequests.delete(sessionSideId);
          message.params = { ...message.params, requestId: sessionSideId };
          r.state.client.deliver(message);
          return;
        }
      }
      return;
    }
    if (method === 'notifications/resources/updated') {
      const uri = message.params?.uri;
      for (const s of this.clients.values()) if (typeof uri === 'string' && s.subscriptions.has(uri)) s.client.deliver(message);
      return;
    }
    // Log lines may carry one user's data: on a shared server they go to that user only.
    if (method === 'notifications/message') {
      for (const s of this.logTargets()) s.client.deliver(message);
      return;
    }
    // list_changed and anything else: every session of this upstream.
    for (const s of this.clients.values()) s.client.deliver(message);
  }

  /**
   * A request from the server (sampling, elicitation, roots). Over stdio nothing ties it to the
   * call that caused it, so: the session with the most recent request still in flight here,
   * else the most recently active session. `per-session` isolation makes this exact.
   */
  private serverRequest(message: JsonRpcRequest): void {
    if (message.method === 'ping') {
      this.sendUpstream({ jsonrpc: '2.0', id: message.id, result: {} });
      return;
    }
    const target = this.routeTarget();
    if (!target) {
      this.sendUpstream(errorResponse(message.id, ErrorCode.InternalError, this.clients.size
        ? 'several users are using this shared server: it cannot tell whose request this is (give it per-user isolation)'
        : 'no client is connected to answer this request'));
      return;
    }
    let related: JsonRpcId | undefined;
    if (target.inflight.size > 0) {
      let newest = 0;
      for (const [clientId, upstreamId] of target.inflight) if (upstreamId > newest) { newest = upstreamId; related = clientId; }
    }
    const sessionSideId = this.nextServerRequest++;
    const upstreamId = message.id;
    this.serverRequests.set(sessionSideId, { state: target, upstreamId });
    message.id = sessionSideId;
    if (!target.client.deliver(message, related)) {
      this.serverRequests.delete(sessionSideId);
      this.sendUpstream(errorResponse(upstreamId, ErrorCode.InternalError, 'the client cannot answer this request (no open stream, or it did not declare the capability)'));
    }
  }

  /**
   * The session a request from the server goes to: the one with the most recent call still in
   * flight, else the most recently active one; never a guess between two users' sessions.
   */
  private routeTarget(): ClientState | undefined {
    let busy: ClientState | undefined;
    let idle: ClientState | undefined;
    const users = new Set<string | undefined>();
    const busyUsers = new Set<string | undefined>();
    for (const s of this.clients.values()) {
      users.add(s.client.user);
      if (s.inflight.size > 0) {
        busyUsers.add(s.client.user);
        if (!busy || s.lastRequest > busy.lastRequest) busy = s;
      } else if (!idle || s.lastActive > idle.lastActive) idle = s;
    }
    if (busy) return busyUsers.size === 1 ? busy : undefined;
    return users.size === 1 ? idle : undefined;
  }

  /** Sessions a log line may go to: all of one user's, or only the one user's with calls in flight. */
  private logTargets(): ClientState[] {
    const all = [...this.clients.values()];
    if (new Set(all.map((s) => s.client.user)).size <= 1) return all;
    const busy = all.filter((s) => s.inflight.size > 0);
    return new Set(busy.map((s) => s.client.user)).size === 1 ? busy : [];
  }

  private forget(upstreamId: number, p: Pending): void {
    this.pending.delete(upstreamId);
    p.state.inflight.delete(p.clientId);
    if (p.upstreamToken) this.tokens.delete(p.upstreamToken);
  }

  /** A request of the gateway's own (initialize, unsubscribe): string ids never clash with sessions'. */
  private internalRequest(method: string, params: Record<string, unknown>, timeoutMs = this.options.requestTimeoutMs): Promise<JsonRpcResponse> {
    const id = `gw-${this.nextInternal++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.internal.delete(id);
        reject(new Error(`no answer to ${method} after ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      timer.unref();
      this.internal.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.sendUpstream({ jsonrpc: '2.0', id, method, params });
    });
  }

  private sendUpstream(message: JsonRpcMessage): void {
    this.upstream?.send(message);
  }

  /** Fails requests older than the timeout (called by the pool's sweeper). */
  expireRequests(now = Date.now()): void {
    const limit = this.options.requestTimeoutMs;
    for (const [id, p] of this.pending) {
      if (now - p.started < limit) continue;
      this.forget(id, p);
      this.sendUpstream({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'timed out' } });
      const r = errorResponse(p.clientId, ErrorCode.RequestTimeout, `the server did not answer within ${Math.round(limit / 1000)} s`);
      if (p.onResult) p.onResult(r);
      else p.state.client.deliver(r, p.clientId);
    }
  }

  /** Stops the upstream; pending requests fail. The multiplexer cannot be used again. */
  async close(): Promise<void> {
    this.state = 'closed';
    const upstream = this.upstream;
    if (upstream) await upstream.close();
    this.clients.clear();
  }

  /**
   * Stops the upstream but keeps the multiplexer and its sessions: the next request starts a new
   * one (a user's env changed). Requests still in flight on the old one fail.
   */
  async stop(): Promise<void> {
    const upstream = this.upstream;
    if (!upstream || this.state === 'starting') return;
    this.upstream = undefined;
    this.ready = undefined;
    if (this.state !== 'closed') this.state = 'stopped';
    this.failAll('the server is restarting with new settings; try again');
    await upstream.close();
  }
}
