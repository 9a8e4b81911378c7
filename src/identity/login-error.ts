// The one error type of the redirect logins (OIDC and GitHub): a `code` from a closed list that
// callers switch on, the IdP's own RFC 6749 fields when it sent them, and the original as `cause`.
import { CodedError } from '../errors.ts';
import type { LoginMethod } from './profile.ts';

/**
 * - `misconfigured`: the login cannot work as configured (no client secret in the SecretStore,
 *   an http:// issuer that is not loopback).
 * - `discovery_failed`: the IdP's metadata could not be fetched or is not usable.
 * - `state_mismatch`: the callback's `state` is not the one this login started with (a forged
 *   or stale callback: another tab, a replay, a CSRF attempt).
 * - `idp_error`: the IdP sent the browser back with an error (e.g. `access_denied` when the
 *   person cancelled); `error` and `errorDescription` carry it.
 * - `token_exchange_failed`: the code was refused (used already, expired, wrong verifier) or
 *   the token endpoint failed.
 * - `id_token_invalid`: the ID token failed validation (signature, issuer, audience, nonce, time).
 * - `userinfo_failed`: the userinfo endpoint failed.
 * - `missing_claim`: the IdP sent no value for the configured identity claim.
 * - `no_verified_email`: the GitHub account's primary email is missing or not verified.
 * - `api_failed`: a GitHub API call failed.
 */
export const LOGIN_ERROR_CODES = [
  'misconfigured', 'discovery_failed', 'state_mismatch', 'idp_error', 'token_exchange_failed',
  'id_token_invalid', 'userinfo_failed', 'missing_claim', 'no_verified_email', 'api_failed',
] as const;
export type LoginErrorCode = (typeof LOGIN_ERROR_CODES)[number];

/** Codes whose message is written for, and may be shown to, the person signing in. */
const EXPOSED: ReadonlySet<LoginErrorCode> = new Set(['state_mismatch', 'idp_error', 'missing_claim', 'no_verified_email']);

export interface LoginErrorOptions {
  cause?: unknown;
  /** RFC 6749 `error` the IdP sent, e.g. `access_denied`, `invalid_grant`. */
  error?: string;
  /** RFC 6749 `error_description` the IdP sent. */
  errorDescription?: string;
  /** HTTP status of the IdP response that failed, if any. */
  status?: number;
}

/**
 * A redirect login that failed. For example, a replayed callback gets, from the IdP's token
 * endpoint, `400 {"error":"invalid_grant","error_description":"grant request is invalid"}`
 * and surfaces as `code: "token_exchange_failed"`, `error: "invalid_grant"`, `status: 400`.
 */
export class LoginError extends CodedError<LoginErrorCode> {
  readonly provider: LoginMethod;
  readonly error: string | undefined;
  readonly errorDescription: string | undefined;
  readonly status: number | undefined;

  constructor(provider: LoginMethod, code: LoginErrorCode, message: string, options: LoginErrorOptions = {}) {
    // `expose`: the message may be shown on the login page; otherwise show a generic sentence.
    super(code, message, { cause: options.cause, expose: EXPOSED.has(code) });
    this.provider = provider;
    this.error = options.error;
    this.errorDescription = options.errorDescription;
    this.status = options.status;
  }
}
