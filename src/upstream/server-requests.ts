// Requests from the server to a client (sampling, elicitation, roots; DESIGN §5): each goes to the
// session the fan-out policy knows it belongs to, under an id of the gateway's, or is refused;
// the session's answer goes back under the server's id; unanswered ones expire with the request
// timeout, and all are withdrawn when the upstream goes away.
import type { Logger } from '../logging/logger.ts';
import { ErrorCode, errorResponse, type JsonRpcId, type JsonRpcMessage, type JsonRpcRequest, type JsonRpcResponse } from '../jsonrpc/messages.ts';
import { serverRequestRoute, type Listener } from './fan-out.ts';

/** A request from the server, delivered to a session under an id of the gateway's. */
export interface ServerRequest<C> {
  readonly client: C;
  /** The id as the upstream sent it. */
  readonly upstreamId: JsonRpcId;
  readonly method: string;
  readonly started: number;
}

/** The server's requests waiting for a session's answer, by the id the session saw. */
class ServerRequestTable<C> {
  private next = 1;
  private map = new Map<number, ServerRequest<C>>();

  get size(): number { return this.map.size; }

  /** Records a request for `client`; returns the id the session sees. */
  add(client: C, upstreamId: JsonRpcId, method: string): number {
    const id = this.next++;
    this.map.set(id, { client, upstreamId, method, started: Date.now() });
    return id;
  }

  /** Takes the request a session answers; only the session it was sent to may answer it. */
  take(id: JsonRpcId, client: C): ServerRequest<C> | undefined {
    if (typeof id !== 'number') return undefined;
    const r = this.map.get(id);
    if (!r || r.client !== client) return undefined;
    this.map.delete(id);
    return r;
  }

  /** Takes the request the upstream names by its own id (it cancelled it). */
  takeByUpstreamId(upstreamId: unknown): [number, ServerRequest<C>] | undefined {
    for (const [id, r] of this.map) {
      if (r.upstreamId === upstreamId) {
        this.map.delete(id);
        return [id, r];
      }
    }
    return undefined;
  }

  /** Takes every request matching (a session left; older than the timeout; all). */
  takeWhere(match: (r: ServerRequest<C>) => boolean): Array<[number, ServerRequest<C>]> {
    const out: Array<[number, ServerRequest<C>]> = [];
    for (const [id, r] of this.map) {
      if (match(r)) {
        this.map.delete(id);
        out.push([id, r]);
      }
    }
    return out;
  }
}

/** A session the server's requests may go to. */
export interface Asked extends Listener {
  /** Delivers a message; false when the session cannot take it. `related` is the id of its call that caused it, when known. */
  deliver(message: JsonRpcMessage, related?: JsonRpcId): boolean;
  /** The id of its one call in flight, when it has exactly one. */
  readonly onlyCall?: JsonRpcId;
}

export class ServerRequests<C extends Asked> {
  private readonly table = new ServerRequestTable<C>();

  constructor(
    /** Sends a message to the upstream. */
    private readonly send: (message: JsonRpcMessage) => void,
    private readonly logger: Logger,
  ) {}

  get size(): number { return this.table.size; }

  /**
   * A request from the server goes where the fan-out policy knows it belongs, else it is refused.
   * `departed`: calls of sessions that have left which the server may still be working on.
   */
  route(message: JsonRpcRequest, sessions: Iterable<C>, departed = 0): void {
    const route = serverRequestRoute(sessions, departed);
    if ('refuse' in route) {
      this.logger.info({ method: message.method, why: route.refuse }, 'a request from the server was refused');
      return this.send(errorResponse(message.id, ErrorCode.InternalError, route.refuse));
    }
    const a = route.to;
    const id = this.table.add(a, message.id, message.method);
    if (!a.deliver({ ...message, id }, a.onlyCall)) {
      this.table.take(id, a);
      this.send(errorResponse(message.id, ErrorCode.InternalError, 'the client cannot answer this request (no open stream, or it did not declare the capability)'));
    }
  }

  /** A session's answer goes back under the server's id; only the session asked may answer. */
  answer(a: C, message: JsonRpcResponse): boolean {
    const r = message.id === null ? undefined : this.table.take(message.id, a);
    if (!r) return false;
    this.send({ ...message, id: r.upstreamId });
    return true;
  }

  /** The server withdrew one of its requests (notifications/cancelled): the session is told. */
  withdrawn(message: JsonRpcMessage & { params?: Record<string, unknown> }): void {
    const taken = this.table.takeByUpstreamId(message.params?.requestId);
    if (taken) taken[1].client.deliver({ ...message, params: { ...message.params, requestId: taken[0] } } as JsonRpcMessage);
  }

  /** A session left: the server is told its requests will not be answered. */
  left(a: C): void {
    for (const [, r] of this.table.takeWhere((r) => r.client === a)) this.send(errorResponse(r.upstreamId, ErrorCode.InternalError, 'the client session ended'));
  }

  /** The upstream is gone: every session with a request of its waiting is told it was cancelled. */
  withdrawAll(reason: string): void {
    for (const [id, r] of this.table.takeWhere(() => true)) r.client.deliver({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } });
  }

  /** Requests unanswered for `limitMs`: the server gets an error, the session a cancellation. */
  expire(now: number, limitMs: number): void {
    for (const [id, r] of this.table.takeWhere((r) => now - r.started >= limitMs)) {
      this.send(errorResponse(r.upstreamId, ErrorCode.RequestTimeout, `the client did not answer ${r.method} within ${Math.round(limitMs / 1000)} s`));
      r.client.deliver({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'timed out' } });
    }
  }
}
