// One bounded GET over node:http(s) for the tunnel code (a localtunnel registration, the tunnel
// password, the self-check): a deadline, an abort signal, a capped body, and no pooled socket
// left open afterwards (agent: false), so a stopped tunnel leaves nothing behind.
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

export interface HttpGetOptions {
  headers?: Record<string, string>;
  /** Gives up after this long; default 10 s. */
  timeoutMs?: number;
  /** Aborts the request (stop(), a connect deadline). */
  signal?: AbortSignal;
  /** Reads at most this many bytes of the body; default 64 KiB. */
  maxBytes?: number;
}

export interface HttpGetResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body as text, cut at `maxBytes`. */
  body: string;
}

function loopbackLookup(_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void): void {
  if (opts.all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
  else cb(null, '127.0.0.1', 4);
}

/** GETs `url`; rejects on a network error, the deadline or an abort (never on an HTTP status). */
export function httpGet(url: string, options: HttpGetOptions = {}): Promise<HttpGetResponse> {
  const { timeoutMs = 10_000, maxBytes = 64 * 1024, signal } = options;
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new TypeError(`not a URL: ${url}`));
      return;
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      reject(new TypeError(`not an http(s) URL: ${url}`));
      return;
    }
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const get = target.protocol === 'https:' ? https.get : http.get;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    // RFC 6761: names under .localhost are loopback (a self-hosted tunnel server on this computer).
    const lookup = target.hostname.endsWith('.localhost') ? (loopbackLookup as unknown as LookupFunction) : undefined;
    const req = get(target, { headers: options.headers, agent: false, ...(lookup ? { lookup } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size >= maxBytes) return;
        chunks.push(chunk);
        size += chunk.length;
        if (size >= maxBytes) {
          // Enough read: end the exchange rather than drain an endless (SSE) body.
          finish(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8') }));
          req.destroy();
        }
      });
      res.on('end', () => finish(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') })));
      res.on('error', (e) => finish(() => reject(e)));
    });
    req.on('error', (e) => finish(() => reject(e)));
    timer = setTimeout(() => {
      finish(() => reject(new Error(`no answer from ${target.origin} within ${timeoutMs} ms`)));
      req.destroy();
    }, timeoutMs);
    const onAbort = () => {
      finish(() => reject(abortReason(signal!)));
      req.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}
