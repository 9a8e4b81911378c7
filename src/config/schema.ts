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

export const Isolation = z.enum(['per-user', 'per-session', 'shared']);

const serverCommon = {
  /** Shown in the UI; default: the key. */
  title: z.string().optional(),
  /** A disabled server is kept in the file but not served; default true. */
  enabled: z.boolean().default(true),
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
  /** per-user (default): one child per user; per-session: one per session; shared: one for all. */
  isolation: Isolation.default('per-user'),
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

export const GatewayConfig = z.object({
  /** Port of the public gateway on 127.0.0.1; 0 picks a free one; default 8787. */
  port: z.number().int().min(0).max(65535).default(8787),
  /** Address it listens on; default 127.0.0.1 (the tunnel connects locally). */
  host: z.string().default('127.0.0.1'),
  /** The URL people use, when not the tunnel's (a reverse proxy in front); default none. */
  publicUrl: z.url().nullable().default(null),
  /** Largest request body accepted, in bytes; default 4 MiB. */
  maxBodyBytes: z.number().int().positive().default(4 * 1024 * 1024),
  /** A session nobody used for this long is closed; default 30 minutes. */
  sessionIdleSeconds: z.number().int().positive().default(30 * 60),
  /** A child no session used for this long is stopped; default 10 minutes. */
  childIdleSeconds: z.number().int().positive().default(10 * 60),
  /** A request the child has not answered after this long fails; default 10 minutes. */
  requestTimeoutSeconds: z.number().int().positive().default(10 * 60),
  /** Browser origins allowed besides the gateway's own (e.g. a web-based MCP inspector). */
  allowedOrigins: z.array(z.string()).default([]),
  /** Bytes of each child's stderr kept for the UI; default 64 KiB. */
  stderrBytes: z.number().int().min(1024).default(64 * 1024),
}).strict();

export const AccessConfig = z.object({
  login: z.object({
    oidc: z.object({
      issuer: z.url(), clientId: z.string(), clientSecret: SecretRef.optional(),
      identityClaim: z.string().default('email'), groupsClaim: z.string().default('groups'),
    }).nullable().default(null),
    github: z.object({ clientId: z.string(), clientSecret: SecretRef }).nullable().default(null),
    local: z.boolean().default(true),
  }).default({ oidc: null, github: null, local: true }),
  allow: z.object({
    emails: z.array(z.string()).default([]), domains: z.array(z.string()).default([]),
    subjects: z.array(z.string()).default([]), groups: z.array(z.string()).default([]),
  }).default({ emails: [], domains: [], subjects: [], groups: [] }),
  deny: z.object({ emails: z.array(z.string()).default([]) }).default({ emails: [] }),
  unknownUsers: z.enum(['deny', 'ask-owner']).default('ask-owner'),
}).default({
  login: { oidc: null, github: null, local: true },
  allow: { emails: [], domains: [], subjects: [], groups: [] },
  deny: { emails: [] },
  unknownUsers: 'ask-owner',
});

export const PublishConfig = z.object({
  tunnel: z.enum(['localtunnel', 'cloudflared', 'ngrok', 'none']).default('localtunnel'),
  subdomain: z.string().default('auto'),
  publicUrl: z.url().nullable().default(null),
}).default({ tunnel: 'localtunnel', subdomain: 'auto', publicUrl: null });

export const Config = z.object({
  /** The servers, in the `mcpServers` format of Claude Desktop, Cursor and VS Code. */
  mcpServers: z.record(z.string().regex(SERVER_NAME, 'server names use letters, digits, ".", "_" and "-" (at most 64)'), ServerConfig).default({}),
  access: AccessConfig,
  publish: PublishConfig,
  gateway: GatewayConfig.default(GatewayConfig.parse({})),
}).passthrough();

export type Config = z.infer<typeof Config>;
export type ServerConfig = z.infer<typeof ServerConfig>;
export type StdioServerConfig = z.infer<typeof StdioServer>;
export type HttpServerConfig = z.infer<typeof HttpServer>;
export type GatewayConfig = z.infer<typeof GatewayConfig>;
export type Isolation = z.infer<typeof Isolation>;
export type UserEnvField = z.infer<typeof UserEnvField>;

export function isStdioServer(s: ServerConfig): s is StdioServerConfig {
  return typeof (s as { command?: unknown }).command === 'string';
}
