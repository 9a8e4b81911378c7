// Admin routes for people: who signed in (with which userEnv fields they set, never values), the
// owner's decisions (approve, deny, remove) and invites to local accounts.
import type { SignIn } from '../sign-in.ts';
import { LocalAccountRequest, UserActionRequest } from './api.ts';
import { AdminError, type AdminDeps, type Routes } from './routing.ts';
import { userView } from './views.ts';

const INVITE_MS = 7 * 24 * 3600_000;
const STATUS_OF = { approve: 'allowed', deny: 'denied', remove: 'removed' } as const;

export function userRoutes({ publisher, logger }: AdminDeps): Routes {
  const signIn = (): SignIn => {
    const s = publisher.signIn;
    if (!s) throw new AdminError(409, 'no_sign_in', 'sign-in is not running');
    return s;
  };
  return {
    'GET /api/users': async () => Promise.all(signIn().users.list().map((u) => userView(publisher, u))),

    'POST /api/users/:id/action': async ({ params, body }) => {
      const { action } = await body(UserActionRequest);
      const { users } = signIn();
      const id = params.id!;
      // By id, or by email for the CLI ("mcp-publish users approve ana@example.com").
      const user = users.get(id) ?? users.list().find((u) => u.email?.toLowerCase() === id.toLowerCase());
      if (!user) throw new AdminError(404, 'not_found', `no user "${id}"`);
      const after = await users.setStatus(user.id, STATUS_OF[action], 'owner');
      logger.info({ user: user.id, status: after.status }, 'owner decided');
      return userView(publisher, after);
    },

    'POST /api/local-accounts': async ({ body }) => {
      const { email, name } = await body(LocalAccountRequest);
      const local = signIn().local;
      if (!local) throw new AdminError(409, 'local_disabled', 'local accounts are not enabled (access.login.local)');
      if (!(await local.get(email))) await local.createAccount({ email, ...(name ? { name } : {}) });
      const token = await local.createInvite(email, INVITE_MS);
      return { email, invite: `${publisher.issuer}/invite/${token}` };
    },
  };
}
