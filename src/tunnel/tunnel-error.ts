// Why a tunnel could not open or stay open, as one typed error the providers share (STYLE 3):
// callers switch on `code`; `retryable` says whether trying again later can help.

/** Every code a `TunnelError` may carry. */
export const TUNNEL_ERROR_CODES = [
  'invalid-option', 'not-installed', 'refused', 'unreachable', 'timeout', 'dropped', 'self-check', 'stopped',
] as const;

/**
 * - `invalid-option`: the configuration cannot work (a subdomain the server refuses, a bad URL,
 *   a missing token); fix the settings.
 * - `not-installed`: a program the provider runs (cloudflared) is not on PATH.
 * - `refused`: the service answered and said no (a 4xx, a rejected authtoken).
 * - `unreachable`: the service could not be reached (DNS, connection refused, a 5xx).
 * - `timeout`: a connect attempt took longer than allowed.
 * - `dropped`: an open tunnel went away (socket error, the helper process exited).
 * - `self-check`: the tunnel looked connected but its public URL did not answer correctly.
 * - `stopped`: `stop()` was called while the tunnel was starting.
 */
export type TunnelErrorCode = (typeof TUNNEL_ERROR_CODES)[number];

const FINAL: ReadonlySet<TunnelErrorCode> = new Set(['invalid-option', 'not-installed', 'refused', 'stopped']);

export class TunnelError extends Error {
  readonly code: TunnelErrorCode;

  constructor(code: TunnelErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TunnelError';
    this.code = code;
  }

  /** Whether another attempt may succeed without the owner changing anything. */
  get retryable(): boolean {
    return !FINAL.has(this.code);
  }
}

/** The one-line reason shown to the owner for any failure. */
export function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
