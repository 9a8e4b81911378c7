// The tunnel self-check (DESIGN §8): a tunnel can look connected and still answer 503, so the
// providers fetch a known path through the public URL, as a program (never a browser) would, and
// treat anything but a 2xx as "not reaching the gateway".
import { httpGet } from './http-get.ts';
import { reasonOf } from './tunnel-error.ts';

/** What the self-check asks of the network; injectable so tests can reach a loopback tunnel server. */
export interface SelfCheckRequest {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Aborted when the tunnel stops mid-check. */
  signal?: AbortSignal;
}

/** Performs one GET; resolves with the status (and, optionally, the start of the body) or rejects on a network error. */
export type SelfCheckTransport = (request: SelfCheckRequest) => Promise<{ status: number; body?: string }>;

export type SelfCheckResult = { ok: true; status: number } | { ok: false; reason: string; status?: number };

/**
 * Checks that `publicUrl` reaches the gateway. Never rejects: a failure is a result with a
 * one-line reason. The providers call it after connecting and then periodically.
 */
export type SelfCheck = (publicUrl: string, signal?: AbortSignal) => Promise<SelfCheckResult>;

/** How often an online tunnel is checked by default. */
export const DEFAULT_SELF_CHECK_INTERVAL_MS = 30_000;

/**
 * Sent with every check. localtunnel's reminder page lets a request through when it carries
 * `Bypass-Tunnel-Reminder` or a non-browser User-Agent; ngrok's free-plan warning page when it
 * carries `ngrok-skip-browser-warning`.
 */
export const SELF_CHECK_HEADERS: Readonly<Record<string, string>> = {
  'user-agent': 'mcp-publish-self-check/1 (tunnel health check; not a browser)',
  'bypass-tunnel-reminder': 'true',
  'ngrok-skip-browser-warning': 'true',
  accept: 'application/json, */*;q=0.5',
};

export interface SelfCheckOptions {
  /**
   * The path fetched under the public URL: the publisher passes
   * `/.well-known/oauth-protected-resource/servers/<name>/mcp` or `/healthz`. A function is asked
   * at every check (the servers may change while the tunnel is up).
   */
  path: string | (() => string);
  /** Gives up on one check after this long; default 10 s. */
  timeoutMs?: number;
  /** How the GET is made; default node:http(s) with no pooled sockets. */
  transport?: SelfCheckTransport;
}

/** The default transport: a bounded GET that reads at most 4 KiB of the answer. */
export const httpSelfCheckTransport: SelfCheckTransport = async (request) => {
  const res = await httpGet(request.url, { headers: request.headers, timeoutMs: request.timeoutMs, signal: request.signal, maxBytes: 4096 });
  return { status: res.status, body: res.body };
};

export function createSelfCheck(options: SelfCheckOptions): SelfCheck {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const transport = options.transport ?? httpSelfCheckTransport;
  return async (publicUrl, signal) => {
    const path = typeof options.path === 'function' ? options.path() : options.path;
    const url = publicUrl.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`);
    try {
      const { status, body } = await transport({ url, headers: { ...SELF_CHECK_HEADERS }, timeoutMs, signal });
      if (status >= 200 && status < 300) return { ok: true, status };
      const hint = body ? ` (${body.replace(/\s+/g, ' ').trim().slice(0, 80)})` : '';
      return { ok: false, status, reason: `GET ${url} answered ${status}${hint}` };
    } catch (e) {
      return { ok: false, reason: `GET ${url} failed: ${reasonOf(e)}` };
    }
  };
}
