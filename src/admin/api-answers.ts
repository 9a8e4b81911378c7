// The admin API's answers: the shapes the core sends the settings window, the tray and the CLI.
// Part of the contract of api.ts (STYLE 5), which re-exports every type here: import from api.ts.
// Like api.ts it names no running module of the core; views.ts checks that the core's values fit.
import type { TunnelStatus } from '../tunnel/tunnel-provider.ts';
import type { AccessConfig, GithubLoginConfig, Isolation, OidcLoginConfig, ServerConfig } from '../config/schema.ts';

/** One server as the tray lists it. */
export interface ServerSummary {
  name: string;
  title?: string;
  enabled: boolean;
  kind: 'stdio' | 'http';
  /** stdio: as configured; http: `per-session` (one upstream session per client session). */
  isolation: Isolation;
  /** Its MCP URL on this computer, while the gateway runs and the server is enabled. */
  localUrl?: string;
  /** Its MCP URL for remote clients, while there is a public URL. */
  publicUrl?: string;
  /** Whether it can start, as far as the core knows: checked on save and import, then from its processes. */
  health: ServerHealthView;
}

/**
 * A server's health, as its card, the tray and the status stream show it:
 * - `ready`: it started and answered (now or when last checked); `processes` are running now.
 * - `idle`: its command is there, but it has not been started yet.
 * - `checking`: it is being test-started in the background (after a save or an import).
 * - `starting`: a process of it is starting for someone.
 * - `cannot-start`: the last start failed (`reason`, `at`); `detail` has the last lines of its stderr.
 * - `crash-looping`: it failed `crashes` times in a row; it is tried again on the next use after `retryAt`.
 * - `disabled`: it is not served.
 */
export interface ServerHealthView {
  state: 'ready' | 'idle' | 'checking' | 'starting' | 'cannot-start' | 'crash-looping' | 'disabled';
  reason?: string;
  /** When the failure (or the check) happened, epoch ms. */
  at?: number;
  crashes?: number;
  retryAt?: number;
  /** The last lines it wrote to stderr, when a check failed. */
  detail?: string;
  /** Running processes of it. */
  processes?: number;
}

/** The publisher's status (PublisherStatus in publisher.ts has this shape). */
export interface CoreStatus {
  state: 'stopped' | 'running';
  /** The gateway on this computer. */
  gatewayUrl?: string;
  /** True while the owner wants the servers published (the tunnel may still be connecting). */
  published: boolean;
  tunnel: TunnelStatus;
  /** The URL people use, when there is one. */
  publicUrl?: string;
  /** The OAuth issuer: the public URL when published, else the local one. */
  issuer?: string;
  /** Set when the public URL differs from the one clients signed in with before: they must be re-added. */
  issuerChanged?: { from: string; to: string };
}

/** A person's standing (UserStatus in identity/users.ts). */
export type UserStatus = 'allowed' | 'pending' | 'denied' | 'removed';

/** A finished call as the sessions report it (ActivityRecord in sessions/session.ts has this shape). */
export interface ActivityRecordView {
  at: number;
  server: string;
  /** Our user id. */
  user: string;
  session: string;
  method: string;
  /** The tool, prompt or resource named by the call. */
  name?: string;
  /** The MCP client, as it named itself (clientInfo.name). */
  client?: string;
  ms: number;
  ok: boolean;
  /** Why it failed, in the words the client was given. */
  error?: string;
}

/** GET status, POST publish / unpublish, and the `status` event. */
export interface StatusView extends CoreStatus {
  /** Whether sign-in runs (off only in the core's own tests). */
  signIn: boolean;
  /** People waiting for the owner's decision. */
  pending: number;
  servers: ServerSummary[];
  /** The tunnel the settings choose, in words ("localtunnel (localtunnel.me)"). */
  tunnelName: string;
  /** Why publishing failed or the tunnel is reconnecting, in words with a next step. */
  tunnelProblem?: TunnelProblemView;
}

/** A tunnel failure in words: "Can't reach localtunnel.me" and what to do; `detail` is the tunnel's own reason. */
export interface TunnelProblemView { title: string; next: string; detail: string }

