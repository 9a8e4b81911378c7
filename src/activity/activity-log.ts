// What happened on the servers, kept across restarts (issue 12 #8): every finished call appended
// as one JSON line to a file in the app-data folder, rotated by size, old files dropped by count
// and age (the `activity` settings), read back newest first with filters and a cursor. Only what
// the sessions report is kept (who, which server and tool, how long, the result and its error
// text); arguments never reach it.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ActivityConfig } from '../config/schema.ts';
import type { ActivityView } from '../admin/api.ts';

/** One kept call: the admin API's view of it, with an id that orders it (and pages after it). */
export type ActivityEntry = ActivityView & { id: string };

export interface ActivityFilter {
  /** Our user id or email. */
  person?: string;
  server?: string;
  /** Tool, prompt or resource name. */
  tool?: string;
  result?: 'ok' | 'error';
  /** Only calls at or after this time (epoch ms). */
  since?: number;
  /** Only calls older than this entry's id (the cursor of the previous page). */
  before?: string;
  /** Entries per page; default 50, at most 500. */
  limit?: number;
}

/** A bounded, append-only record of calls. */
export interface ActivityLog {
  /** Adds a call (written in the background, in order); resolves the entry as kept. */
  append(call: ActivityView): ActivityEntry;
  /** Newest first; `next` is the cursor of the following page, when there is one. */
  query(filter?: ActivityFilter): Promise<{ items: ActivityEntry[]; next?: string }>;
  /** Waits for every append to be written. */
  flush(): Promise<void>;
}

const CURRENT = 'activity.jsonl';
const ROTATED = /^activity-(\d+)\.jsonl$/;

function matches(e: ActivityEntry, f: ActivityFilter): boolean {
  if (f.person && e.user !== f.person && e.userEmail?.toLowerCase() !== f.person.toLowerCase()) return false;
  if (f.server && e.server !== f.server) return false;
  if (f.tool && (e.name ?? e.method) !== f.tool) return false;
  if (f.result && e.ok !== (f.result === 'ok')) return false;
  if (f.since && e.at < f.since) return false;
  if (f.before && e.id >= f.before) return false;
  return true;
}

/** Ids sort as the calls were appended: the time, then a counter for calls in the same millisecond. */
function makeIds(): (at: number) => string {
  let last = 0;
  let seq = 0;
  return (at) => {
    seq = at === last ? seq + 1 : 0;
    last = at;
    return `${String(at).padStart(15, '0')}-${String(seq).padStart(4, '0')}`;
  };
}

/** The log in `dir` (created when needed). */
export class FileActivityLog implements ActivityLog {
  private queue: Promise<void> = Promise.resolve();
  private readonly nextId = makeIds();
  private size?: number;

  constructor(private readonly dir: string, private readonly settings: () => ActivityConfig) {}

  append(call: ActivityView): ActivityEntry {
    const { error, ...rest } = call;
    // An error text is the server's own words: kept short.
    const entry: ActivityEntry = { ...rest, ...(error ? { error: error.slice(0, 1000) } : {}), id: this.nextId(call.at) };
    const line = `${JSON.stringify(entry)}\n`;
    this.queue = this.queue.then(() => this.write(line)).catch(() => undefined);
    return entry;
  }

  private async write(line: string): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = path.join(this.dir, CURRENT);
    this.size ??= await fs.stat(file).then((s) => s.size, () => 0);
    const { maxFileKiB } = this.settings();
    if (this.size > 0 && this.size + line.length > maxFileKiB * 1024) {
      await fs.rename(file, path.join(this.dir, `activity-${Date.now()}.jsonl`));
      this.size = 0;
      await this.prune();
    }
    await fs.appendFile(file, line, { mode: 0o600 });
    this.size += Buffer.byteLength(line);
  }

  /** Drops rotated files beyond `maxFiles` and those older than `maxAgeDays`. */
  private async prune(): Promise<void> {
    const { maxFiles, maxAgeDays } = this.settings();
    const rotated = (await this.rotated()).sort((a, b) => b.at - a.at);
    const tooOld = Date.now() - maxAgeDays * 86_400_000;
    for (const [i, r] of rotated.entries()) if (i >= maxFiles - 1 || r.at < tooOld) await fs.rm(path.join(this.dir, r.name), { force: true });
  }

  private async rotated(): Promise<{ name: string; at: number }[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    return names.flatMap((name) => { const m = ROTATED.exec(name); return m ? [{ name, at: Number(m[1]) }] : []; });
  }

  async query(filter: ActivityFilter = {}): Promise<{ items: ActivityEntry[]; next?: string }> {
    await this.flush();
    const limit = Math.min(500, Math.max(1, filter.limit ?? 50));
    const tooOld = Date.now() - this.settings().maxAgeDays * 86_400_000;
    const files = [CURRENT, ...(await this.rotated()).sort((a, b) => b.at - a.at).map((r) => r.name)];
    const items: ActivityEntry[] = [];
    for (const name of files) {
      const text = await fs.readFile(path.join(this.dir, name), 'utf8').catch(() => '');
      const lines = text.split('\n');
      for (let i = lines.length - 1; i >= 0; i--) {
        if (!lines[i]) continue;
        let e: ActivityEntry;
        try { e = JSON.parse(lines[i]!) as ActivityEntry; } catch { continue; } // a torn last line after a crash
        if (e.at < tooOld || !matches(e, filter)) continue;
        items.push(e);
        if (items.length > limit) return { items: items.slice(0, limit), next: items[limit - 1]!.id };
      }
    }
    return { items };
  }

  flush(): Promise<void> {
    return this.queue;
  }
}

/** The log without a folder (tests, a core without app data): the last `max` calls in memory. */
export class MemoryActivityLog implements ActivityLog {
  private readonly entries: ActivityEntry[] = [];
  private readonly nextId = makeIds();
  constructor(private readonly max = 1000) {}
  append(call: ActivityView): ActivityEntry {
    const entry = { ...call, id: this.nextId(call.at) };
    this.entries.push(entry);
    if (this.entries.length > this.max) this.entries.shift();
    return entry;
  }
  async query(filter: ActivityFilter = {}): Promise<{ items: ActivityEntry[]; next?: string }> {
    const limit = Math.min(500, Math.max(1, filter.limit ?? 50));
    const all = [...this.entries].reverse().filter((e) => matches(e, filter));
    return all.length > limit ? { items: all.slice(0, limit), next: all[limit - 1]!.id } : { items: all };
  }
  async flush(): Promise<void> {}
}
