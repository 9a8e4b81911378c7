// A session attached to a multiplexer, as its policies see it (fan-out.ts, server-requests.ts):
// whose it is, what it subscribed to, and which of its calls the upstream may still be running.
import type { JsonRpcId, JsonRpcMessage } from '../jsonrpc/messages.ts';
import type { RequestTable } from './request-table.ts';
import type { Asked } from './server-requests.ts';
import type { Subscriber } from './fan-out.ts';
import type { MuxClient } from './multiplexer.ts';

/** A session attached to this upstream, as the fan-out policy sees it. */
export class Attached implements Subscriber, Asked {
  readonly subscriptions = new Set<string>();
  constructor(readonly client: MuxClient, private readonly table: RequestTable<Attached>) {}
  get user(): string | undefined { return this.client.user; }
  private forwarded() { return this.table.entries(this).filter((e) => e.upstreamId !== undefined); }
  /** Requests forwarded to the upstream and not answered: only those (and lingering ones) can have caused a server request. */
  get inflight(): number { return this.forwarded().length; }
  /** Its cancelled requests the upstream may still be working on (set by `lingering` before each routing decision). */
  lingering = 0;
  get onlyCall(): JsonRpcId | undefined {
    const mine = this.forwarded();
    return mine.length === 1 ? mine[0]!.clientId : undefined;
  }
  deliver(message: JsonRpcMessage, related?: JsonRpcId): boolean { return this.client.deliver(message, related); }
}

/**
 * Brings each attached session's count of lingering requests (cancelled, perhaps still running
 * upstream) up to date; those of sessions that have left are counted apart, with whose they were.
 */
export function lingering(clients: ReadonlyMap<MuxClient, Attached>, table: RequestTable<Attached>): { departedCalls: number; departedUsers: Set<string | undefined> } {
  const byClient = table.lingering();
  const departedUsers = new Set<string | undefined>();
  let departedCalls = 0;
  for (const a of clients.values()) a.lingering = byClient.get(a) ?? 0;
  for (const [a, n] of byClient) {
    if (clients.get(a.client) === a) continue;
    departedCalls += n;
    departedUsers.add(a.user);
  }
  return { departedCalls, departedUsers };
}
