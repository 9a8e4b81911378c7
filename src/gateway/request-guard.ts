// Host and Origin checks of the public gateway (DESIGN §6; MCP transport spec: an invalid
// Origin gets 403) and the CORS headers browser-based clients need to read our answers.
import type { IncomingMessage, ServerResponse } from 'node:http';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export interface GuardOptions {
  /** Public origins the gateway answers as (tunnel or own URL); they are allowed Hosts and Origins. */
  publicOrigins: () => string[];
  /** Further browser origins the owner allowed. */
  allowedOrigins: () => string[];
}

function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

export class RequestGuard {
  constructor(private readonly options: GuardOptions) {}

  /** DNS rebinding: the Host must be loopback or one of our public hosts. */
  hostAllowed(req: IncomingMessage): boolean {
    const host = req.headers.host;
    if (!host) return false;
    const name = hostName(host.toLowerCase());
    if (LOOPBACK_HOSTS.has(name)) return true;
    return this.options.publicOrigins().some((o) => {
      try { return new URL(o).hostname.replace(/^\[|\]$/g, '') === name.replace(/^\[|\]$/g, ''); } catch { return false; }
    });
  }

  /** Requests without Origin are from programs (Claude's backend, mcp-remote, SDKs): allowed. */
  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    let parsed: URL;
    try { parsed = new URL(origin); } catch { return false; }
    if ((parsed.protocol === 'http:' || parsed.protocol === 'https:') && LOOPBACK_HOSTS.has(parsed.hostname.toLowerCase()) && this.loopbackRequest(req)) return true;
    const o = parsed.origin;
    return this.options.publicOrigins().some((p) => safeOrigin(p) === o) || this.options.allowedOrigins().some((p) => safeOrigin(p) === o);
  }

  /** A page on loopback may call us only when we are reached on loopback too. */
  private loopbackRequest(req: IncomingMessage): boolean {
    const host = req.headers.host;
    return host !== undefined && LOOPBACK_HOSTS.has(hostName(host.toLowerCase()));
  }

  /** CORS for allowed browser origins; answers preflights. Returns true when it answered. */
  cors(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    if (origin && this.originAllowed(req)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
      res.setHeader('access-control-expose-headers', 'WWW-Authenticate, Mcp-Session-Id, MCP-Protocol-Version');
    }
    if (req.method === 'OPTIONS') {
      if (origin && this.originAllowed(req)) {
        res.setHeader('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS');
        res.setHeader('access-control-allow-headers', 'Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID, Mcp-Method, Mcp-Name');
        res.setHeader('access-control-max-age', '86400');
      }
      res.writeHead(204);
      res.end();
      return true;
    }
    return false;
  }
}

function safeOrigin(s: string): string | undefined {
  try { return new URL(s).origin; } catch { return undefined; }
}
