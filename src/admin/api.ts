// The contract of the admin API (STYLE 5): the loopback door through which the CLI, the tray and
// the settings window drive the core. Routes, request schemas, answers, errors and events live
// here only; the renderer and the Electron shell import this file's types (type-only).
//
// It names no module of the core that runs (publisher, sessions, identity): the shapes below are
// its own, and views.ts checks at compile time that the core's values fit them, so the renderer's
// type-check reads this file, the config schema and the tunnel status, and nothing else.
import { z } from 'zod';
import type { AccessConfig, GithubLoginConfig, OidcLoginConfig } from '../config/schema.ts';

/** Where a running gateway's admin API is, written 0600 to `admin.json` in the app-data dir. */
export interface AdminEndpoint {
  url: string;
  /** Per-launch random token: `Authorization: Bearer <token>`. */
  token: string;
  pid: number;
}

/**
 * Every route. All of them answer only on 127.0.0.1 with a loopback `Host`, refuse a foreign
 * `Origin`, and need the token as `Authorization: Bearer <token>`, except:
 * - `home` needs no token (a page with nothing secret in it);
 * - `events` also takes the token as `?token=` (EventSource cannot set headers).
 * Methods, bodies and answers: see `AdminApi`.
 */
export const ADMIN_ROUTES = {
  home: '/',
  status: '/api/status',
  publish: '/api/publish',
  unpublish: '/api/unpublish',
  publishSettings: '/api/publish/settings',
  events: '/api/events',
  servers: '/api/servers',
  server: '/api/servers/:name',
  serverTest: '/api/servers/:name/test',
  serverTools: '/api/servers/:name/tools',
  serverPermissions: '/api/servers/:name/permissions',
  permissionPreview: '/api/servers/:name/permissions/preview',
  import: '/api/import',
  access: '/api/access',
  accessTestSignIn: '/api/access/test-sign-in',
  users: '/api/users',
  userAction: '/api/users/:id/action',
  localAccounts: '/api/local-accounts',
  invites: '/api/invites',
  invite: '/api/invites/:id',
  clients: '/api/clients',
  client: '/api/clients/:grantId',
  upstreams: '/api/upstreams',
  activity: '/api/activity',
  activityCsv: '/api/activity.csv',
  activityStats: '/api/activity/stats',
  upstreamStderr: '/api/upstreams/:key/stderr',
} as const;

/** `ADMIN_ROUTES.server` with its parameters filled in (URL-encoded). */
export function adminPath(route: string, params: Record<string, string> = {}): string {
  return route.replace(/:(\w+)/g, (_m, k: string) => encodeURIComponent(params[k] ?? ''));
}

// ---- Requests (validated at the edge with these schemas) -------------------------------------

/** POST users/:id/action. `:id` is a user id or an email. */
export const UserActionRequest = z.object({ action: z.enum(['approve', 'deny', 'remove']) });
export type UserActionRequest = z.infer<typeof UserActionRequest>;
export type UserAction = UserActionRequest['action'];

/** POST local-accounts: creates the account if needed and a 7-day invite link. */
export const LocalAccountRequest = z.object({ email: z.string().min(3), name: z.string().optional() });
export type LocalAccountRequest = z.infer<typeof LocalAccountRequest>;

/**
 * POST servers/:name/permissions/preview. `permissions`: the rules to try (default the saved ones);
 * `tools`: the tools to judge (default the last test start's); `person`: someone to see the server
 * as — a user id or email of a known person, and/or what a hypothetical one would have.
 */
export const PermissionPreviewRequest = z.object({
  permissions: z.unknown().optional(),
  tools: z.array(z.object({ name: z.string(), title: z.string().optional(), description: z.string().optional(), annotations: z.record(z.string(), z.unknown()).optional() })).optional(),
  person: z.object({
    user: z.string().optional(),
    email: z.string().optional(),
    groups: z.array(z.string()).default([]),
    githubOrgs: z.array(z.string()).default([]),
    githubTeams: z.array(z.string()).default([]),
  }).optional(),
});
export type PermissionPreviewRequest = z.infer<typeof PermissionPreviewRequest>;

