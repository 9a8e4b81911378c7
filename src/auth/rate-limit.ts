// Per-client-address limits on the sign-in endpoints (DESIGN §6): a fixed window per (bucket,
// key). The key is the address of the person, not of the socket: through a tunnel every request
// comes from 127.0.0.1, and keying on that let one stranger's wrong passwords lock everyone out.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';

export interface RateLimit { bucket: string; limit: number; windowMs: number }

/** Most keys remembered per limiter; the oldest go first (a stranger can invent keys). */
const MAX_KEYS = 50_000;

export class RateLimiter {
  private hits = new Map<string, { count: number; resetAt: number }>();
  private sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => {
      const t = this.now();
      for (const [k, v] of this.hits) if (v.resetAt <= t) this.hits.delete(k);
    }, 60_000);
    this.sweeper.unref();
  }

  /** Counts a hit; false when over the limit (the caller answers 429). */
  take(rule: RateLimit, key: string): { ok: boolean; retryAfterSeconds: number } {
    const k = `${rule.bucket}\u0000${key}`;
    const now = this.now();
    let h = this.hits.get(k);
    if (!h || h.resetAt <= now) {
      this.hits.delete(k);
      if (this.hits.size >= MAX_KEYS) this.hits.delete(this.hits.keys().next().value!);
      h = { count: 0, resetAt: now + rule.windowMs };
      this.hits.set(k, h);
    }
    h.count++;
    return { ok: h.count <= rule.limit, retryAfterSeconds: Math.max(1, Math.ceil((h.resetAt - now) / 1000)) };
  }

  /** Hits counted so far in the current window, without counting one. */
  peek(rule: RateLimit, key: string): number {
    const h = this.hits.get(`${rule.bucket}\u0000${key}`);
    return h && h.resetAt > this.now() ? h.count : 0;
  }

  close(): void { clearInterval(this.sweeper); }
}

/** The limits of each sign-in endpoint, per client address. */
export const LIMITS: Record<string, RateLimit> = {
  authorize: { bucket: 'authorize', limit: 120, windowMs: 60_000 },
  token: { bucket: 'token', limit: 240, windowMs: 60_000 },
  register: { bucket: 'register', limit: 60, windowMs: 60_000 },
  login: { bucket: 'login', limit: 20, windowMs: 60_000 },
};

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * The address a request is counted under. A request that arrived through the tunnel (or the
 * owner's reverse proxy) reaches us from loopback while we are published (`published`): then the
 * rightmost X-Forwarded-For entry, the one the tunnel's edge added, names the person (entries to
 * its left are whatever the client sent). Anything else is its socket address; X-Forwarded-For
 * is ignored then. A process on this computer can claim any address this way; the per-account
 * limits (login-guard.ts) hold whatever address is claimed.
 */
export function clientAddress(req: IncomingMessage, published: boolean): string {
  const socket = req.socket.remoteAddress ?? 'unknown';
  if (!published || !LOOPBACK.test(socket)) return socket;
  const header = req.headers['x-forwarded-for'];
  const last = [header ?? ''].flat().join(',').split(',').map((s) => s.trim()).filter(Boolean).at(-1);
  return last && isIP(last.replace(/^\[|\]$/g, '')) ? `fwd:${last.toLowerCase()}` : socket;
}

/**
 * Answers 429 with an OAuth error body, for programs (token, registration). `too_many_requests`
 * is the MCP SDK's code (its own authorization server answers it; its client maps it to
 * TooManyRequestsError); RFC 8628's `slow_down` means "poll the device endpoint more slowly".
 * Browser pages get a page instead (page-errors.ts).
 */
export function tooMany(res: ServerResponse, retryAfterSeconds: number): void {
  const body = JSON.stringify({ error: 'too_many_requests', error_description: `too many requests; try again in ${retryAfterSeconds} s` });
  res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(retryAfterSeconds), 'cache-control': 'no-store' });
  res.end(body);
}
