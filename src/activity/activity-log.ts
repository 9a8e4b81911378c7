// What happened on the servers and what the owner changed, kept across restarts (issue 12 #8,
// issue 14): the ActivityLog boundary, its filters and ids, and the in-memory log. The log on
// disk is file-activity-log.ts. Only what the sessions report is kept for a call (who, which
// server and tool, how long, the result and its error text); arguments never reach it.
import type { ActivityCallItem, ActivityItem, ActivityStatsView, ActivityView, OwnerActionView, StatsWindow } from '../admin/api.ts';
import { StatsBuilder } from './activity-stats.ts';

/** One kept entry: a call or an owner action, with an id that orders it (and pages after it). */
export type ActivityEntry = ActivityItem;

/** What `recordOwnerAction` takes: the action ("server.added") and, when it helps, what it was done to. */
export type OwnerAction = Omit<OwnerActionView, 'kind' | 'id' | 'at'> & { at?: number };

export interface ActivityFilter {
  /** Our user id or email (calls only). */
  person?: string;
  /** A call's server, or the server an owner action concerns. */
  server?: string;
  /** Tool, prompt or resource name (calls only). */
  tool?: string;
  /** Calls only. */
  result?: 'ok' | 'error';
  /** Calls or owner actions only; default both. */
  kind?: 'call' | 'owner';
  /** Only entries at or after this time (epoch ms). */
  since?: number;
  /** Only entries before this time (epoch ms). */
  until?: number;
  /** Only entries older than this entry's id (the cursor of the previous page). */
  before?: string;
  /** Entries per page; default 50, at most 500. */
  limit?: number;
}

/** A bounded, append-only record of calls and owner actions. */
export interface ActivityLog {
  /** Adds a finished call; written in the background, in order, with the next batch. */
  append(call: ActivityView): void;
  /** Adds something the owner did (config change, decision about a person, invite, permission edit). */
  recordOwnerAction(action: OwnerAction): void;
  /** Newest first; `next` is the cursor of the following page, when there is one. */
  query(filter?: ActivityFilter): Promise<{ items: ActivityEntry[]; next?: string }>;
  /** Calls, errors and p50/p95 per (server, tool) over the last hour, day or week. */
  stats(window: StatsWindow, server?: string): Promise<ActivityStatsView>;
  /** Waits for every entry appended so far to be written. */
  flush(): Promise<void>;
}

export const MAX_ERROR_CHARS = 1000;
const ID = /^(\d{15})-(\d{4})$/;

/** True when `id` has the shape of an entry id (a cursor). */
export const isEntryId = (id: string): boolean => ID.test(id);

/** An id's parts: its time and its counter within that millisecond. */
export function parseId(id: string): [number, number] {
  const m = ID.exec(id);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

export const formatId = (at: number, seq: number): string => `${String(at).padStart(15, '0')}-${String(seq).padStart(4, '0')}`;

/**
 * Ids in the order entries are kept, whatever their `at`: the time (never going back), then a
 * counter for entries in the same millisecond; `after` is the last id already kept.
 */
export function makeIds(after?: string): (at: number) => string {
  let [last, seq] = after ? parseId(after) : [0, 0];
  return (at) => {
    if (at > last) { last = at; seq = 0; } else if (++seq > 9999) { last += 1; seq = 0; }
    return formatId(last, seq);
  };
}

/** The entry a call becomes: its error text (the server's own words) kept short. */
export function callEntry(call: ActivityView, id: string): ActivityCallItem {
  const { error, ...rest } = call;
  return { ...rest, ...(error ? { error: error.slice(0, MAX_ERROR_CHARS) } : {}), id };
}

export function ownerEntry(action: OwnerAction, id: string, now = Date.now()): OwnerActionView {
  const { at = now, ...rest } = action;
  return { kind: 'owner', ...rest, at, id };
}

/** Whether `f` asks about calls only (owner actions have no person, tool or result). */
export const callsOnly = (f: ActivityFilter): boolean => Boolean(f.person || f.tool || f.result || f.kind === 'call');

export function matches(e: ActivityEntry, f: ActivityFilter): boolean {
  if (f.since !== undefined && e.at < f.since) return false;
  if (f.until !== undefined && e.at >= f.until) return false;
  if (f.before && e.id >= f.before) return false;
  if (e.kind === 'owner') return !callsOnly(f) && (!f.server || e.server === f.server);
  if (f.kind === 'owner') return false;
  if (f.person && e.user !== f.person && e.userEmail?.toLowerCase() !== f.person.toLowerCase()) return false;
  if (f.server && e.server !== f.server) return false;
  if (f.tool && (e.name ?? e.method) !== f.tool) return false;
  if (f.result && e.ok !== (f.result === 'ok')) return false;
  return true;
}

export const pageLimit = (f: ActivityFilter): number => Math.min(500, Math.max(1, f.limit ?? 50));

/** The log without a folder (tests, a core without app data): the last `max` entries in memory. */
export class MemoryActivityLog implements ActivityLog {
  private readonly entries: ActivityEntry[] = [];
  private readonly nextId = makeIds();
  constructor(private readonly max = 1000) {}

  append(call: ActivityView): void {
    this.keep(callEntry(call, this.nextId(call.at)));
  }

  recordOwnerAction(action: OwnerAction): void {
    const at = action.at ?? Date.now();
    this.keep(ownerEntry({ ...action, at }, this.nextId(at)));
  }

  private keep(entry: ActivityEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.max) this.entries.shift();
  }

  async query(filter: ActivityFilter = {}): Promise<{ items: ActivityEntry[]; next?: string }> {
    const limit = pageLimit(filter);
    const all = [...this.entries].reverse().filter((e) => matches(e, filter));
    return all.length > limit ? { items: all.slice(0, limit), next: all[limit - 1]!.id } : { items: all };
  }

  async stats(window: StatsWindow, server?: string): Promise<ActivityStatsView> {
    const s = new StatsBuilder(window);
    for (const e of this.entries) if (e.kind !== 'owner' && (!server || e.server === server)) s.add(e.server, e.name ?? e.method, e.at, e.ms, e.ok);
    return s.result();
  }

  async flush(): Promise<void> {}
}
