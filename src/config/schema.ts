// The configuration file's schema (DESIGN §3): the single source of the config types. Every
// option is documented beside its default. Secret values never live here, only references.
import { z } from 'zod';

/** Server names become URL path segments: /servers/<name>/mcp. */
export const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A reference to a value kept in the SecretStore instead of the file. */
export const SecretRef = z.object({ keychain: z.string().min(1) }).strict();

export const UserEnvField = z.object({
  /** Environment variable name given to the child. */
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
  /** What the setup page calls it; default: the name. */
  label: z.string().optional(),
  /** Shown under the field on the setup page. */
  description: z.string().optional(),
  /** Secret values go to the SecretStore and are shown as password fields; default false. */
  secret: z.boolean().default(false),
  /** A user may leave it empty; default false. */
  optional: z.boolean().default(false),
});

export const Isolation = z.enum(['auto', 'per-user', 'per-session', 'shared']);

export { PermissionWho, PermissionPreset, PermissionRule, PermissionDenyRule, ServerPermissions } from './permissions-schema.ts';
import { ServerPermissions } from './permissions-schema.ts';

const serverCommon = {
  /** Shown in the UI; default: the key. */
  title: z.string().optional(),
  /** A disabled server is kept in the file but not served; default true. */
  enabled: z.boolean().default(true),
  /** Who may use which of its tools, prompts and resources; default: everyone allowed in, everything. */
  permissions: ServerPermissions.optional(),
};

export const StdioServer = z.object({
  ...serverCommon,
  /** The program to run, found on PATH; spawned without a shell. */
  command: z.string().min(1),
  /** Its arguments, as an argv array. */
  args: z.array(z.string()).default([]),
  /** Environment given to every user's child (on top of PATH, HOME, locale, temp dirs). */
  env: z.record(z.string(), z.string()).default({}),
  /** Working directory; default the user's home directory. */
  cwd: z.string().optional(),
  /** Values asked of each user on first use (DESIGN §4 step 4). */
  userEnv: z.array(UserEnvField).default([]),
  /**
   * auto (default): one child per user until the server is seen asking clients questions during
   * a call (sampling, elicitation), then one per new session, so every question reaches the
   * conversation that caused it; per-user: one child per user (a question the gateway cannot
   * place is refused); per-session: one per session; shared: one for everyone.
   */
  isolation: Isolation.default('auto'),
}).passthrough();

export const HttpServer = z.object({
  ...serverCommon,
  /** A local Streamable HTTP MCP server, e.g. http://127.0.0.1:8080/mcp. */
  url: z.url({ protocol: /^https?$/ }),
  /** Extra headers sent to it (not the client's: those are never forwarded). */
  headers: z.record(z.string(), z.string()).default({}),
  /** Kept for the VS Code format ("type": "http"); ignored. */
  type: z.string().optional(),
}).passthrough();

export const ServerConfig = z.union([StdioServer, HttpServer]).superRefine((value, ctx) => {
  const v = value as Record<string, unknown>;
  if ('command' in v && 'url' in v) ctx.addIssue({ code: 'custom', message: 'has both "command" and "url": give one' });
});

/** Per-person limits (DESIGN §5): over one, that person gets a JSON-RPC error naming it; nobody else slows down. */
export const LimitsConfig = z.object({
  /** Open sessions per person, all servers together; default 32. */
  sessionsPerPerson: z.number().int().positive().default(32),
  /** Child processes per person (a per-session server starts one per session); default 16. */
  processesPerPerson: z.number().int().positive().default(16),
  /** Requests waiting for an answer per person, all servers together; default 64. */
  requestsPerPerson: z.number().int().positive().default(64),
  /** 2026-07-28 calls parked while the client is asked for input, per person; default 16. */
  parkedPerPerson: z.number().int().positive().default(16),
}).strict();
export type LimitsConfig = z.infer<typeof LimitsConfig>;

