// Per-client-address limits on the sign-in endpoints (DESIGN §6): a fixed window per (bucket,
// address). Behind a tunnel every request may come from one local address, so the limits are
// set for a few people sharing it, not for one.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface RateLimit { bucket: string; limit: number; windowMs: number }

export class RateLimiter {
  private hits = new Map<string, { count: number; resetAt: number }>();
  private sweeper: NodeJS.Timeout;

  constructor() {
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const [k, v] of this.hits) if (v.resetAt <= now) this.hits.delete(k);
    }, 60_000);
    this.sweeper.unref();
  }

  /** Counts a hit; false when over the limit (the caller answers 429). */
  take(rule: RateLimit, address: string): { ok: boolean; retryAfterSeconds: number } {
    const key = `${rule.bucket}\u0000${address}`;
    const now = Date.now();
    let h = this.hits.get(key);
    if (!h || h.resetAt <= now) {
      h = { count: 0, resetAt: now + rule.windowMs };
      this.hits.set(key, h);
    }
    h.count++;
    return { ok: h.count <= rule.limit, retryAfterSeconds: Math.ceil((h.resetAt - now) / 1000) };
  }

  close(): void { clearInterval(this.sweeper); }
}

/** The limits of each sign-in endpoint. */
export const LIMITS: Record<string, RateLimit> = {
  authorize: { bucket: 'authorize', limit: 120, windowMs: 60_000 },
  token: { bucket: 'token', limit: 240, windowMs: 60_000 },
  register: { bucket: 'register', limit: 60, windowMs: 60_000 },
  login: { bucket: 'login', limit: 20, windowMs: 60_000 },
};

export function clientAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * Answers 429 with an OAuth error body. `too_many_requests` is the MCP SDK's code (its own
 * authorization server answers it; its client maps it to TooManyRequestsError); RFC 8628's
 * `slow_down` means "poll the device endpoint more slowly" and is read as a server error.
 */
export function tooMany(res: ServerResponse, retryAfterSeconds: number): void {
  const body = JSON.stringify({ error: 'too_many_requests', error_description: `too many requests; try again in ${retryAfterSeconds} s` });
  res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(retryAfterSeconds), 'cache-control': 'no-store' });
  res.end(body);
}
