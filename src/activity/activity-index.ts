// The file log's in-memory index: one compact row per kept entry (times, interned names, result,
// where its line is on disk), in the order kept, so a page with filters, a cursor and the
// statistics are answered without reading the files; only a page's own lines are read back.
import type { ActivityEntry, ActivityFilter } from './activity-log.ts';
import { callsOnly, formatId, parseId } from './activity-log.ts';
import type { StatsBuilder } from './activity-stats.ts';

const OK = 1;
const OWNER = 2;

/** Where an entry's line is: the file's number (the log names its files) and the byte range. */
export interface LinePlace { file: number; offset: number; length: number }

export class ActivityIndex {
  // One column per field; row i is the i-th kept entry (oldest first).
  private idAt: number[] = [];
  private seq: number[] = [];
  private at: number[] = [];
  private ms: number[] = [];
  private flags: number[] = [];
  private user: number[] = [];
  private email: number[] = [];
  private server: number[] = [];
  private tool: number[] = [];
  private file: number[] = [];
  private offset: number[] = [];
  private length: number[] = [];
  /** Interned names: 0 is "none". */
  private readonly names: string[] = [''];
  private readonly numbers = new Map<string, number>([['', 0]]);

  get size(): number { return this.idAt.length; }

  private intern(name: string | undefined): number {
    if (!name) return 0;
    let n = this.numbers.get(name);
    if (n === undefined) { n = this.names.length; this.names.push(name); this.numbers.set(name, n); }
    return n;
  }

  /** Rows are added in id order (the log's ids never go back). */
  add(e: ActivityEntry, place: LinePlace): void {
    const [idAt, seq] = parseId(e.id);
    this.idAt.push(idAt);
    this.seq.push(seq);
    this.at.push(e.at);
    this.file.push(place.file);
    this.offset.push(place.offset);
    this.length.push(place.length);
    if (e.kind === 'owner') {
      this.flags.push(OWNER | OK);
      this.ms.push(0);
      this.user.push(0);
      this.email.push(0);
      this.server.push(this.intern(e.server));
      this.tool.push(0);
    } else {
      this.flags.push(e.ok ? OK : 0);
      this.ms.push(e.ms);
      this.user.push(this.intern(e.user));
      this.email.push(this.intern(e.userEmail?.toLowerCase()));
      this.server.push(this.intern(e.server));
      this.tool.push(this.intern(e.name ?? e.method));
    }
  }

  /** The last row's id, for the ids that follow after a restart. */
  lastId(): string | undefined {
    const i = this.size - 1;
    return i < 0 ? undefined : formatId(this.idAt[i]!, this.seq[i]!);
  }

  /** Forgets the rows of a dropped file (the oldest rows: files are dropped oldest first). */
  dropFile(file: number): void {
    let n = 0;
    while (n < this.size && this.file[n] === file) n++;
    if (!n) return;
    for (const column of [this.idAt, this.seq, this.at, this.ms, this.flags, this.user, this.email, this.server, this.tool, this.file, this.offset, this.length]) column.splice(0, n);
  }

  /** The first row whose id is at or after `id` (binary search). */
  private lowerBound(id: string): number {
    const [at, seq] = parseId(id);
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.idAt[mid]! < at || (this.idAt[mid] === at && this.seq[mid]! < seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Rows matching `f`, newest first, at most `limit`, none older than `oldest` (epoch ms);
   * `more` when a further row matches.
   */
  find(f: ActivityFilter, limit: number, oldest: number): { rows: number[]; more: boolean } {
    const want = (name: string | undefined) => (name ? this.numbers.get(name) ?? -1 : undefined);
    const user = want(f.person);
    const email = want(f.person?.toLowerCase());
    const server = want(f.server);
    const tool = want(f.tool);
    const onlyCalls = callsOnly(f);
    const onlyOwner = f.kind === 'owner';
    const okWanted = f.result === undefined ? undefined : f.result === 'ok';
    // An id's time is never before its entry's time: rows before `floor` are all too old.
    const floor = Math.max(oldest, f.since ?? 0);
    const rows: number[] = [];
    for (let i = (f.before ? this.lowerBound(f.before) : this.size) - 1; i >= 0; i--) {
      if (this.idAt[i]! < floor) break;
      const at = this.at[i]!;
      if (at < floor || (f.until !== undefined && at >= f.until)) continue;
      const flags = this.flags[i]!;
      if (flags & OWNER ? onlyCalls : onlyOwner) continue;
      if (server !== undefined && this.server[i] !== server) continue;
      if (user !== undefined && this.user[i] !== user && this.email[i] !== email) continue;
      if (tool !== undefined && this.tool[i] !== tool) continue;
      if (okWanted !== undefined && Boolean(flags & OK) !== okWanted) continue;
      if (rows.length === limit) return { rows, more: true };
      rows.push(i);
    }
    return { rows, more: false };
  }

  place(row: number): LinePlace {
    return { file: this.file[row]!, offset: this.offset[row]!, length: this.length[row]! };
  }

  id(row: number): string {
    return formatId(this.idAt[row]!, this.seq[row]!);
  }

  /** Feeds the calls since `s.since` (of `server`, when given) to the statistics. */
  tally(s: StatsBuilder, server?: string): void {
    const only = server === undefined ? undefined : this.numbers.get(server) ?? -1;
    for (let i = this.size - 1; i >= 0 && this.idAt[i]! >= s.since; i--) {
      const flags = this.flags[i]!;
      if (flags & OWNER || (only !== undefined && this.server[i] !== only)) continue;
      s.add(this.names[this.server[i]!]!, this.names[this.tool[i]!]!, this.at[i]!, this.ms[i]!, Boolean(flags & OK));
    }
  }
}
