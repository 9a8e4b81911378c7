// What we accept from clients that register (RFC 7591) or present a client ID metadata document:
// the application type inferred from redirect URIs (RFC 8252) when the client sends none, refresh
// always allowed, registered scopes trimmed to ours, and the SSRF rule for fetching documents.
import dns from 'node:dns/promises';
import net from 'node:net';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export const OIDC_SCOPES = ['openid', 'offline_access'];
/** The one scope of our resources. */
export const RESOURCE_SCOPE = 'mcp';

/**
 * Normalizes client metadata in place (oidc-provider's extraClientMetadata validator runs for
 * registrations, documents and stored clients alike).
 */
export function normalizeClientMetadata(md: Record<string, any>): void {
  const uris: string[] = Array.isArray(md.redirect_uris) ? md.redirect_uris : [];
  if (md.application_type == null) {
    // Clients today send no application_type (RFC 8252): loopback http or a private-use scheme
    // (cursor://) means native, which oidc-provider refuses for `web`. VS Code mixes
    // https://vscode.dev/redirect with http://127.0.0.1, so https does not force web; only plain
    // http on a non-loopback host does (and oidc-provider refuses that for native anyway).
    const parsed = uris.map((u) => { try { return new URL(u); } catch { return undefined; } });
    const httpRemote = parsed.some((p) => p?.protocol === 'http:' && !LOOPBACK.has(p.hostname));
    const nativeish = parsed.some((p) => p && (p.protocol === 'http:' ? LOOPBACK.has(p.hostname) : p.protocol !== 'https:'));
    md.application_type = nativeish && !httpRemote ? 'native' : 'web';
  }
  // Some clients never ask for refresh_token; we issue refresh tokens to every code client.
  if (Array.isArray(md.grant_types) && md.grant_types.includes('authorization_code') && !md.grant_types.includes('refresh_token')) md.grant_types.push('refresh_token');
  // A registered scope is an allow-list for oidc-provider; "openid profile email" would be refused.
  if (typeof md.scope === 'string') {
    const kept = md.scope.split(' ').filter((s: string) => OIDC_SCOPES.includes(s));
    if (kept.length) md.scope = kept.join(' ');
    else delete md.scope;
  }
  // A metadata document cannot hold a shared secret: its defaulted auth method means "none".
  if (/^https:\/\//.test(md.client_id ?? '') && /^client_secret_/.test(md.token_endpoint_auth_method ?? '')) md.token_endpoint_auth_method = 'none';
}

/**
 * The first redirect URI that would carry codes in clear over a network: plain http to a host
 * that is not loopback (MCP authorization: redirect URIs are either localhost or https).
 */
export function plainHttpRedirect(md: Record<string, any>): string | undefined {
  const uris: string[] = Array.isArray(md.redirect_uris) ? md.redirect_uris : [];
  return uris.find((u) => { try { const p = new URL(u); return p.protocol === 'http:' && !LOOPBACK.has(p.hostname); } catch { return false; } });
}

const blocked = new net.BlockList();
for (const [a, p] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) blocked.addSubnet(a, p, 'ipv4');
for (const [a, p] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['64:ff9b::', 96], ['2001:db8::', 32], ['ff00::', 8]] as const) blocked.addSubnet(a, p, 'ipv6');

/** False for loopback, private, link-local, CGNAT, documentation and multicast addresses. */
export function isPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return !blocked.check(mapped[1]!, 'ipv4');
  return !blocked.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4');
}

/** CIMD SSRF rule: every address the host resolves to must be public. */
export async function resolvesToPublicAddresses(hostname: string): Promise<boolean> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host)) return isPublicAddress(host);
  try {
    const addrs = await dns.lookup(host, { all: true, verbatim: true });
    return addrs.length > 0 && addrs.every((a) => isPublicAddress(a.address));
  } catch {
    return false;
  }
}
