// Group commit (STYLE 16: acknowledge after it is durable). Every change waits for a write that
// includes it; changes made while a write is on its way are grouped into the next one, so a busy
// store writes once per disk round trip, not once per change, and an idle one at once.
import type { Logger } from '../logging/logger.ts';

interface Waiter {
  /** The change this waiter needs on disk. */
  change: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class GroupCommit {
  readonly #write: () => Promise<void>;
  readonly #logger: Logger | undefined;
  /** Changes made so far, and how many of them are known to be on disk. */
  #made = 0;
  #durable = 0;
  #waiters: Waiter[] = [];
  /** True while the writer loop runs; cleared by the loop itself, in the same turn it ends. */
  #running = false;

  /**
   * `write` takes a snapshot of everything *synchronously, when called*, then writes it durably
   * (file and folder fsynced); it rejects when that failed.
   */
  constructor(write: () => Promise<void>, logger?: Logger) {
    this.#write = write;
    this.#logger = logger;
  }

  /** True while some change is not on disk yet. */
  get dirty(): boolean { return this.#made > this.#durable; }

  /**
   * Records a change (already made in memory) and resolves once a write that includes it is on
   * disk; rejects with that write's error. Answer a request only after this resolves.
   */
  commit(): Promise<void> {
    const change = ++this.#made;
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ change, resolve, reject });
      this.#start();
    });
  }

  /** Records a change nobody waits for (an expired entry purged): it goes with the next write. */
  touch(): void {
    this.#made++;
    this.#start();
  }

  /** Resolves once every change recorded so far is on disk; rejects if the write failed. */
  settled(): Promise<void> {
    if (!this.dirty) return Promise.resolve();
    const change = this.#made;
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ change, resolve, reject });
      this.#start();
    });
  }

  #start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#run();
  }

  /**
   * One write at a time; each takes every change made before it started. The flag is cleared
   * synchronously as the loop ends: code woken by the last acknowledgement runs only after that,
   * so a change it makes starts a new loop (clearing it in a later callback left such a change
   * waiting for ever).
   */
  async #run(): Promise<void> {
    try {
      // Changes made in this same turn of the event loop join the first write.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.dirty) {
        const upTo = this.#made;
        let failure: Error | undefined;
        try {
          await this.#write();
          this.#durable = upTo;
        } catch (e) {
          failure = e as Error;
        }
        const settled = this.#waiters.filter((w) => w.change <= upTo);
        this.#waiters = this.#waiters.filter((w) => w.change > upTo);
        for (const w of settled) if (failure) w.reject(failure); else w.resolve();
        if (failure) {
          this.#logger?.error({ err: failure }, 'could not write the state file; the changes it held were refused, and the next change writes them again');
          // Only changes someone waits for are tried again now; the rest ride the next change.
          if (this.#waiters.length === 0) break;
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