/** POST servers/:name/test: the configured entry, or `server` (an entry not saved yet). */
export const ServerTestRequest = z.object({ server: z.unknown().optional() });
export type ServerTestRequest = z.infer<typeof ServerTestRequest>;

/**
 * POST import. `json`: the text of a Claude Desktop, Cursor or VS Code config (or just its
 * `mcpServers` block); `files`: paths of such files. Neither: the clients' usual files on this
 * computer. `dryRun`: report only. `rename`: keep a clashing server as `<name>-2`.
 */
export const ImportRequest = z.object({
  json: z.string().max(1024 * 1024).optional(),
  files: z.array(z.string().min(1)).optional(),
  dryRun: z.boolean().default(false),
  rename: z.boolean().default(false),
});
export type ImportRequest = z.input<typeof ImportRequest>;

/** POST access/test-sign-in: checks the configured login (or `issuer` instead of the OIDC one). */
export const TestSignInRequest = z.object({ provider: z.enum(['oidc', 'github']), issuer: z.string().optional() });
export type TestSignInRequest = z.infer<typeof TestSignInRequest>;

/**
 * A client secret in PUT access: a plain value (stored in the SecretStore, the config keeps a
 * reference), a reference `{ keychain }` (kept; `set` as GET shows it is ignored).
 */
export type SecretInput = string | { keychain: string; set?: boolean };

/** PUT access: the `access` config, with client secrets as `SecretInput`. */
export type AccessInput = Omit<AccessConfig, 'login'> & {
  login: {
    oidc: (Omit<OidcLoginConfig, 'clientSecret'> & { clientSecret?: SecretInput }) | null;
    github: (Omit<GithubLoginConfig, 'clientSecret'> & { clientSecret: SecretInput }) | null;
    local: boolean;
  };
};

// ---- Answers: in api-answers.ts, re-exported here (one contract, two files for size) ----------

export type * from './api-answers.ts';
import type { StatusView, PublishSettingsView, PublishSettingsInput, UpstreamView, ServerView, ServerTestResult, ImportResult, AccessView, TestSignInResult, UserView, InviteView, ClientView, ActivityView, ProblemView, ActivityPage, ServerToolsView, PermissionPreview, ActivityStatsView } from './api-answers.ts';

/** Every error answer. `problems` comes with `invalid_config` and `bad_request`. */
export interface ApiError { error: ApiErrorCode; message: string; problems?: ProblemView[] }

/**
 * - `forbidden` (403): no or wrong token, or a foreign Host or Origin.
 * - `not_found` (404): no such route, server, user, client or upstream.
 * - `bad_request` (400): the body is not JSON or not the right shape.
 * - `invalid_config` (400): the change would make an invalid config; nothing was changed.
 * - `no_sign_in` / `local_disabled` (409): the feature is off.
 * - `publish_failed` (502): the tunnel could not open.
 * - `not_running` (409): the gateway is not running.
 * - `owner_protected` (409): the owner's own account cannot be removed or denied.
 * - `internal` (500).
 */
export type ApiErrorCode = 'forbidden' | 'not_found' | 'bad_request' | 'invalid_config' | 'no_sign_in' | 'local_disabled'
  | 'publish_failed' | 'not_running' | 'owner_protected' | 'internal';

