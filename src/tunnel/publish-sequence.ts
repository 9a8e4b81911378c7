// The Publish toggle's order (used by the publisher): publish and unpublish run one at a time, in
// the order asked, so two quick Publish clicks open one tunnel (the first is never replaced and
// leaked, a cloudflared process with it) and an Unpublish in between is never lost; an Unpublish
// also stops a tunnel that is still connecting at once, instead of waiting for its retries.
import type { TunnelProvider } from './tunnel-provider.ts';

export class PublishSequence {
  #queue: Promise<unknown> = Promise.resolve();
  /** Counts unpublishes asked for: a publish queued before one opens nothing. */
  #unpublishes = 0;
  /** The tunnel being started, and whether an unpublish cancelled it. */
  #starting: { tunnel: TunnelProvider; cancelled: boolean } | undefined;

  /** Queues `open`; when an unpublish was asked after this publish, runs `skipped` instead. */
  publish<T>(open: () => Promise<T>, skipped: () => T): Promise<T> {
    const asked = this.#unpublishes;
    return this.#serially(async () => (asked === this.#unpublishes ? open() : skipped()));
  }

  /** Queues `close`, and stops at once a tunnel that a queued publish is still starting. */
  unpublish<T>(close: () => Promise<T>): Promise<T> {
    this.#unpublishes++;
    const starting = this.#starting;
    if (starting && !starting.cancelled) {
      starting.cancelled = true;
      void starting.tunnel.stop().catch(() => {});
    }
    return this.#serially(close);
  }

  /**
   * Awaits `start` of `tunnel` (called inside a queued publish). Resolves true once started, false
   * when an unpublish stopped it meanwhile (its failure is then no failure); rethrows otherwise.
   */
  async started(tunnel: TunnelProvider, start: Promise<void>): Promise<boolean> {
    const starting = { tunnel, cancelled: false };
    this.#starting = starting;
    try {
      await start;
      return !starting.cancelled;
    } catch (e) {
      if (starting.cancelled) return false;
      throw e;
    } finally {
      if (this.#starting === starting) this.#starting = undefined;
    }
  }

  #serially<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op, op);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
