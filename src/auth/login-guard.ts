// Bounds password guessing per account without letting a stranger lock the account's owner out.
// The first wrong passwords for an account cost nothing extra; past that the account is guarded:
// a browser that signed in to it before (a signed "known browser" cookie, as OWASP's device
// cookies) goes on as usual, and everyone else gets a slow lane — one try per address per half
// minute, and a few a minute for the account however many addresses guess. Unknown emails are
// counted alike, so the answers say nothing about which accounts exist.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Response } from 'express';
import { normalizeEmail } from '../identity/profile.ts';
import { cookieValue } from './cookies.ts';
import { RateLimiter, type RateLimit } from './rate-limit.ts';

/** The per-account rules, each documented beside its default. */
export const ACCOUNT_LIMITS = {
  /** Wrong passwords for one account within 15 minutes before it is guarded: 10. */
  failures: { bucket: 'login-failures', limit: 10, windowMs: 15 * 60_000 },
  /** While guarded, one address may try the account once per 30 s. */
  perAddress: { bucket: 'login-account-address', limit: 1, windowMs: 30_000 },
  /** While guarded, browsers not known to the account may try it 10 times a minute in all. */
  perAccount: { bucket: 'login-account', limit: 10, windowMs: 60_000 },
} satisfies Record<string, RateLimit>;

const COOKIE = '_mcpp_known';
const COOKIE_DAYS = 180;

export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface LoginGuardOptions {
  /** HMAC keys of the known-browser cookie: the first signs, any verifies (oidc-provider's cookie keys). */
  keys: readonly string[];
  /** Set the cookie `Secure` (the issuer is https). */
  secure: boolean;
  /** Clock, epoch ms; default `Date.now`. */
  now?: () => number;
}

export class LoginGuard {
  readonly #limiter: RateLimiter;
  readonly #o: LoginGuardOptions;

  constructor(o: LoginGuardOptions) {
    this.#o = o;
    this.#limiter = new RateLimiter(o.now);
  }

  /**
   * Whether a password for `email` may be checked now, for a request from `address`. Call it
   * before checking; call `failed` after a wrong password and `succeeded` after the right one.
   */
  admit(req: IncomingMessage, email: string, address: string): Admission {
    const account = normalizeEmail(email);
    if (this.#limiter.peek(ACCOUNT_LIMITS.failures, account) < ACCOUNT_LIMITS.failures.limit) return { ok: true };
    if (this.#knownBrowser(req, account)) return { ok: true };
    for (const [rule, key] of [[ACCOUNT_LIMITS.perAddress, `${account}\u0000${address}`], [ACCOUNT_LIMITS.perAccount, account]] as const) {
      const r = this.#limiter.take(rule, key);
      if (!r.ok) return { ok: false, retryAfterSeconds: r.retryAfterSeconds };
    }
    return { ok: true };
  }

  /** A wrong password (or an unknown email) for `email`. */
  failed(email: string): void {
    this.#limiter.take(ACCOUNT_LIMITS.failures, normalizeEmail(email));
  }

  /** The right password: this browser is known to the account from now on. */
  succeeded(res: Response, email: string): void {
    const nonce = randomBytes(12).toString('base64url');
    res.cookie(COOKIE, `${nonce}.${this.#mac(this.#o.keys[0]!, nonce, normalizeEmail(email))}`, {
      httpOnly: true, sameSite: 'lax', secure: this.#o.secure, path: '/interaction', maxAge: COOKIE_DAYS * 86_400_000,
    });
  }

  close(): void { this.#limiter.close(); }

  #knownBrowser(req: IncomingMessage, account: string): boolean {
    const [nonce, mac] = (cookieValue(req, COOKIE) ?? '').split('.');
    if (!nonce || !mac) return false;
    const given = Buffer.from(mac);
    return this.#o.keys.some((key) => {
      const want = Buffer.from(this.#mac(key, nonce, account));
      return want.length === given.length && timingSafeEqual(want, given);
    });
  }

  #mac(key: string, nonce: string, account: string): string {
    return createHmac('sha256', key).update(`known-browser\u0000${nonce}\u0000${account}`).digest('base64url');
  }
}