/** Method and route → request body and answer (JSON; `string` answers are text/plain). */
export interface AdminApi {
  'GET /api/status': { answer: StatusView };
  'POST /api/publish': { answer: StatusView };
  'POST /api/unpublish': { answer: StatusView };
  'GET /api/publish/settings': { answer: PublishSettingsView };
  /** Saves how the public URL is made; while published, the tunnel is opened again with it. */
  'PUT /api/publish/settings': { body: PublishSettingsInput; answer: PublishSettingsView };
  'GET /api/servers': { answer: ServerView[] };
  /** Creates or replaces the entry (validated; `invalid_config` changes nothing). */
  'PUT /api/servers/:name': { body: unknown; answer: ServerView };
  'DELETE /api/servers/:name': { answer: { deleted: string } };
  /** Starts the server once as the owner, initialize, tools/list, stop. */
  'POST /api/servers/:name/test': { body: ServerTestRequest; answer: ServerTestResult };
  /** The server's tools from a test start as the owner (kept a minute; `?fresh=1` starts it again). */
  'GET /api/servers/:name/tools': { answer: ServerToolsView };
  /** Replaces the server's permissions (null: none, everyone allowed in uses everything); open sessions are told their lists changed. */
  'PUT /api/servers/:name/permissions': { body: unknown; answer: ServerView };
  /** What the rules (saved or not) let people use, and a person's view of it. */
  'POST /api/servers/:name/permissions/preview': { body: PermissionPreviewRequest; answer: PermissionPreview };
  'POST /api/import': { body: ImportRequest; answer: ImportResult };
  'GET /api/access': { answer: AccessView };
  'PUT /api/access': { body: AccessInput; answer: AccessView };
  'POST /api/access/test-sign-in': { body: TestSignInRequest; answer: TestSignInResult };
  'GET /api/users': { answer: UserView[] };
  'POST /api/users/:id/action': { body: UserActionRequest; answer: UserView };
  /** Creates the account if needed and a 7-day invite link; an earlier link of theirs stops working. */
  'POST /api/local-accounts': { body: LocalAccountRequest; answer: InviteView };
  'GET /api/invites': { answer: InviteView[] };
  'DELETE /api/invites/:id': { answer: { revoked: string } };
  'GET /api/clients': { answer: ClientView[] };
  /** Revokes the grant: the client's tokens stop working at once. */
  'DELETE /api/clients/:grantId': { answer: { revoked: string } };
  'GET /api/upstreams': { answer: UpstreamView[] };
  /**
   * Kept calls and owner actions, newest first. Query: `person` (user id or email), `server`,
   * `tool`, `result` (ok | error), `kind` (call | owner), `since` and `until` (epoch ms; until
   * excluded), `limit` (default 50, at most 500), `before` (a page's `next`). `person`, `tool`
   * and `result` are about calls: with one of them, owner actions are left out.
   */
  'GET /api/activity': { answer: ActivityPage };
  /**
   * Every kept entry matching the same filters (no `limit`, `before`), newest first, as
   * text/csv (an attachment). Cells starting with = + - @ get a leading ' (no formulas).
   */
  'GET /api/activity.csv': { answer: string };
  /** Calls, errors, p50/p95 per (server, tool). Query: `window` (hour | day | week; default day), `server`. */
  'GET /api/activity/stats': { answer: ActivityStatsView };
  /** The child's recent stderr, text/plain. */
  'GET /api/upstreams/:key/stderr': { answer: string };
}
export type AdminRoute = keyof AdminApi;

// Every route of AdminApi is one of ADMIN_ROUTES (fails to compile otherwise).
type PathOf<K> = K extends `${string} ${infer P}` ? P : never;
const _routesListed: PathOf<AdminRoute> extends (typeof ADMIN_ROUTES)[keyof typeof ADMIN_ROUTES] ? true : false = true;
void _routesListed;

// ---- Events: GET events is a text/event-stream of `event: <name>` / `data: <JSON>` ----------

/**
 * Event name → data. A `status` event is sent at once on connecting, then on every change
 * (tunnel, config, gateway). Comment lines (`: keep-alive`) come every 15 s.
 */
export interface AdminEvents {
  status: StatusView;
  activity: ActivityView;
  /** Someone signed in and waits for the owner's decision. */
  approval: UserView;
  /** A user record changed (signed in, approved, denied, removed). */
  users: UserView;
}
export type AdminEventName = keyof AdminEvents;
export const ADMIN_EVENT_NAMES = ['status', 'activity', 'approval', 'users'] as const satisfies readonly AdminEventName[];
