// One call of a 2026-07-28 client (SEP-2322): an exchange attached to the person's upstream for as
// long as the call is open. When the (older) server asks the client something mid-call, the call is
// parked, the client gets an input_required result, and its retry carrying the answers resumes the
// same upstream call. Results get the fields the revision requires (resultType, cache hints).
import { randomBytes } from 'node:crypto';
import { LimitError } from '../sessions/limits.ts';
import { ErrorCode, errorResponse, isRequest, isResponse, type JsonRpcId, type JsonRpcMessage, type JsonRpcResponse } from '../jsonrpc/messages.ts';
import { CLIENT_CAPABILITY_OF, META } from '../sessions/protocol.ts';
import type { ResponseSink } from '../sessions/response-sink.ts';
import type { Multiplexer, MuxClient } from '../upstream/multiplexer.ts';
import type { Parked, SessionRouter } from '../sessions/session-router.ts';
import { appendLocalTools, type LocalTool } from '../sessions/local-tools.ts';
import type { PermissionGate } from '../permissions/gate.ts';
import { isListMethod } from '../permissions/lists.ts';

/** 2026-07-28 error codes. */
export const ModernError = { HeaderMismatch: -32020, MissingClientCapability: -32021, UnsupportedVersion: -32022 } as const;

/** Results the revision requires cache hints on. */
const CACHEABLE = new Set(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read']);

/** Requests that may answer input_required. */
export const MRTR_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);
/** How long a call waits for the client to come back with the input it asked for. */
const INPUT_WAIT_MS = 5 * 60_000;

interface InputRequest { upstreamId: number; method: string; params: unknown }

/**
 * One call's exchange with the upstream, attached while it is open. When the (older) server
 * asks the client something mid-call, the call is parked, the client gets an input_required
 * result (SEP-2322), and its retry carrying the answers resumes the same upstream call.
 */
export class Exchange implements MuxClient, Parked {
  readonly id = `x-${randomBytes(6).toString('hex')}`;
  private sink?: ResponseSink;
  private queued = new Map<string, InputRequest>();
  private asked = new Map<string, InputRequest>();
  private flushing = false;
  private finished = false;

  /** The final response that came while the call was parked, for the client's retry. */
  private finalResponse?: JsonRpcMessage;

  /** Replicas: the parked call's token starts with `<route>.`, so any replica finds its holder. */
  tokenPrefix = '';