/** GET / PUT publish/settings: how the public URL is made (the config's `publish`), secrets as references. */
export interface PublishSettingsView {
  tunnel: 'localtunnel' | 'cloudflared' | 'ngrok' | 'none';
  /** localtunnel: "auto", "random" or a subdomain. */
  subdomain: string;
  /** localtunnel: a self-hosted server; absent for the public service. */
  host?: string;
  /** cloudflared: a named tunnel's public hostname URL; absent for a quick tunnel. */
  hostname?: string;
  /** ngrok: the account's static domain. */
  ngrokDomain?: string;
  /** tunnel "none": the owner's own public URL. */
  publicUrl: string | null;
  cloudflaredToken: SecretRefView;
  ngrokAuthtoken: SecretRefView;
}

/** PUT publish/settings: as the view, with a token given as a string to store it (absent: keep). */
export type PublishSettingsInput = Omit<PublishSettingsView, 'cloudflaredToken' | 'ngrokAuthtoken'> & { cloudflaredToken?: string; ngrokAuthtoken?: string };

/** A running upstream (child process or HTTP upstream session). */
export interface UpstreamView {
  /** Opaque; for `upstreamStderr`. */
  key: string;
  server: string;
  /** Our user id; absent for a `shared` server's one child. */
  user?: string;
  userEmail?: string;
  pid?: number;
  state: string;
  sessions: number;
  inflight: number;
  stderrBytes: number;
}

/** GET servers: each entry of the config with what runs of it. */
export interface ServerView extends ServerSummary {
  /** The entry as configured (defaults filled in). */
  config: ServerConfig;
  running: UpstreamView[];
}

/** POST servers/:name/test. */
export type ServerTestResult =
  | { ok: true; serverInfo: Record<string, unknown>; protocolVersion: string; tools: string[]; toolDetails: ToolView[]; ms: number; notes: string[] }
  | { ok: false; error: string; /** The last lines it wrote to stderr. */ stderr: string; ms: number; notes: string[] };

/** A tool as its server lists it: what the Tools tab shows and read-only presets read. */
export interface ToolView {
  name: string;
  title?: string;
  description?: string;
  /** readOnlyHint, destructiveHint… as the server says (hints, not guarantees). */
  annotations?: Record<string, unknown>;
}

/** GET servers/:name/tools: the tools of a test start as the owner, or why it failed. */
export type ServerToolsView = { ok: true; tools: ToolView[]; testedAt: number } | { ok: false; error: string; testedAt: number };

/** POST servers/:name/permissions/preview: each tool, who the rules let use it, and whether the person asked about may. */
export interface PermissionPreview {
  /** How the person asked about is named (absent when none was). */
  person?: string;
  /** True when the rules let that person use everything (the owner, or an "everything" rule without denials). */
  everything?: boolean;
  tools: Array<ToolView & {
    readOnly: boolean;
    /** The rules that let people use it ("everyone (read-only)", "group:eng (custom)"…). */
    grantedBy: string[];
    /** The deny rules that name it. */
    deniedBy: string[];
    /** For the person asked about: may they use it, and if not why. */
    allowed?: boolean;
    reason?: string;
  }>;
}

/** One server found by an import and what became of it. */
export interface ImportEntryView {
  /** Its name in our config (the new one when renamed). */
  name: string;
  status: 'added' | 'skipped' | 'invalid';
  /** Why it was skipped or is invalid (with the JSON path in its source). */
  reason?: string;
  /** The file it came from, or "pasted JSON". */
  source: string;
  notes?: string[];
  /** Why it would not start as it is (its command is not on this computer), with what to do. */
  warnings?: string[];
}

/** POST import. */
export interface ImportResult {
  dryRun: boolean;
  /** True when the config was changed and saved. */
  applied: boolean;
  /** Where servers were looked for. */
  sources: string[];
  report: ImportEntryView[];
  /** Sources that could not be read at all, with why. */
  errors: { source: string; problems: ProblemView[] }[];
}

/** A secret as the API shows it: where it is kept and whether a value is there, never the value. */
export interface SecretRefView { keychain: string; set: boolean }

