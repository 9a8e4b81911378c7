// Processes the benchmark starts, and what /proc says about them: CPU ticks, descendants, PSS.
// Every process started here is tracked until it is stopped, so an error or Ctrl-C still ends
// it and whatever it spawned (found through /proc, since some peers put children in their own
// process groups).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

/** Clock ticks per second of utime/stime in /proc/<pid>/stat. */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of one process, in ticks; undefined once it is gone. */
export function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]); // fields 14 and 15: utime, stime
  } catch {
    return undefined;
  }
}

/** Busy ticks of the whole machine (every CPU), from /proc/stat: all but idle and iowait. */
export function systemBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return user! + nice! + system! + irq! + softirq! + (steal ?? 0);
}

/** Direct children of a process, from every thread's children list. */
export function childrenOf(pid: number): number[] {
  const out = new Set<number>();
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  for (const t of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/)) if (c) out.add(Number(c));
    } catch { /* the thread ended */ }
  }
  return [...out];
}

/** Every descendant of a process (bounded depth and count). */
export function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  const queue: Array<[number, number]> = [[pid, 0]];
  while (queue.length && out.length < 5000) {
    const [p, depth] = queue.shift()!;
    if (depth >= 8) continue;
    for (const c of childrenOf(p)) {
      out.push(c);
      queue.push([c, depth + 1]);
    }
  }
  return out;
}

/** CPU ticks of a process alone and with its descendants alive right now. */
export function treeCpu(pid: number): { self: number; tree: number; pids: number[] } {
  const self = cpuTicks(pid) ?? 0;
  const kids = descendantsOf(pid);
  let tree = self;
  for (const k of kids) tree += cpuTicks(k) ?? 0;
  return { self, tree, pids: kids };
}

/** Pss and Pss_Anon from /proc/<pid>/smaps_rollup, in KiB. */
export function pssKb(pid: number): { pss: number; anon: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
    return { pss: field('Pss'), anon: field('Pss_Anon') };
  } catch {
    return undefined;
  }
}

export interface TreePss {
  /** PSS of the process alone. It shrinks when children start: they share the node binary's pages. */
  self: number;
  /** Pss_Anon of the process alone: its own heap and stacks, whatever it shares files with. */
  selfAnon: number;
  /** PSS of the process and every descendant. */
  tree: number;
  processes: number;
}

