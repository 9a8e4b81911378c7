// The protected resources: one per published server, `<issuer>/servers/<name>/mcp`. Resource
// indicators are compared in one canonical form (RFC 8707; MCP: lower-case scheme and host, no
// trailing slash), because clients send `…/mcp/` or an upper-case host.

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
