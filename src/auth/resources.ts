// The protected resources: one per published server, `<issuer>/servers/<name>/mcp`. Resource
// indicators are compared in one canonical form (RFC 8707; MCP: lower-case scheme and host, no
// trailing slash), because clients send `…/mcp/` or an upper-case host.
import type { Express, Response } from 'express';
import type { ServerConfig } from '../config/schema.ts';
import { esc, renderPage } from './pages.ts';

export function resourceUrl(issuer: string, server: string): string {
  return `${issuer}/servers/${encodeURIComponent(server)}/mcp`;
}

/** RFC 9728 §3.1: the metadata URL inserts the well-known segment before the resource's path. */
export function resourceMetadataUrl(issuer: string, server: string): string {
  return `${issuer}/.well-known/oauth-protected-resource/servers/${encodeURIComponent(server)}/mcp`;
}

/** Canonical form: scheme and host lower-cased by URL parsing, default port dropped, no trailing slash. */
export function canonicalResource(indicator: string): string | undefined {
  let u: URL;
  try { u = new URL(indicator); } catch { return undefined; }
  if (u.search || u.hash || u.username || u.password) return undefined;
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

/** The server a resource indicator names, if it is one of ours. */
export function serverOfResource(issuer: string, indicator: string, servers: readonly string[]): string | undefined {
  const canon = canonicalResource(indicator);
  if (!canon) return undefined;
  return servers.find((s) => resourceUrl(issuer, s) === canon);
}

/** The protected-resource metadata document (RFC 9728) of one server. */
export function protectedResourceMetadata(issuer: string, server: string, title?: string): Record<string, unknown> {
  return {
    resource: resourceUrl(issuer, server),
    authorization_servers: [issuer],
    bearer_methods_supported: ['header'],
    scopes_supported: ['mcp'],
    resource_name: title ?? server,
  };
}

/**
 * Serves the protected-resource metadata (RFC 9728 §3.1 path-suffixed per server, and at the
 * root for clients that probe there) and a home page that lists the servers' URLs.
 */
export function mountResourceMetadata(app: Express, issuer: string, servers: () => Record<string, ServerConfig>): void {
  const send = (res: Response, server: string) => {
    res.set('cache-control', 'public, max-age=300').set('access-control-allow-origin', '*');
    res.json(protectedResourceMetadata(issuer, server, servers()[server]?.title));
  };
  app.get(/^\/\.well-known\/oauth-protected-resource\/servers\/([^/]+)\/mcp\/?$/, (req, res) => {
    let server = '';
    try { server = decodeURIComponent((req.params as Record<string, string>)[0]!); } catch { /* malformed: no such server */ }
    if (!server || !servers()[server]) return void res.status(404).json({ error: 'not_found', error_description: `no server named "${server}"` });
    send(res, server);
  });
  // Some clients probe the root: answer for the only server, or say where to look.
  app.get('/.well-known/oauth-protected-resource', (_req, res) => {
    const list = Object.keys(servers());
    if (list.length === 1) return send(res, list[0]!);
    res.status(404).json({ error: 'not_found', error_description: 'several servers are published here; use /.well-known/oauth-protected-resource/servers/<name>/mcp' });
  });
  app.get('/', (_req, res) => {
    res.type('html').send(renderPage({
      title: 'MCP Publish', page: 'home',
      body: `<p>This address publishes MCP servers. Add one of them to your MCP client (for Claude: Settings → Connectors → Add custom connector):</p>${Object.keys(servers()).map((s) => `<div class="box"><code>${esc(resourceUrl(issuer, s))}</code></div>`).join('')}`,
    }));
  });
}