export const GatewayConfig = z.object({
  /** Port of the public gateway on 127.0.0.1; 0 picks a free one; default 8787. */
  port: z.number().int().min(0).max(65535).default(8787),
  /** Address it listens on; default 127.0.0.1 (the tunnel connects locally). */
  host: z.string().default('127.0.0.1'),
  /** The URL people use, when not the tunnel's (a reverse proxy in front); default none. */
  publicUrl: z.url().nullable().default(null),
  /** A client must send a request's headers and body within this long, or the connection is cut; default 30 s. */
  requestReadSeconds: z.number().int().positive().default(30),
  /** Largest request body accepted, in bytes; default 4 MiB. */
  maxBodyBytes: z.number().int().positive().default(4 * 1024 * 1024),
  /**
   * Largest message a server may send, in bytes; default 16 MiB. A larger answer fails its call
   * with an error naming this setting. Each message in flight costs the gateway a few times its size.
   */
  maxMessageBytes: z.number().int().min(64 * 1024).default(16 * 1024 * 1024),
  /**
   * A client that takes none of the data waiting for it this long is disconnected; default 30 s.
   * While a client is that slow, the process serving it is not read from (its own traffic waits).
   */
  slowClientSeconds: z.number().int().positive().default(30),
  /** A session nobody used for this long is closed; default 30 minutes. */
  sessionIdleSeconds: z.number().int().positive().default(30 * 60),
  /** A child no session used for this long is stopped; default 10 minutes. */
  childIdleSeconds: z.number().int().positive().default(10 * 60),
  /** A request the child (or a client, asked by the child) has not answered after this long fails; default 10 minutes. */
  requestTimeoutSeconds: z.number().int().positive().default(10 * 60),
  /** A child that has not answered initialize this long after it was started fails to start; default 60 s, or requestTimeoutSeconds when that is shorter. */
  startTimeoutSeconds: z.number().int().positive().optional(),
  /** Browser origins allowed besides the gateway's own (e.g. a web-based MCP inspector). */
  allowedOrigins: z.array(z.string()).default([]),
  /** Bytes of each child's stderr kept for the UI; default 64 KiB. */
  stderrBytes: z.number().int().min(1024).default(64 * 1024),
  /**
   * A client whose stream dropped (a tunnel cut it) can take it up again with Last-Event-ID this
   * long after; default 60 s. Each session keeps its recent events for that (replayBufferBytes).
   */
  resumeWindowSeconds: z.number().int().positive().default(60),
  /** Bytes of recent stream events kept per session for resuming; default 1 MiB. */
  replayBufferBytes: z.number().int().min(16 * 1024).default(1024 * 1024),
  /** Per-person limits. */
  limits: LimitsConfig.default(LimitsConfig.parse({})),
}).strict();

/** Sign-in through any OpenID Connect issuer (Google, Entra ID, Okta, Keycloak …). */
export const OidcLoginConfig = z.object({
  /** The issuer; its metadata is read from <issuer>/.well-known/openid-configuration. */
  issuer: z.url(),
  /** Our client at the IdP; register `<public URL>/login/oidc/callback` as its redirect URI. */
  clientId: z.string().min(1),
  /** The client secret, kept in the SecretStore; absent for a public client (PKCE only). */
  clientSecret: SecretRef.optional(),
  /** Claim taken as the user's email on our side; default "email" (Entra ID users may want "upn"). */
  identityClaim: z.string().min(1).default('email'),
  /** Claim holding the user's groups (array or space-separated string); default "groups". */
  groupsClaim: z.string().min(1).default('groups'),
  /** Scopes asked for; default openid email profile (add "groups" where the IdP needs it). */
  scopes: z.array(z.string().min(1)).default(['openid', 'email', 'profile']),
  /**
   * Treat the identity claim as verified even without `email_verified: true`; default false.
   * Only for IdPs whose directory owns the addresses (Entra ID sends no `email_verified`).
   */
  trustEmails: z.boolean().default(false),
  /** Button text on the sign-in page; default "Sign in with <issuer host>". */
  label: z.string().min(1).optional(),
}).strict();

