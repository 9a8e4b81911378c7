// Admin routes for the client applications people signed in to (one grant per person × client,
// kept by oidc-provider in the state store) and revoking one: the grant and every token issued
// under it go, so the bearer check (which needs a live grant) refuses its access tokens at once.
import type { StateStore } from '../state/state-store.ts';
import { revokeGrant } from '../auth/revocation.ts';
import type { ClientView } from './api.ts';
import { AdminError, type AdminDeps, type Routes } from './routing.ts';

/** oidc-provider's models, as collections of our adapter (src/auth/oidc-adapter.ts). */
const GRANTS = 'oidc.Grant';
const CLIENTS = 'oidc.Client';

interface GrantPayload { accountId?: string; clientId?: string; iat?: number; exp?: number; resources?: Record<string, unknown> }
interface ClientPayload { client_id?: string; client_name?: string }

export function clientRoutes({ publisher, state, logger, activity }: AdminDeps): Routes {
  const store = (): StateStore => {
    if (!state || !publisher.signIn) throw new AdminError(409, 'no_sign_in', 'sign-in is not running');
    return state;
  };
  return {
    'GET /api/clients': async () => {
      const s = store();
      const clients = await s.list<ClientPayload>(CLIENTS);
      const names = new Map(clients.map((c) => [c.value.client_id, c.value.client_name]));
      // Removing or denying a person revokes their grants; one left from before that rule is not shown.
      const users = publisher.signIn?.users;
      const blocked = (id: string | undefined) => ['removed', 'denied'].includes(id ? users?.get(id)?.status ?? '' : '');
      const grants = (await s.list<GrantPayload>(GRANTS)).filter(({ value: g }) => !blocked(g.accountId));
      return grants.map(({ id, value: g, expiresAt }): ClientView => {
        const user = g.accountId ? users?.get(g.accountId) : undefined;
        const clientId = g.clientId ?? '';
        return {
          id, clientId, clientName: names.get(clientId) ?? hostOf(clientId),
          user: { id: g.accountId ?? '', ...(user?.email ? { email: user.email } : {}), ...(user?.name ? { name: user.name } : {}) },
          servers: Object.keys(g.resources ?? {}).map(serverOf).filter((n): n is string => Boolean(n)),
          ...(g.iat ? { createdAt: g.iat * 1000 } : {}),
          ...(expiresAt ? { expiresAt } : g.exp ? { expiresAt: g.exp * 1000 } : {}),
        };
      });
    },

    'DELETE /api/clients/:grantId': async ({ params }) => {
      const s = store();
      const key = params.grantId!;
      const grant = await s.get<GrantPayload>(GRANTS, key);
      if (!grant || !(await revokeGrant(s, key))) throw new AdminError(404, 'not_found', 'no such client grant (it may have been revoked or expired)');
      // Every MCP request checks its token's grant, so the client's next request is refused (401).
      logger.info({ client: grant.clientId, user: grant.accountId }, 'owner revoked a client');
      const user = grant.accountId ? publisher.signIn?.users.get(grant.accountId) : undefined;
      activity.recordOwnerAction({ action: 'client.revoked', target: user?.email ?? grant.accountId, ...(grant.clientId ? { detail: hostOf(grant.clientId) } : {}) });
      return { revoked: key };
    },
  };
}

function hostOf(clientId: string): string {
  try { return new URL(clientId).host || clientId; } catch { return clientId; }
}

/** The server of a resource URL `<issuer>/servers/<name>/mcp`. */
function serverOf(resource: string): string | undefined {
  const m = /\/servers\/([^/]+)\/mcp\/?$/.exec(resource);
  return m ? decodeURIComponent(m[1]!) : undefined;
}
