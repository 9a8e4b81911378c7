// `mcp-publish users`: lists people and decides who may come in, through the running gateway's
// admin API (the same door the tray will use), found through admin.json.
import type { AppPaths } from '../config/paths.ts';
import type { CliIO } from '../cli.ts';
import { ADMIN_ROUTES, type UserView } from './api.ts';
import { adminCall, notRunningMessage, readAdminEndpoint } from './admin-client.ts';


function row(u: UserView): string {
  const when = u.lastLoginAt ? new Date(u.lastLoginAt).toISOString().slice(0, 16).replace('T', ' ') : '';
  const env = Object.entries(u.userEnv).map(([s, f]) => `${s}: ${f.length ? f.join(',') : '(none set)'}`).join('; ');
  return `  ${(u.email ?? u.name ?? u.id).padEnd(28)} ${u.status.padEnd(8)} ${u.owner ? 'owner ' : '      '}${when}${env ? `  [${env}]` : ''}`;
}

export async function runUsers(args: string[], paths: AppPaths, io: CliIO): Promise<number> {
  const endpoint = await readAdminEndpoint(paths);
  if (!endpoint) {
    io.stderr('MCP Publish is not running here (no admin.json). Start it with "mcp-publish serve" first.');
    return 1;
  }
  const [sub = 'list', who, ...rest] = args;
  try {
    switch (sub) {
      case 'list': case 'pending': {
        const users = await adminCall<UserView[]>(endpoint, 'GET', ADMIN_ROUTES.users);
        const shown = sub === 'pending' ? users.filter((u) => u.status === 'pending') : users;
        if (!shown.length) io.stdout(sub === 'pending' ? 'Nobody is waiting for approval.' : 'Nobody has signed in yet.');
        for (const u of shown) io.stdout(row(u));
        return 0;
      }
      case 'approve': case 'deny': case 'remove': {
        if (!who) { io.stderr(`usage: mcp-publish users ${sub} <email or id>`); return 2; }
        const u = await adminCall<UserView>(endpoint, 'POST', ADMIN_ROUTES.userAction.replace(':id', encodeURIComponent(who)), { action: sub });
        io.stdout(`${u.email ?? u.id} is now ${u.status}.`);
        return 0;
      }
      case 'add': {
        if (!who) { io.stderr('usage: mcp-publish users add <email> [--name NAME]'); return 2; }
        const name = rest[0] === '--name' ? rest[1] : undefined;
        const r = await adminCall<{ email: string; invite: string }>(endpoint, 'POST', ADMIN_ROUTES.localAccounts, { email: who, name });
        io.stdout(`Send ${r.email} this one-time link to choose a password (valid 7 days):\n  ${r.invite}`);
        return 0;
      }
      default:
        io.stderr(`unknown "users" command "${sub}": use list, pending, approve, deny, remove or add`);
        return 2;
    }
  } catch (e) {
    io.stderr(notRunningMessage(e));
    return 1;
  }
}
