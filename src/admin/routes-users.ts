// Admin routes for people: who signed in (with which userEnv fields they set, never values), the
// owner's decisions (approve, deny, remove). Invites: routes-invites.ts.
import type { SignIn } from '../sign-in.ts';
import { UserActionRequest } from './api.ts';
import { AdminError, type AdminDeps, type Routes } from './routing.ts';
import { userView } from './views.ts';

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
  };
}
