// The activity log on disk: JSON lines in the app-data folder, appended in batches (one write per
// tick, in order), rotated by size, old files dropped by count and age (the `activity` settings).
// On first use one streaming read builds the in-memory index (activity-index.ts); after that a
// page reads only its own lines. A crash loses at most the batch not yet written; a torn last
// line is skipped (and cut off the current file, so the next line starts clean).
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ActivityConfig } from '../config/schema.ts';
import type { ActivityStatsView, ActivityView, StatsWindow } from '../admin/api.ts';
import {
  callEntry, isEntryId, makeIds, ownerEntry, pageLimit,
  type ActivityEntry, type ActivityFilter, type ActivityLog, type OwnerAction,
} from './activity-log.ts';
import { ActivityIndex, type LinePlace } from './activity-index.ts';
import { StatsBuilder } from './activity-stats.ts';

const CURRENT = 'activity.jsonl';
const ROTATED = /^activity-(\d+)\.jsonl$/;
const DAY = 86_400_000;
/** Lines of a page closer together than this are read in one go. */
const ONE_READ = 1 << 20;

/** A file of the log: its name and, once rotated, when (0 for the current file). */
interface LogFile { name: string; at: number }
/** An entry waiting for the next batch: its id is given when it is written, so ids follow the file. */
interface Pending { at: number; make: (id: string) => ActivityEntry }

/** The log in `dir` (created when needed). */
export class FileActivityLog implements ActivityLog {
  private readonly index = new ActivityIndex();
  /** File number → file, oldest first (the index names files by number: a rename keeps rows valid). */
  private readonly files = new Map<number, LogFile>();
  private fileCount = 0;
  private current = 0;
  /** Bytes of whole lines in the current file. */
  private size = 0;
  private lastRotation = 0;
  private nextId = makeIds();
  private pending: Pending[] = [];
  private scheduled = false;
  /** Writes and page reads, one at a time (a read never sees a file being renamed or dropped). */
  private queue: Promise<unknown> = Promise.resolve();
  private opened?: Promise<void>;

  constructor(private readonly dir: string, private readonly settings: () => ActivityConfig) {}

  append(call: ActivityView): void {
    this.keep({ at: call.at, make: (id) => callEntry(call, id) });
  }

  recordOwnerAction(action: OwnerAction): void {
    const at = action.at ?? Date.now();
    this.keep({ at, make: (id) => ownerEntry({ ...action, at }, id) });
  }

  async query(filter: ActivityFilter = {}): Promise<{ items: ActivityEntry[]; next?: string }> {
    this.writeSoon(true);
    return this.enqueue(async () => {
      await this.open();
      const { rows, more } = this.index.find(filter, pageLimit(filter), Date.now() - this.settings().maxAgeDays * DAY);
      const items = await this.read(rows);
      return more && rows.length ? { items, next: this.index.id(rows[rows.length - 1]!) } : { items };
    });
  }

  async stats(window: StatsWindow, server?: string): Promise<ActivityStatsView> {
    this.writeSoon(true);
    return this.enqueue(async () => {
      await this.open();
      const s = new StatsBuilder(window);
      this.index.tally(s, server);
      return s.result();
    });
  }

  async flush(): Promise<void> {
    this.writeSoon(true);
    await this.queue;
  }

  private keep(p: Pending): void {
    this.pending.push(p);
    this.writeSoon(false);
  }

