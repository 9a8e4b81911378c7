// The contract of the admin API (STYLE 5): the loopback door through which the CLI (and later
// the tray and the settings window) drive the core. Routes, request and response types, here only.
import type { UserStatus } from '../identity/users.ts';

/** Where a running gateway's admin API is, written 0600 to `admin.json` in the app-data dir. */
export interface AdminEndpoint {
  url: string;
  /** Per-launch random token: `Authorization: Bearer <token>`. */
  token: string;
  pid: number;
}

export interface UserView {
  id: string;
  email?: string;
  name?: string;
  status: UserStatus;
  owner: boolean;
  logins: string[];
  lastLoginAt: number;
  /** Per server: the userEnv fields this user has set (names only, never values). */
  userEnv: Record<string, string[]>;
}

export const ADMIN_ROUTES = {
  users: '/api/users',
  /** POST: { action: 'approve' | 'deny' | 'remove' } */
  userAction: '/api/users/:id/action',
  /** POST { email, name? } → { invite: url } */
  localAccounts: '/api/local-accounts',
  status: '/api/status',
} as const;

export type UserAction = 'approve' | 'deny' | 'remove';

export interface ApiError { error: string; message: string }
