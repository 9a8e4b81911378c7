// One owner per data folder (STYLE 17): `serve` and the desktop app take this lock before they
// touch anything in the app-data folder (not even reaping a crashed run's children), and a second
// start learns which process holds it. The holder is named by pid and start time, so a lock left
// by a killed process is taken over, and a pid reused by another program is not mistaken for it.
//
// How: lock files `instance-<n>.lock`, each created whole and at once (a hard link of a written
// file: it exists complete or not at all, and only one process can create a given name). The
// holder is the one of the highest n. To take over from a dead holder, a process creates n+1;
// when two race, one wins the name. A process that created a number while a higher one already
// existed (it listed the folder before someone else moved on) gives its number up and looks again.
import fs from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { processRunning, processStartTime } from '../upstream/child-registry.ts';

/** Who holds the data folder. */
export interface LockHolder {
  pid: number;
  /** As `processStartTime` reports it; absent where the OS does not tell (Windows). */
  startTime?: string;
  /** What runs there: `serve` (the headless command), `desktop` (the tray app), or an `import` writing the config. */
  kind: 'serve' | 'desktop' | 'import';
  /** When it took the lock, epoch ms. */
  since: number;
}

/**
 * - `held`: another running process holds the folder (`holder` says which).
 * - `io`: the folder cannot be read or written.
 */
export class InstanceLockError extends Error {
  readonly code: 'held' | 'io';
  readonly dir: string;
  readonly holder: LockHolder | undefined;
  constructor(code: 'held' | 'io', message: string, options: { dir: string; holder?: LockHolder; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'InstanceLockError';
    this.code = code;
    this.dir = options.dir;
    this.holder = options.holder;
  }
}

export interface InstanceLock {
  readonly holder: LockHolder;
  /** Gives the folder up (removes our lock file). Calling it again does nothing. */
  release(): Promise<void>;
}

const LOCK_NAME = /^instance-(\d+)\.lock$/;
const lockFile = (dir: string, n: number) => path.join(dir, `instance-${n}.lock`);

/** Takes the data folder for this process, or rejects with `InstanceLockError` (`held`, `io`). */
export async function acquireInstanceLock(dir: string, kind: LockHolder['kind']): Promise<InstanceLock> {
  const startTime = processStartTime(process.pid);
  const me: LockHolder = { pid: process.pid, ...(startTime ? { startTime } : {}), kind, since: Date.now() };
  const tmp = path.join(dir, `.instance-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await fs.writeFile(tmp, JSON.stringify(me), { mode: 0o600 });
    for (;;) {
      const numbers = await lockNumbers(dir);
      const top = numbers.at(-1);
      if (top !== undefined) {
        const holder = await readHolder(lockFile(dir, top));
        if (holder && isRunning(holder)) throw heldBy(dir, holder);
      }
      const mine = (top ?? 0) + 1;
      if (!(await createFrom(tmp, lockFile(dir, mine)))) continue; // someone else got that number: look again
      if ((await lockNumbers(dir)).some((n) => n > mine)) {
        // We worked from an old listing: the holder is above us. Give our number up, look again.
        await fs.rm(lockFile(dir, mine), { force: true });
        continue;
      }
      // Ours. The lower numbers belong to dead holders or to starts that are giving up.
      for (const n of numbers) if (n < mine) await fs.rm(lockFile(dir, n), { force: true });
      return ownLock(dir, mine, me);
    }
  } catch (e) {
    if (e instanceof InstanceLockError) throw e;
    throw new InstanceLockError('io', `cannot lock the data folder ${dir}: ${(e as Error).message}`, { dir, cause: e });
  } finally {
    await fs.rm(tmp, { force: true }).catch(() => {});
  }
}

/** The running process that holds the folder, if any (for messages; takes nothing). */
export async function instanceHolder(dir: string): Promise<LockHolder | undefined> {
  const top = (await lockNumbers(dir).catch(() => [])).at(-1);
  const holder = top === undefined ? undefined : await readHolder(lockFile(dir, top));
  return holder && isRunning(holder) ? holder : undefined;
}

/** "pid 4242 (mcp-publish serve), running since 14:02:11" */
export function describeHolder(holder: LockHolder): string {
  const what = holder.kind === 'desktop' ? 'the MCP Publish desktop app' : `mcp-publish ${holder.kind}`;
  return `pid ${holder.pid} (${what}), running since ${new Date(holder.since).toLocaleString()}`;
}

function heldBy(dir: string, holder: LockHolder): InstanceLockError {
  return new InstanceLockError('held', `MCP Publish already runs on the data folder ${dir}: ${describeHolder(holder)}. ` +
    'Stop that one first, or give this one another folder with MCP_PUBLISH_HOME.', { dir, holder });
}

/** True while the holder's process runs: same pid and, where the OS tells, same start time. */
export function isRunning(holder: LockHolder): boolean {
  return processRunning(holder);
}

async function lockNumbers(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names.flatMap((n) => { const m = LOCK_NAME.exec(n); return m ? [Number(m[1])] : []; }).sort((a, b) => a - b);
}

/** The holder a lock file names; undefined if it is gone or not ours to read. */
async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const h = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<LockHolder>;
    if (typeof h.pid !== 'number' || typeof h.since !== 'number') return undefined;
    return { pid: h.pid, ...(typeof h.startTime === 'string' ? { startTime: h.startTime } : {}), kind: h.kind === 'desktop' ? 'desktop' : 'serve', since: h.since };
  } catch {
    return undefined;
  }
}

/**
 * Creates `file` with `tmp`'s content, complete at once; false if it exists already. A hard
 * link where the file system has them, else an exclusive copy.
 */
async function createFrom(tmp: string, file: string): Promise<boolean> {
  try {
    await fs.link(tmp, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw e;
  }
  try {
    await fs.copyFile(tmp, file, constants.COPYFILE_EXCL);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

function ownLock(dir: string, n: number, me: LockHolder): InstanceLock {
  let released = false;
  return {
    holder: me,
    async release() {
      if (released) return;
      released = true;
      const file = lockFile(dir, n);
      const now = await readHolder(file);
      if (now?.pid === me.pid && now.since === me.since) await fs.rm(file, { force: true });
    },
  };
}
