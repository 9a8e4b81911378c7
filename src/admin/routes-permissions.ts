// Admin routes for a server's permissions (issue 14): its tools as a test start lists them, the
// rules saved (taking effect at once for open sessions), and a preview of what the rules — saved
// or still being edited — let each tool be used by, and what one person would see.
import { z } from 'zod';
import { ServerPermissions } from '../config/schema.ts';
import { ConfigError, describeIssues } from '../config/load.ts';
import { explain, permitFor, type PermissionPerson } from '../permissions/rules.ts';
import { PermissionPreviewRequest, type PermissionPreview, type ServerToolsView, type ToolView } from './api.ts';
import { AdminError, type AdminDeps, type Routes } from './routing.ts';
import { testAsOwner } from './server-test.ts';
import { serverViews } from './views.ts';

/** A test start's tool list is reused this long (the tab, its preview and a save in a row start the server once). */
const TOOLS_KEPT_MS = 60_000;

export function permissionRoutes(deps: AdminDeps): Routes {
  const { publisher, config, health } = deps;
  const tools = new Map<string, ServerToolsView>();
  const entry = (name: string) => {
    const e = publisher.currentConfig.mcpServers[name];
    if (!e) throw new AdminError(404, 'not_found', `no server named "${name}"`);
    return e;
  };
  const toolsOf = async (name: string, fresh = false): Promise<ServerToolsView> => {
    const kept = tools.get(name);
    if (kept && !fresh && Date.now() - kept.testedAt < TOOLS_KEPT_MS) return kept;
    const r = await testAsOwner(publisher, name, entry(name), { name: 'mcp-publish-permissions', version: '1' });
    const view: ServerToolsView = r.ok ? { ok: true, tools: r.toolDetails, testedAt: Date.now() } : { ok: false, error: r.error, testedAt: Date.now() };
    tools.set(name, view);
    return view;
  };
  const parse = (name: string, value: unknown) => {
    const r = ServerPermissions.safeParse(value);
    if (!r.success) throw new ConfigError('invalid_config', undefined, describeIssues(r.error.issues, value, ['mcpServers', name, 'permissions']));
    return r.data;
  };

  return {
    'GET /api/servers/:name/tools': async ({ params, url }) => toolsOf(params.name!, url.searchParams.get('fresh') === '1'),

    'PUT /api/servers/:name/permissions': async ({ params, body }) => {
      const name = params.name!;
      entry(name);
      const value = await body(z.unknown()); // validated with the whole config, so problems carry its path
      await config.edit((raw) => {
        const server = raw.mcpServers?.[name] as Record<string, unknown> | undefined;
        if (!server) throw new AdminError(404, 'not_found', `no server named "${name}"`);
        if (value === null) delete server.permissions;
        else server.permissions = value;
      });
      deps.logger.info({ server: name }, 'owner changed a server\'s permissions');
      deps.activity.recordOwnerAction({ action: 'permissions.changed', target: name, server: name, detail: describePermissions(value) });
      const view = serverViews(publisher, health).find((s) => s.name === name);
      if (!view) throw new AdminError(404, 'not_found', `no server named "${name}"`);
      return view;
    },

    'POST /api/servers/:name/permissions/preview': async ({ params, body }): Promise<PermissionPreview> => {
      const name = params.name!;
      const request = await body(PermissionPreviewRequest);
      const permissions = request.permissions === undefined ? entry(name).permissions : parse(name, request.permissions);
      let list: ToolView[] | undefined = request.tools;
      if (!list) {
        const t = await toolsOf(name);
        if (!t.ok) throw new AdminError(409, 'not_running', `the server could not be started to list its tools: ${t.error}`);
        list = t.tools;
      }
      const person = request.person && personOf(deps, request.person);
      const permit = person && permitFor(name, permissions, person, { trustEmails: publisher.currentConfig.access.login.oidc?.trustEmails === true });
      return {
        ...(person ? { person: person.email ?? person.id, everything: permit!.everything } : {}),
        tools: list.map((tool) => {
          const refusal = permit?.check('tool', tool.name, tool);
          return {
            ...tool,
            readOnly: tool.annotations?.readOnlyHint === true,
            ...explain(permissions, 'tool', tool.name, tool),
            ...(permit ? { allowed: !refusal, ...(refusal ? { reason: refusal.message } : {}) } : {}),
          };
        }),
      };
    },
  };
}

/** The person to preview as: someone known (by id or email), with what the request adds, or a hypothetical one. */
function personOf(deps: AdminDeps, p: NonNullable<PermissionPreviewRequest['person']>): PermissionPerson {
  const users = deps.publisher.signIn?.users;
  const known = p.user ? users?.get(p.user) : p.email ? users?.list().find((u) => u.email?.toLowerCase() === p.email!.toLowerCase()) : undefined;
  if (p.user && !known) throw new AdminError(404, 'not_found', `no person with id "${p.user}"`);
  if (known) return { ...known, groups: [...known.groups, ...p.groups], githubOrgs: [...known.githubOrgs, ...p.githubOrgs], githubTeams: [...known.githubTeams, ...p.githubTeams] };
  // Someone who has not signed in yet: as if their email were verified.
  return { id: 'preview', email: p.email, emailVerified: p.email !== undefined, groups: p.groups, githubOrgs: p.githubOrgs, githubTeams: p.githubTeams };
}

/** One line for the activity log: the rules in short (who and which preset), never more than the config says. */
function describePermissions(value: unknown): string {
  const r = ServerPermissions.safeParse(value);
  if (value === null || !r.success) return 'removed: everyone let in uses everything';
  const p = r.data;
  const rules = p.allow.map((a) => `${a.who.join(', ')}: ${a.preset}`);
  const denies = p.deny.map((d) => `never for ${d.who.join(', ')}: ${[...d.tools, ...d.prompts, ...d.resources].join(', ')}`);
  return [...rules, ...denies, `everyone else: ${p.everyone}`].join('; ').slice(0, 500);
}