/** Sign-in with a GitHub (or GitHub Enterprise Server) OAuth app. */
export const GithubLoginConfig = z.object({
  /** The OAuth app's client id; its callback URL is `<public URL>/login/github/callback`. */
  clientId: z.string().min(1),
  /** The OAuth app's client secret, kept in the SecretStore. */
  clientSecret: SecretRef,
  /** Where users authorize; default https://github.com (GitHub Enterprise: its host). */
  baseUrl: z.url({ protocol: /^https?$/ }).default('https://github.com'),
  /** The REST API; default https://api.github.com (GitHub Enterprise: <host>/api/v3). */
  apiUrl: z.url({ protocol: /^https?$/ }).default('https://api.github.com'),
  /** Button text on the sign-in page; default "Sign in with GitHub". */
  label: z.string().min(1).optional(),
}).strict();

export const LoginConfig = z.object({
  /** OpenID Connect sign-in; default none. */
  oidc: OidcLoginConfig.nullable().default(null),
  /** GitHub sign-in; default none. */
  github: GithubLoginConfig.nullable().default(null),
  /** Accounts the owner creates (email + password, invite links); default true. */
  local: z.boolean().default(true),
}).strict();

/** Who is let in without asking the owner. Emails, domains, orgs and teams compare case-insensitively. */
export const AllowList = z.object({
  /** Exact email addresses; only verified emails match (an IdP that does not say needs `trustEmails`). */
  emails: z.array(z.string()).default([]),
  /** Email domains ("example.com", exactly: not its subdomains); only verified emails match. */
  domains: z.array(z.string()).default([]),
  /** IdP subjects: "<sub>" for the OIDC IdP, or "oidc:<sub>", "github:<numeric id>", "local:<id>". */
  subjects: z.array(z.string()).default([]),
  /** Values of the OIDC groups claim, compared exactly. */
  groups: z.array(z.string()).default([]),
  /** GitHub organizations whose members may come in (needs the read:org scope, asked for then). */
  githubOrgs: z.array(z.string()).default([]),
  /** GitHub teams as "org/team-slug". */
  githubTeams: z.array(z.string()).default([]),
}).strict();

/** Who is never let in: wins over every allow rule, over owner approval and over the owner flag. */
export const DenyList = z.object({
  /** Exact email addresses (verified or not). */
  emails: z.array(z.string()).default([]),
  /** Email domains (verified or not). */
  domains: z.array(z.string()).default([]),
  /** Subjects, written as in `allow.subjects`. */
  subjects: z.array(z.string()).default([]),
}).strict();

export const AccessConfig = z.object({
  /** How people sign in; default: local accounts only. */
  login: LoginConfig.default(LoginConfig.parse({})),
  /** Who is let in at once; default nobody but the owner. */
  allow: AllowList.default(AllowList.parse({})),
  /** Who is never let in; default nobody. */
  deny: DenyList.default(DenyList.parse({})),
  /** Everyone else: "ask-owner" (default) waits for the owner's decision, "deny" refuses. */
  unknownUsers: z.enum(['deny', 'ask-owner']).default('ask-owner'),
  tokens: z.object({
    /**
     * Access-token lifetime; default 60 minutes. Some clients never refresh: a longer lifetime keeps
     * them connected, but a leaked token stays usable longer (removing a user still stops it at once).
     */
    accessTokenMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60),
    /** Refresh-token lifetime, renewed at each use (rotation); default 30 days. */
    refreshTokenDays: z.number().int().min(1).max(365).default(30),
  }).strict().default({ accessTokenMinutes: 60, refreshTokenDays: 30 }),
});

