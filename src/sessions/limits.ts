// Per-person limits (DESIGN §5): what one person may hold at once. Each count is kept where the
// thing lives (sessions in the router, processes in the pool); this file owns the settings, the
// error a person gets over a limit, and the count of requests in flight across all servers.
import { ErrorCode } from '../jsonrpc/messages.ts';
import type { LimitsConfig } from '../config/schema.ts';

export type Limit = keyof LimitsConfig;

const WHAT: Record<Limit, string> = {
  sessionsPerPerson: 'open sessions',
  processesPerPerson: 'server processes',
  requestsPerPerson: 'requests waiting for an answer',
  parkedPerPerson: 'calls waiting for your input',
};

/** A person reached one of their limits. The message names the setting, and may be shown. */
export class LimitError extends Error {
  /** The JSON-RPC error code the gateway answers with (implementation-defined server error). */
  readonly code = ErrorCode.LimitReached;
  constructor(readonly limit: Limit, readonly max: number) {
    super(`limit reached: at most ${max} ${WHAT[limit]} per person (gateway.limits.${limit})`);
    this.name = 'LimitError';
  }
}

/** Requests in flight per person, across every session and server. */
export class RequestBudget {
  private counts = new Map<string, number>();
  constructor(private readonly limits: () => LimitsConfig) {}

  /** Takes a slot for one request; returns its release (call it once), or throws LimitError. */
  take(user: string): () => void {
    const max = this.limits().requestsPerPerson;
    const n = this.counts.get(user) ?? 0;
    if (n >= max) throw new LimitError('requestsPerPerson', max);
    this.counts.set(user, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(user) ?? 1) - 1;
      if (left > 0) this.counts.set(user, left);
      else this.counts.delete(user);
    };
  }

  inflight(user: string): number { return this.counts.get(user) ?? 0; }
}
