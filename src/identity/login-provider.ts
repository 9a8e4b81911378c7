// The boundary the sign-in pages use for every redirect login (OIDC, GitHub): `LoginProvider`,
// the callback paths to register at the IdP, and the server-side store of logins in progress.
import { timingSafeEqual } from 'node:crypto';
import type { StateStore } from '../state/state-store.ts';
import { LoginError } from './login-error.ts';
import type { LoginProfile } from './profile.ts';

/** The redirect login methods (local accounts use a form, not a redirect). */
export type RedirectLoginMethod = 'oidc' | 'github';

/**
 * What a login in progress must remember between `start` and `finish`. Keep it server-side
 * (never in the URL or a readable cookie): the PKCE verifier is what makes a stolen code useless.
 */
export interface PendingLogin {
  provider: RedirectLoginMethod;
  /** Sent to the IdP and required back unchanged on the callback (CSRF protection). */
  state: string;
  /** OIDC only: must come back inside the ID token (replay protection). */
  nonce?: string;
  /** PKCE (RFC 7636) verifier; its S256 challenge went to the IdP. */
  codeVerifier: string;
  /** The exact redirect URI sent to the IdP; the token request repeats it. */
  redirectUri: string;
  /** Epoch ms, for the caller's expiry. */
  createdAt: number;
}

/** The result of `LoginProvider.start`. */
export interface LoginStart {
  /** Where to send the browser (302). */
  url: URL;
  /** To keep server-side, keyed by `pending.state`, until the callback (see `PendingLogins`). */
  pending: PendingLogin;
}

/** One way to sign in by redirect, used alike by the auth pages for every IdP. */
export interface LoginProvider {
  /** Which method; also the path segment of its callback (`/login/<id>/callback`). */
  readonly id: RedirectLoginMethod;
  /** The button text on the sign-in page ("Sign in with GitHub"). */
  readonly label: string;

  /**
   * Begins a login: returns the IdP URL to redirect to and what to keep until the callback.
   * `redirectUri` must be exactly one registered at the IdP (see `loginRedirectUris`). May
   * reject with `LoginError` (`discovery_failed`, `misconfigured`).
   */
  start(redirectUri: string): Promise<LoginStart>;

  /**
   * Completes a login from the callback the browser brought back (its URL, or just its query)
   * and the `pending` that `start` returned. Only the query is read; the redirect URI comes from
   * `pending`, so the public URL need not be rebuilt behind a tunnel. Resolves the profile;
   * rejects with `LoginError`. Each `pending` is good for one callback: delete it before calling.
   */
  finish(callback: URL | URLSearchParams, pending: PendingLogin): Promise<LoginProfile>;
}

/** Callback paths under the public issuer URL, one per redirect login method. */
export const LOGIN_CALLBACK_PATHS: Readonly<Record<RedirectLoginMethod, string>> = {
  oidc: '/login/oidc/callback',
  github: '/login/github/callback',
};

/**
 * The redirect URIs to register at each IdP for a public issuer URL (the bare origin, DESIGN §4),
 * e.g. `https://abc.loca.lt` → `https://abc.loca.lt/login/oidc/callback`. For `doctor` and the README.
 */
export function loginRedirectUris(issuer: string | URL): Record<RedirectLoginMethod, string> {
  const base = new URL(issuer);
  const prefix = base.pathname.replace(/\/+$/, '');
  const at = (path: string) => `${base.origin}${prefix}${path}`;
  return { oidc: at(LOGIN_CALLBACK_PATHS.oidc), github: at(LOGIN_CALLBACK_PATHS.github) };
}

/** The callback's query parameters, from a URL or the parameters themselves. */
export function callbackParams(callback: URL | URLSearchParams): URLSearchParams {
  return callback instanceof URL ? callback.searchParams : callback;
}

/**
 * Refuses a callback whose `state` is not the pending login's (compared in constant time).
 * Checked before anything else, including an error the IdP reports, which could be forged too.
 */
export function checkState(provider: RedirectLoginMethod, params: URLSearchParams, pending: PendingLogin): void {
  const got = Buffer.from(params.get('state') ?? '');
  const want = Buffer.from(pending.state);
  if (pending.provider !== provider || got.length !== want.length || !timingSafeEqual(got, want)) {
    throw new LoginError(provider, 'state_mismatch', 'This sign-in link is not valid any more (it was used already, or belongs to another tab). Please sign in again.');
  }
}

export const PENDING_LOGINS_COLLECTION = 'login-pending';

/** Logins in progress, kept in the state store by `state` until their callback; each used once. */
export class PendingLogins {
  readonly #state: StateStore;
  readonly #ttlMs: number;

  /** @param ttlMs how long a person has at the IdP; default 10 minutes. */
  constructor(state: StateStore, ttlMs = 10 * 60_000) {
    this.#state = state;
    this.#ttlMs = ttlMs;
  }

  /** Keeps a pending login until its callback or its expiry. */
  async save(pending: PendingLogin): Promise<void> {
    await this.#state.put(PENDING_LOGINS_COLLECTION, pending.state, pending, { expiresAt: pending.createdAt + this.#ttlMs });
  }

  /**
   * The pending login for a callback's `state`, removed as it is returned, so a replayed
   * callback finds nothing. Undefined for an unknown, used or expired state.
   */
  async take(state: string | null | undefined): Promise<PendingLogin | undefined> {
    if (!state) return undefined;
    const pending = await this.#state.get<PendingLogin>(PENDING_LOGINS_COLLECTION, state);
    if (!pending || !(await this.#state.delete(PENDING_LOGINS_COLLECTION, state))) return undefined;
    return pending;
  }
}