/** PSS of a process alone and with its descendants, in KiB. */
export function treePss(pid: number): TreePss {
  const self = pssKb(pid);
  const kids = descendantsOf(pid);
  let tree = self?.pss ?? 0;
  for (const k of kids) tree += pssKb(k)?.pss ?? 0;
  return { self: self?.pss ?? 0, selfAnon: self?.anon ?? 0, tree, processes: 1 + kids.length };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers kill 0; it has finished for our purposes.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A free TCP port on 127.0.0.1 (the peers want a number, not 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port (bounded by timeoutMs). */
export async function waitForPort(port: number, timeoutMs: number, proc?: BenchProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc && proc.exitCode !== undefined) throw new Error(`${proc.label} exited (${proc.exitCode}) before listening: ${proc.stderrTail()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => { sock.destroy(); resolve(true); });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(20);
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms${proc ? `: ${proc.stderrTail()}` : ''}`);
}

export interface StopReport {
  /** The main process ended by itself after SIGTERM (within the grace period). */
  graceful: boolean;
  /** Descendants still alive after the main process ended and the grace period passed. */
  leftovers: number[];
}

const STDERR_KEEP = 16 * 1024;
const GC_MARK = '[bench-gc] ';

/** A line of a process's stdout and when it arrived (performance.now()). */
export interface TimedLine { line: string; at: number }

/** What test/bench/gc-hook.mjs reports after a full collection (process.memoryUsage()). */
export interface GcReport { heapUsed: number; heapTotal: number; external: number; arrayBuffers: number; rss: number }

/** A process the benchmark started; stop() ends it and everything it spawned. */
export class BenchProcess {
  readonly pid: number;
  exitCode: number | string | undefined;
  private stderr = '';
  private readonly exited: Promise<void>;
  /** performance.now() just before the spawn. */
  readonly spawnedAt: number;
  private lineWaiters: Array<(line: TimedLine) => void> = [];
  private lines: TimedLine[] = [];
  private stderrLine = '';
  private gcWaiters: Array<(r: GcReport) => void> = [];

  constructor(readonly label: string, readonly child: ChildProcess, private readonly owner: ProcessSet, spawnedAt = performance.now()) {
    if (child.pid === undefined) throw new Error(`${label} did not start`);
    this.pid = child.pid;
    this.spawnedAt = spawnedAt;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => { this.exitCode = code ?? signal ?? 'unknown'; resolve(); }));
    child.stderr?.on('data', (d: Buffer) => {
      const text = d.toString();
      this.stderr = (this.stderr + text).slice(-STDERR_KEEP);
      const parts = (this.stderrLine + text).split('\n');
      this.stderrLine = parts.pop()!.slice(-STDERR_KEEP);
      for (const line of parts) {
        const at = line.indexOf(GC_MARK);
        if (at === -1) continue;
        try {
          const report = JSON.parse(line.slice(at + GC_MARK.length)) as GcReport;
          this.gcWaiters.shift()?.(report);
        } catch { /* not ours */ }
      }
    });
    if (child.stdout) {
      const rl = createInterface({ input: child.stdout });
      rl.on('line', (line) => {
        const timed = { line, at: performance.now() };
        const w = this.lineWaiters.shift();
        if (w) w(timed);
        else if (this.lines.length < 1000) this.lines.push(timed);
      });
    }
  }

  /**
   * Full garbage collection in the process (test/bench/gc-hook.mjs preloaded), resolved with its
   * heap figures once it reports; undefined when it does not answer within timeoutMs.
   */
  async gc(timeoutMs = 5000): Promise<GcReport | undefined> {
    let waiter!: (r: GcReport) => void;
    const reported = new Promise<GcReport>((resolve) => { waiter = resolve; this.gcWaiters.push(waiter); });
    try { process.kill(this.pid, 'SIGUSR2'); } catch { /* gone */ }
    const r = await Promise.race([reported, sleep(timeoutMs).then(() => undefined)]);
    this.gcWaiters = this.gcWaiters.filter((w) => w !== waiter);
    return r;
  }

  stderrTail(n = 800): string { return this.stderr.slice(-n).trim(); }

  /** The next stdout line (bounded by timeoutMs). */
  async nextLine(timeoutMs: number): Promise<string> {
    return (await this.nextTimedLine(timeoutMs)).line;
  }

  /** The next stdout line with the moment it arrived (bounded by timeoutMs). */
  nextTimedLine(timeoutMs: number): Promise<TimedLine> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.lineWaiters = this.lineWaiters.filter((w) => w !== waiter);
        reject(new Error(`${this.label} printed nothing within ${timeoutMs} ms: ${this.stderrTail()}`));
      }, timeoutMs);
      const waiter = (line: TimedLine) => { clearTimeout(timer); resolve(line); };
      this.lineWaiters.push(waiter);
      this.exited.then(() => {
        if (!this.lineWaiters.includes(waiter)) return;
        clearTimeout(timer);
        this.lineWaiters = this.lineWaiters.filter((w) => w !== waiter);
        reject(new Error(`${this.label} exited (${this.exitCode}): ${this.stderrTail()}`));
      });
    });
  }

  /** SIGTERM, up to graceMs for it and its descendants to end, then SIGKILL to whatever is left. */
  async stop(graceMs = 5000): Promise<StopReport> {
    const tree = new Set(descendantsOf(this.pid));
    if (this.exitCode === undefined) {
      try { process.kill(this.pid, 'SIGTERM'); } catch { /* already gone */ }
    }
    const deadline = Date.now() + graceMs;
    let graceful = true;
    await Promise.race([this.exited, sleep(graceMs)]);
    if (this.exitCode === undefined) {
      graceful = false;
      try { process.kill(this.pid, 'SIGKILL'); } catch { /* gone */ }
      await Promise.race([this.exited, sleep(2000)]);
    }
    // Descendants get the rest of the grace period to follow their parent.
    while (Date.now() < deadline && [...tree].some(alive)) await sleep(25);
    const leftovers = [...tree].filter(alive);
    for (const p of leftovers) {
      try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    }
    this.owner.forget(this);
    return { graceful, leftovers };
  }

  /** Synchronous last resort (exit handler): SIGKILL to it and every descendant. */
  killNow(): void {
    for (const p of [...descendantsOf(this.pid), this.pid]) {
      try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    }
  }
}

/** Owns every process the benchmark starts (and pids it adopts, e.g. an SDK stdio child). */
export class ProcessSet {
  private procs = new Set<BenchProcess>();
  private adopted = new Set<number>();

  spawn(label: string, command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): BenchProcess {
    const at = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const p = new BenchProcess(label, child, this, at);
    this.procs.add(p);
    return p;
  }

  adopt(pid: number): void { this.adopted.add(pid); }
  release(pid: number): void { this.adopted.delete(pid); }
  forget(p: BenchProcess): void { this.procs.delete(p); }
  get count(): number { return this.procs.size + this.adopted.size; }

  /** Stops everything still running (normal path). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.procs].map((p) => p.stop(2000)));
    this.killNow();
  }

  /** SIGKILL to everything tracked and its descendants; synchronous, for exit and signal handlers. */
  killNow(): void {
    for (const p of this.procs) p.killNow();
    for (const pid of this.adopted) {
      for (const q of [...descendantsOf(pid), pid]) {
        try { process.kill(q, 'SIGKILL'); } catch { /* gone */ }
      }
    }
    this.procs.clear();
    this.adopted.clear();
  }
}
