// The core's state as the admin API shows it (the shapes of api.ts): status with each server's
// URLs, servers with what runs of them, users with which userEnv fields they set (never values).
import { isStdioServer, type ServerConfig } from '../config/schema.ts';
import type { UserRecord } from '../identity/users.ts';
import type { Publisher } from '../publisher.ts';
import type { ActivityRecord } from '../sessions/session.ts';
import type { UpstreamInfo } from '../upstream/child-pool.ts';
import type { ActivityView, ServerSummary, ServerView, StatusView, UpstreamView, UserView } from './api.ts';

export function serverSummary(p: Publisher, name: string, config: ServerConfig, status = p.status()): ServerSummary {
  const served = config.enabled && status.state === 'running';
  return {
    name, title: config.title, enabled: config.enabled,
    kind: isStdioServer(config) ? 'stdio' : 'http',
    // HTTP upstreams: one upstream session per client session (DESIGN §5).
    isolation: isStdioServer(config) ? config.isolation : 'per-session',
    localUrl: served && status.gatewayUrl ? p.serverUrl(name, status.gatewayUrl) : undefined,
    publicUrl: served && status.publicUrl ? p.serverUrl(name, status.publicUrl) : undefined,
  };
}

export function statusView(p: Publisher): StatusView {
  const status = p.status();
  const users = p.signIn?.users.list() ?? [];
  return {
    ...status,
    signIn: Boolean(p.signIn),
    pending: users.filter((u) => u.status === 'pending').length,
    servers: Object.entries(p.currentConfig.mcpServers).map(([name, c]) => serverSummary(p, name, c, status)),
  };
}

export function upstreamView(p: Publisher, u: UpstreamInfo): UpstreamView {
  const email = u.user ? p.signIn?.users.get(u.user)?.email : undefined;
  return { ...u, ...(email ? { userEmail: email } : {}) };
}

export function serverViews(p: Publisher): ServerView[] {
  const status = p.status();
  const running = p.pool.list();
  return Object.entries(p.currentConfig.mcpServers).map(([name, config]) => ({
    ...serverSummary(p, name, config, status),
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
