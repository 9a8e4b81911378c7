// subscriptions/listen of the 2026-07-28 revision (SEP-2575): a long-lived POST stream that
// carries the notifications the client opted in to (list changes, updates of resources it names),
// each tagged with the subscription's id, after an acknowledgement saying which of them the
// server honours. It replaces the GET stream and resources/subscribe of the session revisions.
import type { ServerResponse } from 'node:http';
import { ErrorCode, isRequest, isResponse, type JsonRpcMessage, type JsonRpcRequest } from '../jsonrpc/messages.ts';
import { META } from '../sessions/protocol.ts';
import { ResponseSink } from '../sessions/response-sink.ts';
import type { Held } from '../sessions/session-router.ts';
import { LimitError } from '../sessions/limits.ts';
import type { InitializeResult, Multiplexer, MuxClient } from '../upstream/multiplexer.ts';
import { GatewayError, sendJsonRpcError } from './http-errors.ts';
import type { McpEndpointDeps } from './mcp-endpoint.ts';

/** The notification types a client may opt in to (SubscriptionFilter). */
export interface SubscriptionFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

const LIST_CHANGED: Record<string, keyof SubscriptionFilter> = {
  'notifications/tools/list_changed': 'toolsListChanged',
  'notifications/prompts/list_changed': 'promptsListChanged',
  'notifications/resources/list_changed': 'resourcesListChanged',
};

/** What of `asked` the server can honour, from the capabilities it declared. */
export function honoured(asked: SubscriptionFilter, capabilities: Record<string, any>): SubscriptionFilter {
  const out: SubscriptionFilter = {};
  if (asked.toolsListChanged && capabilities.tools?.listChanged) out.toolsListChanged = true;
  if (asked.promptsListChanged && capabilities.prompts?.listChanged) out.promptsListChanged = true;
  if (asked.resourcesListChanged && capabilities.resources?.listChanged) out.resourcesListChanged = true;
  const uris = Array.isArray(asked.resourceSubscriptions) ? asked.resourceSubscriptions.filter((u) => typeof u === 'string') : [];
  if (uris.length && capabilities.resources?.subscribe) out.resourceSubscriptions = uris;
  return out;
}

class Listener implements MuxClient, Held {
  readonly id: string;
  private closed = false;

  constructor(
    readonly user: string,
    readonly server: string,
    private readonly mux: Multiplexer,
    private readonly sink: ResponseSink,
    private readonly request: JsonRpcRequest,
    private readonly filter: SubscriptionFilter,
    private readonly serverInfo: unknown,
    private readonly onclose: () => void,
  ) {
    this.id = `listen-${String(request.id)}`;
  }

  private tag(message: JsonRpcMessage): JsonRpcMessage {
    const params = ('params' in message ? message.params : undefined) ?? {};
    const meta = (params._meta as Record<string, unknown> | undefined) ?? {};
    return { ...message, params: { ...params, _meta: { ...meta, [META.subscriptionId]: this.request.id } } } as JsonRpcMessage;
  }

  /** Only the notifications this subscription asked for and the server honours; nothing else. */
  deliver(message: JsonRpcMessage): boolean {
    if (this.closed || isResponse(message) || isRequest(message)) return false;
    const wanted = LIST_CHANGED[message.method];
    const ok = wanted ? this.filter[wanted] === true
      : message.method === 'notifications/resources/updated' && this.filter.resourceSubscriptions?.includes(message.params?.uri as string);
    if (!ok) return false;
    this.sink.write(this.tag(message));
    return true;
  }

  acknowledge(): void {
    this.sink.write(this.tag({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { notifications: this.filter } }));
  }

  keepAlive(): void { this.sink.keepAlive(15_000); }

  /** The server tears the subscription down: the result closes the stream (SubscriptionsListenResult). */
  close(): void {
    if (this.closed) return;
    this.end();
    this.sink.finish({
      jsonrpc: '2.0', id: this.request.id,
      result: { resultType: 'complete', _meta: { [META.subscriptionId]: this.request.id, [META.serverInfo]: this.serverInfo } },
    });
  }

  /** The client went away (that is how it unsubscribes), or the server tore it down. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.mux.detach(this);
    this.onclose();
  }
}

/** Step: subscriptions/listen opens the stream, acknowledges, and holds it open. */
export function listen(deps: McpEndpointDeps, res: ServerResponse, message: JsonRpcRequest, mux: Multiplexer, init: InitializeResult, user: string, server: string): void {
  const asked = message.params?.notifications;
  if (!asked || typeof asked !== 'object' || Array.isArray(asked)) {
    throw new GatewayError(400, ErrorCode.InvalidParams, 'Invalid params: notifications (the subscription filter) is required', { id: message.id });
  }
  const filter = honoured(asked as SubscriptionFilter, init.capabilities);
  const sink = new ResponseSink(res, { json: false, sse: true }, { slowClientMs: deps.slowClientMs });
  const listener: Listener = new Listener(user, server, mux, sink, message, filter, init.serverInfo, () => deps.sessions.release(listener));
  try {
    deps.sessions.hold(listener);
  } catch (e) {
    if (e instanceof LimitError) return sendJsonRpcError(res, 200, message.id, e.code, e.message);
    throw e;
  }
  sink.oncongestion = (congested) => mux.congestion(listener, congested ? 1 : -1);
  sink.onclose = () => listener.end();
  mux.attach(listener);
  // The acknowledgement is the first message tagged with this subscription (SubscriptionsAcknowledgedNotification).
  listener.acknowledge();
  for (const uri of filter.resourceSubscriptions ?? []) mux.subscribe(listener, uri);
}