  /** Queues the batch now (`now`), or once this tick's appends are in. */
  private writeSoon(now: boolean): void {
    const queue = () => { this.enqueue(() => this.writeBatch()).catch(() => undefined); };
    if (now) { if (this.pending.length) queue(); return; }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => { this.scheduled = false; if (this.pending.length) queue(); });
  }

  private enqueue<T>(step: () => Promise<T>): Promise<T> {
    const run = this.queue.then(step);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private pathOf(file: number): string {
    return path.join(this.dir, this.files.get(file)!.name);
  }

  private open(): Promise<void> {
    return (this.opened ??= this.load());
  }

  /** Indexes the files there are, oldest first, and drops what the limits no longer allow. */
  private async load(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const rotated = (await fs.readdir(this.dir))
      .flatMap((name) => { const m = ROTATED.exec(name); return m ? [{ name, at: Number(m[1]) }] : []; })
      .sort((a, b) => a.at - b.at);
    for (const f of rotated) {
      const no = ++this.fileCount;
      this.files.set(no, f);
      await this.scan(no, false);
      this.lastRotation = f.at;
    }
    this.current = ++this.fileCount;
    this.files.set(this.current, { name: CURRENT, at: 0 });
    this.size = await this.scan(this.current, true);
    this.nextId = makeIds(this.index.lastId());
    await this.prune();
  }

  /** One streaming read of a file into the index; resolves the bytes of its whole lines. */
  private async scan(file: number, current: boolean): Promise<number> {
    const name = this.pathOf(file);
    let done = 0;
    let rest: Buffer = Buffer.alloc(0);
    try {
      for await (const chunk of createReadStream(name, { highWaterMark: ONE_READ }) as AsyncIterable<Buffer>) {
        const buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
        let start = 0;
        for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
          this.indexLine(buf.toString('utf8', start, nl), { file, offset: done + start, length: nl + 1 - start });
          start = nl + 1;
        }
        rest = buf.subarray(start);
        done += start;
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw e;
    }
    // A torn last line (a crash mid-write): cut off, so the next line does not join it.
    if (rest.length && current) await fs.truncate(name, done);
    return done;
  }

  private indexLine(text: string, place: LinePlace): void {
    let e: ActivityEntry;
    try { e = JSON.parse(text) as ActivityEntry; } catch { return; } // a torn line
    if (typeof e !== 'object' || e === null || typeof e.id !== 'string' || !isEntryId(e.id) || typeof e.at !== 'number') return;
    this.index.add(e, place);
  }

  /** Writes the waiting entries in one append per file (a rotation splits the batch). */
  private async writeBatch(): Promise<void> {
    await this.open();
    const batch = this.pending.splice(0);
    if (!batch.length) return;
    const max = this.settings().maxFileKiB * 1024;
    let lines: Buffer[] = [];
    let placed: [ActivityEntry, number, number][] = [];
    let bytes = 0;
    const write = async () => {
      if (!bytes) return;
      const name = this.pathOf(this.current);
      try {
        await fs.appendFile(name, Buffer.concat(lines, bytes), { mode: 0o600 });
      } catch (e) {
        await fs.truncate(name, this.size).catch(() => undefined); // no half batch left behind
        throw e;
      }
      for (const [entry, offset, length] of placed) this.index.add(entry, { file: this.current, offset, length });
      this.size += bytes;
      lines = [];
      placed = [];
      bytes = 0;
    };
    for (const p of batch) {
      const entry = p.make(this.nextId(p.at));
      const line = Buffer.from(`${JSON.stringify(entry)}\n`);
      if (this.size + bytes > 0 && this.size + bytes + line.length > max) {
        await write();
        await this.rotate();
      }
      placed.push([entry, this.size + bytes, line.length]);
      lines.push(line);
      bytes += line.length;
    }
    await write();
  }

  /** The current file becomes `activity-<time>.jsonl` (times never repeat) and a new one starts. */
  private async rotate(): Promise<void> {
    const at = Math.max(Date.now(), this.lastRotation + 1);
    this.lastRotation = at;
    const name = `activity-${at}.jsonl`;
    await fs.rename(this.pathOf(this.current), path.join(this.dir, name));
    this.files.set(this.current, { name, at });
    this.current = ++this.fileCount;
    this.files.set(this.current, { name: CURRENT, at: 0 });
    this.size = 0;
    await this.prune();
  }

  /** Drops rotated files beyond `maxFiles` (the current one counts) and those older than `maxAgeDays`. */
  private async prune(): Promise<void> {
    const { maxFiles, maxAgeDays } = this.settings();
    const tooOld = Date.now() - maxAgeDays * DAY;
    const rotated = [...this.files].filter(([no]) => no !== this.current);
    const keep = maxFiles - 1;
    for (const [i, [no, f]] of rotated.entries()) {
      if (i >= rotated.length - keep && f.at >= tooOld) continue;
      await fs.rm(path.join(this.dir, f.name), { force: true });
      this.files.delete(no);
      this.index.dropFile(no);
    }
  }

  /** The entries of `rows`, in that order, read back from their files. */
  private async read(rows: number[]): Promise<ActivityEntry[]> {
    const places = rows.map((r) => this.index.place(r));
    const found: (ActivityEntry | undefined)[] = new Array(rows.length);
    const byFile = new Map<number, number[]>();
    for (const [i, p] of places.entries()) { const list = byFile.get(p.file); if (list) list.push(i); else byFile.set(p.file, [i]); }
    for (const [file, which] of byFile) {
      const handle = await fs.open(this.pathOf(file), 'r');
      try {
        const first = Math.min(...which.map((i) => places[i]!.offset));
        const end = Math.max(...which.map((i) => places[i]!.offset + places[i]!.length));
        // A page without filters is one stretch of a file: one read; scattered lines one by one.
        const spans = end - first <= ONE_READ ? [{ from: first, to: end, lines: which }] : which.map((i) => ({ from: places[i]!.offset, to: places[i]!.offset + places[i]!.length, lines: [i] }));
        for (const span of spans) {
          const buf = Buffer.alloc(span.to - span.from);
          await handle.read(buf, 0, buf.length, span.from);
          for (const i of span.lines) {
            const p = places[i]!;
            try { found[i] = JSON.parse(buf.toString('utf8', p.offset - span.from, p.offset - span.from + p.length - 1)) as ActivityEntry; } catch { /* changed behind our back */ }
          }
        }
      } finally {
        await handle.close();
      }
    }
    return found.filter((e): e is ActivityEntry => e !== undefined);
  }
}