/** GET / PUT access: the `access` config with secrets as `SecretRefView`, and the redirect URIs to register. */
export type AccessView = Omit<AccessConfig, 'login'> & {
  login: {
    oidc: (Omit<OidcLoginConfig, 'clientSecret'> & { clientSecret?: SecretRefView }) | null;
    github: (Omit<GithubLoginConfig, 'clientSecret'> & { clientSecret: SecretRefView }) | null;
    local: boolean;
  };
  /** What to register at each IdP for the current issuer (not part of the config). */
  redirectUris: { oidc: string; github: string };
};

/** POST access/test-sign-in. */
export interface TestSignInResult {
  ok: boolean;
  provider: 'oidc' | 'github';
  /** The IdP tested. */
  issuer?: string;
  /** The exact redirect (callback) URI to register at the IdP. */
  redirectUri: string;
  /** What is wrong, in plain words; empty when ok. */
  problems: string[];
  /** Worth knowing, not wrong (e.g. the redirect URI changes once published). */
  notes: string[];
  /** Endpoints read from the IdP's discovery document, when it was read. */
  endpoints?: { authorization?: string; token?: string; jwks?: string; userinfo?: string };
  ms: number;
}

export interface UserView {
  id: string;
  email?: string;
  name?: string;
  status: UserStatus;
  owner: boolean;
  /** `provider:subject` of each login method used. */
  logins: string[];
  createdAt: number;
  lastLoginAt: number;
  /** Per server: the userEnv fields this user has set (names only, never values). */
  userEnv: Record<string, string[]>;
}

/** POST local-accounts, and each entry of GET invites (pending invite links). */
export interface InviteView {
  /** Opaque, for DELETE invites/:id. */
  id: string;
  email: string;
  name?: string;
  createdAt: number;
  expiresAt: number;
  /** The link, on the current public URL (absent if it cannot be shown again). */
  invite?: string;
  /** True while the link is a 127.0.0.1 address: only this computer can open it. Publish first. */
  localOnly: boolean;
  /** POST only: an earlier link of this person was replaced and stops working. */
  replaced?: boolean;
}

/** GET clients: one per grant (a person's authorization of one client application). */
export interface ClientView {
  /** Opaque grant id, for DELETE clients/:grantId. */
  id: string;
  clientId: string;
  /** The name the client registered with, else its host or id. */
  clientName: string;
  user: { id: string; email?: string; name?: string };
  /** Servers the grant covers. */
  servers: string[];
  createdAt?: number;
  expiresAt?: number;
}

/** A finished tools/call, prompts/get or resources/read: the `activity` event. */
export interface ActivityView extends ActivityRecordView {
  userEmail?: string;
}

/** A kept call; `kind` is absent in records written before owner actions were kept. */
export type ActivityCallItem = ActivityView & { id: string; kind?: 'call' };

/**
 * Something the owner did, kept in the same log: a config change, a decision about a person, an
 * invite, a revoked client, a permission edit. `action` is dotted ("server.added"); never a secret.
 */
export interface OwnerActionView {
  kind: 'owner';
  id: string;
  at: number;
  action: string;
  /** What it was done to: a server's name, a person's email, a client. */
  target?: string;
  /** A few words more ("allow list, login"); never a value that could be a secret. */
  detail?: string;
  /** The server it concerns, so the server filter finds it. */
  server?: string;
}

export type ActivityItem = ActivityCallItem | OwnerActionView;

/** GET activity: a page of kept calls and owner actions; `next` is the `before` of the following page. */
export interface ActivityPage { items: ActivityItem[]; next?: string }

export type StatsWindow = 'hour' | 'day' | 'week';

/** One tool's calls in the window: `buckets` counts calls per `bucketMs`, oldest first. */
export interface ToolStatsView { server: string; tool: string; calls: number; errors: number; p50Ms: number; p95Ms: number; buckets: number[] }

/** GET activity/stats: per (server, tool) over the last hour, day or week, busiest first. */
export interface ActivityStatsView {
  window: StatsWindow;
  since: number;
  until: number;
  bucketMs: number;
  tools: ToolStatsView[];
  /** Every tool together, per bucket, oldest first. */
  buckets: { calls: number; errors: number }[];
}

/** A config problem: its JSON path (`mcpServers.github.args[0]`) and why. */
export interface ProblemView { path: string; reason: string }

