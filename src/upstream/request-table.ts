// Which request is which (DESIGN §5): the ids and progress tokens the multiplexer rewrites between
// many sessions and one upstream, and the requests waiting for a start. Everything is found by the
// session's own id first, so a cancellation ends exactly the request it names. (The server's own
// requests to the sessions are server-requests.ts.)
import type { JsonRpcId, JsonRpcRequest, JsonRpcResponse } from '../jsonrpc/messages.ts';
import { metaOf } from '../jsonrpc/messages.ts';

/** A session's request, from the moment the multiplexer accepts it until it is answered. */
export interface Entry<C> {
  readonly client: C;
  /** The id as the session sent it. */
  readonly clientId: JsonRpcId;
  /** The id the upstream knows it by; absent while the request waits for the upstream to start. */
  upstreamId?: number;
  /** Waiting to be forwarded once the upstream is ready. */
  queued?: JsonRpcRequest;
  /** The progress token as the session sent it, when one was remapped. */
  clientToken?: string | number;
  upstreamToken?: string;
  readonly started: number;
  /** Answered to the gateway itself (subscription bookkeeping) instead of the session. */
  readonly onResult?: (response: JsonRpcResponse) => void;
}

export class RequestTable<C> {
  private nextId = 1;
  private byUpstream = new Map<number, Entry<C>>();
  private byToken = new Map<string, Entry<C>>();
  private byClient = new Map<C, Map<JsonRpcId, Entry<C>>>();
  private count = 0;
  /**
   * Requests cancelled upstream (by the session, a timeout, or its end) that the upstream may
   * still be working on: it need not answer them, and what it sent before it read the
   * cancellation arrives after it. Until it answers one, shows it read the cancellation (the
   * multiplexer's fence), or its time is up, a question from the server could belong to it.
   */
  private ghosts = new Map<number, { client: C; until: number }>();

  /** Requests accepted and not yet answered (queued ones included). */
  get size(): number { return this.count; }

  /** Requests of one session accepted and not yet answered. */
  inflightOf(client: C): number { return this.byClient.get(client)?.size ?? 0; }

  /** The session's request with this id, if it is still open. */
  find(client: C, clientId: JsonRpcId): Entry<C> | undefined { return this.byClient.get(client)?.get(clientId); }

  /** Accepts a request to be forwarded later (the upstream is starting). False if the id is in flight. */
  queue(client: C, message: JsonRpcRequest, onResult?: Entry<C>['onResult']): Entry<C> | undefined {
    return this.add({ client, clientId: message.id, queued: message, started: Date.now(), onResult });
  }

  /**
   * Rewrites a request for the upstream: a fresh numeric id, and a fresh progress token when it
   * carries one. The entry may come from `queue`. Returns undefined if the id is already in flight.
   */
  forward(client: C, message: JsonRpcRequest, onResult?: Entry<C>['onResult'], queued?: Entry<C>): Entry<C> | undefined {
    const entry = queued ?? this.add({ client, clientId: message.id, started: Date.now(), onResult });
    if (!entry) return undefined;
    delete entry.queued;
    const id = this.nextId++;
    entry.upstreamId = id;
    this.byUpstream.set(id, entry);
    const meta = metaOf(message);
    if (meta && meta.progressToken !== undefined) {
      const token = String(id);
      entry.clientToken = meta.progressToken as string | number;
      entry.upstreamToken = token;
      message.params = { ...message.params, _meta: { ...meta, progressToken: token } };
      this.byToken.set(token, entry);
    }
    message.id = id;
    return entry;
  }

  private add(entry: Entry<C>): Entry<C> | undefined {
    let mine = this.byClient.get(entry.client);
    if (!mine) this.byClient.set(entry.client, mine = new Map());
    if (mine.has(entry.clientId)) return undefined;
    mine.set(entry.clientId, entry);
    this.count++;
    return entry;
  }

  /** The request the upstream answers with this id. */
  byUpstreamId(id: number): Entry<C> | undefined { return this.byUpstream.get(id); }

  /** The request a progress token belongs to. */
  byProgressToken(token: string): Entry<C> | undefined { return this.byToken.get(token); }

  /** Forgets a request (answered, cancelled, failed). */
  remove(entry: Entry<C>): void {
    const mine = this.byClient.get(entry.client);
    if (!mine || mine.get(entry.clientId) !== entry) return;
    mine.delete(entry.clientId);
    if (mine.size === 0) this.byClient.delete(entry.client);
    this.count--;
    if (entry.upstreamId !== undefined) this.byUpstream.delete(entry.upstreamId);
    if (entry.upstreamToken !== undefined) this.byToken.delete(entry.upstreamToken);
  }

  /** Forgets a request cancelled upstream, but remembers for `lingerMs` that the upstream may still be working on it. */
  abandon(entry: Entry<C>, lingerMs: number, now = Date.now()): void {
    this.remove(entry);
    if (entry.upstreamId !== undefined) this.ghosts.set(entry.upstreamId, { client: entry.client, until: now + lingerMs });
  }

  /** The upstream answered a request it had been told was cancelled: it is done with it. True if it was one. */
  settle(upstreamId: unknown): boolean {
    return typeof upstreamId === 'number' && this.ghosts.delete(upstreamId);
  }

  /** Cancelled requests the upstream may still be working on, counted by the session that made them (which may have left). */
  lingering(now = Date.now()): Map<C, number> {
    const out = new Map<C, number>();
    for (const [id, g] of this.ghosts) {
      if (g.until <= now) this.ghosts.delete(id);
      else out.set(g.client, (out.get(g.client) ?? 0) + 1);
    }
    return out;
  }

  /** The upstream ids of the cancelled requests that still linger. */
  lingeringIds(): number[] { return [...this.ghosts.keys()]; }

  /** The upstream is gone, and whatever it was still working on with it. */
  forgetLingering(): void { this.ghosts.clear(); }

  /** Every open request of one session, or of all. */
  entries(client?: C): Entry<C>[] {
    if (client !== undefined) return [...(this.byClient.get(client)?.values() ?? [])];
    return [...this.byClient.values()].flatMap((m) => [...m.values()]);
  }

  /** Requests already forwarded (not queued). */
  forwarded(): Entry<C>[] { return [...this.byUpstream.values()]; }
}
