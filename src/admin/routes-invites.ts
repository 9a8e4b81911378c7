// Admin routes for invites to local accounts (issue 12 #6): creating one says whether it replaced
// an earlier link and whether the link works only on this computer; pending invites are listed
// with their link (kept in the SecretStore so it can be copied again, built on the current
// issuer so it follows publishing) and expiry, and can be revoked.
import type { SignIn } from '../sign-in.ts';
import type { LocalAccounts } from '../identity/local-accounts.ts';
import { inviteId } from '../identity/local-accounts.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import type { Publisher } from '../publisher.ts';
import { LocalAccountRequest, type InviteView } from './api.ts';
import { AdminError, type AdminDeps, type Routes } from './routing.ts';

const INVITE_MS = 7 * 24 * 3600_000;
const LINK_KEY = (id: string) => `invite/${id}`;

/** True when `issuer` is this computer only: a colleague elsewhere cannot open the link. */
function localOnly(issuer: string | undefined): boolean {
  try { return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(issuer ?? '').hostname); } catch { return true; }
}

/** The owner as invite pages name them: their name, else their email (not the built-in placeholders). */
async function ownerName(p: Publisher, local: LocalAccounts): Promise<string | undefined> {
  const record = p.signIn?.users.list().find((u) => u.owner);
  const account = (await local.list()).find((a) => a.owner);
  const named = (name?: string, email?: string) => (name && name !== 'Owner' ? name : email && email !== 'owner@localhost' ? email : undefined);
  return named(record?.name, record?.email) ?? named(account?.name, account?.email);
}

async function views(p: Publisher, local: LocalAccounts, secrets: SecretStore | undefined): Promise<InviteView[]> {
  const issuer = p.issuer;
  const list = await local.listInvites();
  // Links of invites that were used, revoked or replaced are no longer needed.
  if (secrets) {
    const live = new Set(list.map((i) => LINK_KEY(i.id)));
    for (const key of await secrets.list('invite/')) if (!live.has(key)) await secrets.delete(key);
  }
  return Promise.all(list.map(async (i): Promise<InviteView> => {
    const token = await secrets?.get(LINK_KEY(i.id));
    return {
      id: i.id, email: i.email, ...(i.name ? { name: i.name } : {}), createdAt: i.createdAt, expiresAt: i.expiresAt,
      ...(token ? { invite: `${issuer}/invite/${token}` } : {}), localOnly: localOnly(issuer),
    };
  }));
}

export function inviteRoutes({ publisher, secrets, logger, activity }: AdminDeps): Routes {
  const local = (): LocalAccounts => {
    const s: SignIn | undefined = publisher.signIn;
    if (!s) throw new AdminError(409, 'no_sign_in', 'sign-in is not running');
    if (!s.local) throw new AdminError(409, 'local_disabled', 'local accounts are not enabled (access.login.local)');
    return s.local;
  };
  return {
    'POST /api/local-accounts': async ({ body }) => {
      const { email, name } = await body(LocalAccountRequest);
      const accounts = local();
      if (!(await accounts.get(email))) await accounts.createAccount({ email, ...(name ? { name } : {}) });
      const earlier = (await accounts.listInvites()).some((i) => i.email.toLowerCase() === email.trim().toLowerCase());
      const invitedBy = await ownerName(publisher, accounts);
      const token = await accounts.createInvite(email, INVITE_MS, invitedBy ? { invitedBy } : {});
      const id = inviteId(token);
      // Kept so the owner can copy it again later; the state store holds only its hash.
      await secrets?.set(LINK_KEY(id), token);
      logger.info({ replaced: earlier }, 'owner created an invite link');
      activity.recordOwnerAction({ action: 'invite.created', target: email.trim(), ...(earlier ? { detail: 'replaced an earlier link' } : {}) });
      const info = (await accounts.listInvites()).find((i) => i.id === id)!;
      return {
        id, email: info.email, ...(info.name ? { name: info.name } : {}), createdAt: info.createdAt, expiresAt: info.expiresAt,
        invite: `${publisher.issuer}/invite/${token}`, localOnly: localOnly(publisher.issuer), replaced: earlier,
      };
    },

    'GET /api/invites': async () => views(publisher, local(), secrets),

    'DELETE /api/invites/:id': async ({ params }) => {
      const email = (await local().listInvites()).find((i) => i.id === params.id)?.email;
      if (!(await local().revokeInvite(params.id!))) throw new AdminError(404, 'not_found', 'no such invite (it may have been used, revoked or have expired)');
      await secrets?.delete(LINK_KEY(params.id!));
      logger.info('owner revoked an invite link');
      activity.recordOwnerAction({ action: 'invite.revoked', ...(email ? { target: email } : {}) });
      return { revoked: params.id! };
    },
  };
}