export const PublishConfig = z.object({
  /** How the public URL is made (DESIGN §8); default localtunnel (no account). "none": `publicUrl` is your own reverse proxy. */
  tunnel: z.enum(['localtunnel', 'cloudflared', 'ngrok', 'none']).default('localtunnel'),
  /** localtunnel subdomain: "auto" (default, stable, from this installation's id), "random", or your own (4–63 lowercase letters and digits). */
  subdomain: z.string().regex(/^(auto|random|[a-z0-9]{4,63})$/, 'use "auto", "random" or 4–63 lowercase letters and digits').default('auto'),
  /** Your own URL (tunnel "none"); default none. */
  publicUrl: z.url().nullable().default(null),
  /** A self-hosted localtunnel server; default https://localtunnel.me. */
  host: z.url({ protocol: /^https?$/ }).optional(),
  /** cloudflared named tunnel: its public hostname URL; unset means a quick tunnel (random URL each start). */
  hostname: z.url({ protocol: /^https$/ }).optional(),
  /** cloudflared named tunnel token in the SecretStore; default key "tunnel/cloudflared-token". */
  cloudflaredToken: SecretRef.optional(),
  /** ngrok authtoken in the SecretStore; default key "tunnel/ngrok-authtoken". */
  ngrokAuthtoken: SecretRef.optional(),
  /** ngrok: your account's static domain (a stable URL). */
  ngrokDomain: z.string().optional(),
  /** How often the tunnel checks itself through the public URL; default 30 s. */
  selfCheckSeconds: z.number().int().min(5).max(3600).optional(),
}).strict().default({ tunnel: 'localtunnel', subdomain: 'auto', publicUrl: null });

/** The Activity page's record of calls, kept in the app-data folder (src/activity/activity-log.ts). */
export const ActivityConfig = z.object({
  /** A log file is rotated at this size, in KiB; default 1024 (1 MiB). */
  maxFileKiB: z.number().int().min(16).default(1024),
  /** Files kept, the current one included; default 8 (so about 8 MiB of calls). */
  maxFiles: z.number().int().min(1).max(1000).default(8),
  /** Calls older than this many days are dropped; default 30. */
  maxAgeDays: z.number().int().min(1).max(3650).default(30),
  /** An OTLP/HTTP collector (e.g. "http://127.0.0.1:4318"): every call is also sent there as a span (JSON, `/v1/traces`). Default none. */
  otlpEndpoint: z.string().url().optional(),
}).strict();
export type ActivityConfig = z.infer<typeof ActivityConfig>;

/** Where shared state lives (issue 15: a team's replicas). */
export const StateConfig = z.object({
  /**
   * Default none: the state file in the app-data folder and the OS keychain. `postgres://…`: state
   * and secrets in PostgreSQL, for several replicas (secrets encrypted with MCP_PUBLISH_SECRET_KEY).
   * Leave the password out (PGPASSWORD), or give the whole URL as MCP_PUBLISH_STATE_URL instead.
   */
  url: z.string().regex(/^postgres(ql)?:\/\//, 'use a postgres:// URL').optional(),
}).strict();

export const Config = z.object({
  /** The servers, in the `mcpServers` format of Claude Desktop, Cursor and VS Code. */
  mcpServers: z.record(z.string().regex(SERVER_NAME, 'server names use letters, digits, ".", "_" and "-" (at most 64)'), ServerConfig).default({}),
  access: AccessConfig.default(AccessConfig.parse({})),
  publish: PublishConfig,
  gateway: GatewayConfig.default(GatewayConfig.parse({})),
  activity: ActivityConfig.default(ActivityConfig.parse({})),
  state: StateConfig.default({}),
}).passthrough();

export type Config = z.infer<typeof Config>;
export type ServerConfig = z.infer<typeof ServerConfig>;
export type StdioServerConfig = z.infer<typeof StdioServer>;
export type HttpServerConfig = z.infer<typeof HttpServer>;
export type GatewayConfig = z.infer<typeof GatewayConfig>;
export type AccessConfig = z.infer<typeof AccessConfig>;
export type OidcLoginConfig = z.infer<typeof OidcLoginConfig>;
export type GithubLoginConfig = z.infer<typeof GithubLoginConfig>;
export type Isolation = z.infer<typeof Isolation>;
export type UserEnvField = z.infer<typeof UserEnvField>;

export function isStdioServer(s: ServerConfig): s is StdioServerConfig {
  return typeof (s as { command?: unknown }).command === 'string';
}
