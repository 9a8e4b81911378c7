// A record on disk of every child we started (pid and start time) and of the process that
// started it, so that after a crash of the app the next start ends the children that survived
// it: never a process that reused a pid, and never a child whose owner still runs.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Logger } from '../logging/logger.ts';

/** A process as the OS names it: pid, and start time where the OS tells it. */
export interface ProcessId { pid: number; startTime?: string }

interface Entry { pid: number; startTime: string; /** Absent in records written before owners were kept. */ owner?: ProcessId }

/** The process's start time as the OS reports it, or undefined if it is not running. */
export function processStartTime(pid: number): string | undefined {
  if (process.platform === 'linux') {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Field 22 (starttime) counted after the ")" that closes the command name.
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    } catch {
      return undefined;
    }
  }
  if (process.platform === 'win32') return undefined;
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}

/**
 * True while that process runs: same pid and, where the OS tells start times, the same one (a
 * pid reused by another program does not count). Without a start time only the pid is checked.
 */
export function processRunning(id: ProcessId): boolean {
  if (id.startTime === undefined || process.platform === 'win32') {
    try {
      process.kill(id.pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  return processStartTime(id.pid) === id.startTime;
}

export class ChildRegistry {
  private live = new Map<number, Entry>();
  private writing = false;
  private dirty = false;
  private owner: ProcessId | undefined;

  constructor(private readonly file: string | undefined, private readonly logger: Logger) {}

  /**
   * Ends children a previous run left behind (same pid and same start time) whose owner is dead,
   * then forgets them. A child whose owner still runs is left alone: that process owns it (only
   * possible if it holds the data folder without our lock: an older version).
   */
  reapOrphans(): number {
    if (!this.file) return 0;
    let entries: Entry[] = [];
    try {
      entries = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Entry[];
    } catch {
      return 0;
    }
    let killed = 0;
    let spared = 0;
    for (const e of Array.isArray(entries) ? entries : []) {
      if (typeof e?.pid !== 'number' || e.pid === process.pid) continue;
      if (e.owner && typeof e.owner.pid === 'number' && processRunning(e.owner)) {
        spared++;
        continue;
      }
      const now = processStartTime(e.pid);
      if (now !== undefined && now === e.startTime) {
        try {
          process.kill(e.pid, 'SIGKILL');
          killed++;
        } catch { /* already gone */ }
      }
    }
    if (killed) this.logger.warn({ killed }, 'ended server processes left running by an earlier crash');
    if (spared) this.logger.warn({ spared }, 'left alone server processes whose owner still runs');
    this.flush();
    return killed;
  }

  added(pid: number): void {
    if (!this.owner) {
      const startTime = processStartTime(process.pid);
      this.owner = { pid: process.pid, ...(startTime ? { startTime } : {}) };
    }
    this.live.set(pid, { pid, startTime: processStartTime(pid) ?? '', owner: this.owner });
    this.schedule();
  }

  removed(pid: number): void {
    if (this.live.delete(pid)) this.schedule();
  }

  pids(): number[] { return [...this.live.keys()]; }

  private schedule(): void {
    if (!this.file) return;
    this.dirty = true;
    if (this.writing) return;
    this.writing = true;
    setImmediate(() => {
      this.writing = false;
      if (this.dirty) this.flush();
    });
  }

  /** Writes the record now (synchronously: it also runs from exit handlers). */
  flush(): void {
    if (!this.file) return;
    this.dirty = false;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify([...this.live.values()]), { mode: 0o600 });
      fs.renameSync(tmp, this.file);
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'cannot write the record of running children');
    }
  }
}
