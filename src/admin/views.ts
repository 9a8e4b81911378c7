// The core's state as the admin API shows it (the shapes of api.ts): status with each server's
// URLs, servers with what runs of them, users with which userEnv fields they set (never values).
import { isStdioServer, type ServerConfig } from '../config/schema.ts';
import type { UserRecord } from '../identity/users.ts';
import type { Publisher } from '../publisher.ts';
import type { ActivityRecord } from '../sessions/session.ts';
import type { UpstreamInfo } from '../upstream/child-pool.ts';
import type { ActivityView, ServerHealthView, ServerSummary, ServerView, StatusView, UpstreamView, UserView } from './api.ts';
import type { ActivityRecordView, CoreStatus, UserStatus as UserStatusView } from './api.ts';
import type { PublisherStatus } from '../publisher.ts';
import type { UserStatus } from '../identity/users.ts';
import { commandProblem, type ServerHealth } from './server-health.ts';
import { tunnelName, tunnelProblem } from './tunnel-words.ts';

// The contract's own shapes must fit what the core produces (fails to compile otherwise).
type Fits<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _fits: [Fits<PublisherStatus, CoreStatus>, Fits<ActivityRecord, ActivityRecordView>, Fits<UserStatus, UserStatusView>] = [true, true, true];
void _fits;

/** Without a health tracker (the tray's own view before the admin API runs): what the config says. */
function configHealth(config: ServerConfig): ServerHealthView {
  if (!config.enabled) return { state: 'disabled' };
  const problem = commandProblem(config);
  return problem ? { state: 'cannot-start', reason: problem } : { state: 'idle' };
}

export function serverSummary(p: Publisher, name: string, config: ServerConfig, status = p.status(), health?: ServerHealth): ServerSummary {
  const served = config.enabled && status.state === 'running';
  return {
    name, title: config.title, enabled: config.enabled,
    kind: isStdioServer(config) ? 'stdio' : 'http',
    // HTTP upstreams: one upstream session per client session (DESIGN §5).
    isolation: isStdioServer(config) ? config.isolation : 'per-session',
    localUrl: served && status.gatewayUrl ? p.serverUrl(name, status.gatewayUrl) : undefined,
    publicUrl: served && status.publicUrl ? p.serverUrl(name, status.publicUrl) : undefined,
    health: health?.view(name, config) ?? configHealth(config),
  };
}

export function statusView(p: Publisher, health?: ServerHealth): StatusView {
  const status = p.status();
  const problem = tunnelProblem(p.currentConfig.publish, status.tunnel);
  const users = p.signIn?.users.list() ?? [];
  return {
    ...status,
    signIn: Boolean(p.signIn),
    pending: users.filter((u) => u.status === 'pending').length,
    servers: Object.entries(p.currentConfig.mcpServers).map(([name, c]) => serverSummary(p, name, c, status, health)),
    tunnelName: tunnelName(p.currentConfig.publish).label,
    ...(problem ? { tunnelProblem: problem } : {}),
  };
}

export function upstreamView(p: Publisher, u: UpstreamInfo): UpstreamView {
  const email = u.user ? p.signIn?.users.get(u.user)?.email : undefined;
  return { ...u, ...(email ? { userEmail: email } : {}) };
}

export function serverViews(p: Publisher, health?: ServerHealth): ServerView[] {
  const status = p.status();
  const running = p.pool.list();
  return Object.entries(p.currentConfig.mcpServers).map(([name, config]) => ({
    ...serverSummary(p, name, config, status, health),
    config,
    running: running.filter((u) => u.server === name).map((u) => upstreamView(p, u)),
  }));
}

export async function userView(p: Publisher, u: UserRecord): Promise<UserView> {
  const userEnv: Record<string, string[]> = {};
  const signIn = p.signIn;
  if (signIn) {
    for (const [name, s] of Object.entries(p.currentConfig.mcpServers)) {
      if (isStdioServer(s) && s.userEnv.length) userEnv[name] = await signIn.userEnv.setFields(name, u.id, s.userEnv);
    }
  }
  return {
    id: u.id, email: u.email, name: u.name, status: u.status, owner: Boolean(u.owner),
    logins: u.logins.map((l) => `${l.provider}:${l.subject}`), createdAt: u.createdAt, lastLoginAt: u.lastLoginAt, userEnv,
  };
}

export function activityView(p: Publisher, r: ActivityRecord): ActivityView {
  const email = p.signIn?.users.get(r.user)?.email;
  return { ...r, ...(email ? { userEmail: email } : {}) };
}
