// Watches a tunnel's status events for the tunnel stories: every status in order, and waiting
// (with a deadline) for one that matches.
import type { TunnelProvider, TunnelStatus } from '../../src/tunnel/tunnel-provider.ts';
import { within } from './processes.ts';

export interface StatusLog {
  /** Every status the provider reported, in order. */
  readonly seen: TunnelStatus[];
  /** The first status at index `from` or later matching `pred`, waiting up to `ms` for it. */
  waitFor(pred: (s: TunnelStatus) => boolean, ms: number, what: string, from?: number): Promise<TunnelStatus>;
  /** The states seen, e.g. "connecting online reconnecting online". */
  states(from?: number): string;
}

export function watchStatus(provider: TunnelProvider): StatusLog {
  const seen: TunnelStatus[] = [];
  const waiters = new Set<{ pred: (s: TunnelStatus) => boolean; resolve: (s: TunnelStatus) => void }>();
  provider.onstatus = (s) => {
    seen.push(s);
    for (const w of [...waiters]) if (w.pred(s)) { waiters.delete(w); w.resolve(s); }
  };
  return {
    seen,
    waitFor(pred, ms, what, from = 0) {
      const found = seen.slice(from).find(pred);
      if (found) return Promise.resolve(found);
      let waiter!: { pred: (s: TunnelStatus) => boolean; resolve: (s: TunnelStatus) => void };
      const p = new Promise<TunnelStatus>((resolve) => { waiter = { pred, resolve }; waiters.add(waiter); });
      return within(p, ms, what, () => `statuses so far: ${JSON.stringify(seen)}`).finally(() => waiters.delete(waiter));
    },
    states(from = 0) {
      return seen.slice(from).map((s) => s.state).join(' ');
    },
  };
}

export const isOnline = (s: TunnelStatus): s is Extract<TunnelStatus, { state: 'online' }> => s.state === 'online';
export const isReconnecting = (s: TunnelStatus): s is Extract<TunnelStatus, { state: 'reconnecting' }> => s.state === 'reconnecting';
