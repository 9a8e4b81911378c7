// The MCP protocol revisions the gateway serves to clients, and how it picks one.

/** Revisions that use `initialize` and sessions, oldest first. */
export const SESSION_REVISIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'] as const;
/** The stateless revision: no sessions, `server/discover`, a version on every request. */
export const STATELESS_REVISION = '2026-07-28';
export const LATEST_SESSION_REVISION = '2025-11-25';
export const ALL_REVISIONS: readonly string[] = [...SESSION_REVISIONS, STATELESS_REVISION];

/** Spec: answer with the client's version if supported, else the latest we support. */
export function negotiateVersion(requested: unknown): string {
  return typeof requested === 'string' && (SESSION_REVISIONS as readonly string[]).includes(requested) ? requested : LATEST_SESSION_REVISION;
}

/** `_meta` keys of the stateless revision. */
export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  logLevel: 'io.modelcontextprotocol/logLevel',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  subscriptionId: 'io.modelcontextprotocol/subscriptionId',
} as const;

/** The client capability each server-to-client request needs (sampling, elicitation, roots). */
export const CLIENT_CAPABILITY_OF: Readonly<Record<string, string>> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};