  constructor(
    readonly user: string,
    readonly server: string,
    private readonly mux: Multiplexer,
    private readonly router: SessionRouter,
    readonly method: string,
    private readonly capabilities: Record<string, unknown>,
    private wantsLogs: boolean,
    private readonly serverInfo: unknown,
    private requestId: JsonRpcId,
    private readonly localTools: LocalTool[] = [],
    /** Gives back this call's place in its person's requests in flight. */
    private readonly release: () => void = () => {},
    /** The server's permissions: lists are cut down to what this person may use. */
    private readonly gate?: PermissionGate,
    /** Told of the final answer (the activity record). */
    private readonly onanswer?: (message: JsonRpcResponse) => void,
  ) {}

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.release();
  }

  /** Binds the HTTP exchange whose response this call's outcome goes to. */
  bind(sink: ResponseSink, requestId: JsonRpcId, wantsLogs: boolean): void {
    this.sink = sink;
    this.requestId = requestId;
    this.wantsLogs = wantsLogs;
    // Closing the stream is how a 2026-07-28 client cancels; detaching cancels upstream.
    sink.onclose = () => { if (this.sink === sink) this.close(); };
    if (this.finalResponse) {
      // The server finished (or failed) while the client was away: that is the answer.
      const message = this.finalResponse;
      this.finalResponse = undefined;
      this.sink = undefined;
      if ('id' in message) message.id = requestId;
      sink.finish(message);
      return;
    }
    if (this.queued.size) this.askForInput();
  }

  deliver(message: JsonRpcMessage): boolean {
    if (isResponse(message)) {
      this.finish();
      this.onanswer?.(message);
      let status: number | undefined;
      if (message.error) {
        // 2026-07-28: a missing resource is invalid params, not the older -32002.
        if (message.error.code === -32002 && this.method === 'resources/read') message.error = { ...message.error, code: ErrorCode.InvalidParams };
        // 2026-07-28: an unknown method is 404 as well as -32601.
        if (message.error.code === ErrorCode.MethodNotFound) status = 404;
      } else {
        if (this.gate && isListMethod(this.method)) this.gate.filter(this.server, this.user, this.method, message.result, this.mux);
        if (this.method === 'tools/list' && this.localTools.length) appendLocalTools(message.result, this.localTools);
        const result: Record<string, unknown> = { resultType: 'complete', ...(message.result as Record<string, unknown>) };
        if (CACHEABLE.has(this.method)) {
          result.ttlMs ??= 0;
          result.cacheScope ??= 'private';
        }
        const meta = (result._meta as Record<string, unknown> | undefined) ?? {};
        if (meta[META.serverInfo] === undefined) result._meta = { ...meta, [META.serverInfo]: this.serverInfo };
        message.result = result;
      }
      message.id = this.requestId;
      const sink = this.sink;
      this.sink = undefined;
      if (sink) sink.finish(message, { status });
      else this.finalResponse = message;
      this.mux.detach(this);
      return true;
    }
    if (isRequest(message)) {
      const kind = CLIENT_CAPABILITY_OF[message.method];
      // Only what the client declared on this request may be asked of it; else the server gets an error.
      if (!kind || !MRTR_METHODS.has(this.method)) return false;
      if (this.capabilities[kind] === undefined) {
        // SEP-2575: processing needs a capability the client did not declare: -32021 (HTTP 400),
        // and the call is abandoned upstream.
        this.fail(400, ModernError.MissingClientCapability, `the server needs the client capability "${kind}" for this request, and the client did not declare it`, { requiredCapabilities: { [kind]: {} } });
        return false;
      }
      this.queued.set(`input-${message.id}`, { upstreamId: message.id as number, method: message.method, params: message.params ?? {} });
      if (this.sink && !this.flushing) {
        // Let requests sent together go out in one input_required result.
        this.flushing = true;
        setImmediate(() => { this.flushing = false; if (this.sink && this.queued.size) this.askForInput(); });
      }
      return true;
    }
    if (message.method === 'notifications/tools/list_changed') this.gate?.forget(this.mux);
    if (!this.sink) return true;
    if (message.method === 'notifications/message' && !this.wantsLogs) return true;
    if (message.method === 'notifications/progress' || message.method === 'notifications/message') this.sink.write(message);
    return true;
  }

  /** Ends the call with an error (nothing more goes upstream for it). */
  private fail(status: number, code: number, message: string, data?: unknown): void {
    const sink = this.sink;
    this.sink = undefined;
    if (!this.finished) queueMicrotask(() => this.close());
    sink?.finish(errorResponse(this.requestId, code, message, data), { status: sink.streaming ? undefined : status });
  }

  private askForInput(): void {
    const sink = this.sink!;
    this.sink = undefined;
    const inputRequests: Record<string, unknown> = {};
    for (const [key, r] of this.queued) {
      inputRequests[key] = { method: r.method, params: r.params };
      this.asked.set(key, r);
    }
    this.queued.clear();
    const token = `${this.tokenPrefix}${randomBytes(24).toString('base64url')}`;
    try {
      this.router.park(token, this, INPUT_WAIT_MS);
    } catch (e) {
      if (!(e instanceof LimitError)) throw e;
      this.close();
      sink.finish(errorResponse(this.requestId, e.code, e.message));
      return;
    }
    sink.finish({ jsonrpc: '2.0', id: this.requestId, result: { resultType: 'input_required', inputRequests, requestState: token } });
  }

  /** The client's retry: answers go to the server; what it left unanswered is asked again. */
  resume(params: Record<string, unknown>, sink: ResponseSink, requestId: JsonRpcId, wantsLogs: boolean): void {
    const responses = (params.inputResponses ?? {}) as Record<string, unknown>;
    for (const [key, r] of this.asked) {
      if (responses[key] === undefined) {
        this.queued.set(key, r);
        continue;
      }
      this.mux.respond(this, { jsonrpc: '2.0', id: r.upstreamId, result: responses[key] });
    }
    this.asked.clear();
    this.bind(sink, requestId, wantsLogs);
  }

  close(): void {
    if (!this.finished) this.mux.detach(this);
    this.finish();
  }
}

