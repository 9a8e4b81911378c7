// How the sign-in pages answer errors (STYLE 3), in one place: every error of the express app in
// front of oidc-provider — ours, body-parser's, express's own, oidc-provider's "interaction not
// found" — becomes a SignInError and then a page (or, on JSON endpoints, an OAuth-style error).
// Only exposed messages are shown; the rest get a fixed sentence. Never a stack or a path.
import type { ErrorRequestHandler, Response } from 'express';
import { CodedError } from '../errors.ts';
import type { Logger } from '../logging/logger.ts';
import { errorPage, esc, renderPage, sendPage } from './pages.ts';

/**
 * - `too_many_requests` (429): a rate limit; `retryAfterSeconds` says how long to wait.
 * - `body_too_large` (413): a form over its size limit.
 * - `unsupported_body` (415): a charset or encoding we do not read.
 * - `bad_request` (400): a malformed request (percent-encoding, form, parameters).
 * - `expired` (400): the sign-in (oidc-provider's interaction) is gone or was never ours.
 * - `not_found` (404): nothing here.
 * - `internal` (500): anything else; the log has it.
 */
export const SIGN_IN_ERROR_CODES = ['too_many_requests', 'body_too_large', 'unsupported_body', 'bad_request', 'expired', 'not_found', 'internal'] as const;
export type SignInErrorCode = (typeof SIGN_IN_ERROR_CODES)[number];

const STATUS: Record<SignInErrorCode, number> = {
  too_many_requests: 429, body_too_large: 413, unsupported_body: 415, bad_request: 400, expired: 400, not_found: 404, internal: 500,
};

/** What a page says for each code when the error's own message may not be shown. */
const SAID: Record<SignInErrorCode, [title: string, message: string]> = {
  too_many_requests: ['Too many attempts', 'Too many attempts. Wait a little, then try again.'],
  body_too_large: ['Too much data', 'The form sent more than this page accepts. Go back and try again.'],
  unsupported_body: ['Unreadable form', 'The form came in an encoding this page does not read.'],
  bad_request: ['Bad request', 'This address or form is not one this page understands. Start again from your app.'],
  expired: ['This sign-in has expired', 'Start again from your app (for example, reconnect the server in Claude).'],
  not_found: ['Not found', 'There is nothing here.'],
  internal: ['Something went wrong', 'The sign-in could not continue. Start again from your app.'],
};

export class SignInError extends CodedError<SignInErrorCode> {
  readonly status: number;
  /** For `too_many_requests`: sent as Retry-After and shown on the page. */
  readonly retryAfterSeconds: number | undefined;
  constructor(code: SignInErrorCode, message: string, options: { cause?: unknown; expose?: boolean; retryAfterSeconds?: number } = {}) {
    super(code, message, options);
    this.status = STATUS[code];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** body-parser (http-errors) `type`s, express's parameter decoding, oidc-provider's lookups → our codes. */
export function toSignInError(e: unknown): SignInError {
  if (e instanceof SignInError) return e;
  const err = e as { status?: unknown; statusCode?: unknown; type?: unknown; name?: unknown; message?: unknown } | undefined;
  const status = Number(err?.status ?? err?.statusCode);
  const type = String(err?.type ?? '');
  const name = String(err?.name ?? '');
  const message = String(err?.message ?? e);
  if (type === 'entity.too.large' || type === 'parameters.too.many' || status === 413) return new SignInError('body_too_large', message, { cause: e });
  if (type === 'charset.unsupported' || type === 'encoding.unsupported' || status === 415) return new SignInError('unsupported_body', message, { cause: e });
  // oidc-provider: the interaction cookie or record is missing, expired or of another browser.
  if (name === 'SessionNotFound' || /interaction/i.test(message)) {
    return new SignInError('expired', message, { cause: e });
  }
  if (e instanceof URIError || (Number.isInteger(status) && status >= 400 && status < 500)) return new SignInError(status === 404 ? 'not_found' : 'bad_request', message, { cause: e });
  if (e instanceof CodedError) return new SignInError('bad_request', e.message, { cause: e, expose: e.expose });
  return new SignInError('internal', message, { cause: e });
}

/** The page of a rate limit: how long to wait, in words a person reads. */
export function tooManyPage(retryAfterSeconds: number, message: string): string {
  return renderPage({
    title: 'Too many attempts', page: 'too-many',
    body: `<p class="error" role="alert">${esc(message)}</p><p>Try again in ${retryAfterSeconds} seconds.</p><p class="muted">Then go back and send the form again.</p>`,
  });
}

/** Sends the answer of `e` as a page (or OAuth-style JSON when `json`). */
export function sendSignInError(res: Response, e: SignInError, json = false): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (e.retryAfterSeconds !== undefined) res.set('retry-after', String(e.retryAfterSeconds));
  const [title, fixed] = SAID[e.code];
  const message = e.expose ? e.message : fixed;
  if (json) return void res.status(e.status).set('cache-control', 'no-store').json({ error: e.code, error_description: message });
  sendPage(res, e.code === 'too_many_requests' ? tooManyPage(e.retryAfterSeconds ?? 60, message) : errorPage(title, message, e.status).html, e.status);
}

/** Paths that answer programs, not people: their errors are JSON. */
const JSON_PATHS = /^\/(\.well-known\/|token$|register$|revoke$|jwks$)/;

/** The express error handler of the sign-in app: last in line. */
export function signInErrorHandler(logger: Logger): ErrorRequestHandler {
  return (e, req, res, _next) => {
    const err = toSignInError(e);
    const cause = err.cause as Error | undefined;
    // One-time links carry their credential in the path: never log it.
    const path = req.path.replace(/^\/(setup|invite)\/[^/]+/, '/$1/…');
    const fields = { code: err.code, path, err: (cause?.message ?? err.message).slice(0, 300) };
    if (err.status >= 500) logger.error(fields, 'sign-in page failed');
    else logger.warn(fields, 'sign-in request refused');
    sendSignInError(res, err, JSON_PATHS.test(req.path));
  };
}
