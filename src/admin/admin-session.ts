// The admin API's address and token across restarts of the core (issue 12 #4): an open settings
// window keeps working after MCP Publish restarts, because the API comes back on the same port
// with the same token. Kept 0600 in the app-data folder like admin.json; a token older than
// `maxAgeMs` is replaced at the next start (the window then asks to be opened again).
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../config/atomic-file.ts';

export interface AdminSession {
  port: number;
  token: string;
  /** When the token was made, epoch ms. */
  createdAt: number;
}

/** A day: a window left open over a restart reconnects; an old token does not live for ever. */
export const ADMIN_SESSION_MAX_AGE_MS = 24 * 3600_000;

/** The session kept in `file` while it is young enough, else a new token (and no port preference). */
export async function loadAdminSession(file: string | undefined, maxAgeMs = ADMIN_SESSION_MAX_AGE_MS, now = Date.now()): Promise<Partial<AdminSession> & { token: string }> {
  const fresh = { token: randomBytes(32).toString('base64url'), createdAt: now };
  if (!file) return fresh;
  try {
    const kept = JSON.parse((await readFileIfExists(file)) ?? 'null') as Partial<AdminSession> | null;
    if (!kept || typeof kept.token !== 'string' || kept.token.length < 32 || typeof kept.createdAt !== 'number') return fresh;
    const port = Number.isInteger(kept.port) && kept.port! > 0 && kept.port! < 65536 ? kept.port : undefined;
    // An old token goes, but the port stays: the window finds the API and asks for a new link.
    if (now - kept.createdAt > maxAgeMs || kept.createdAt > now) return { ...fresh, port };
    return { port, token: kept.token, createdAt: kept.createdAt };
  } catch {
    return fresh; // unreadable: start afresh
  }
}

export async function saveAdminSession(file: string | undefined, session: AdminSession): Promise<void> {
  if (file) await writeFileAtomic(file, JSON.stringify(session), { mode: 0o600 });
}

/** Where the session is kept in the app-data folder (next to admin.json). */
export function adminSessionFile(appDataDir: string): string {
  return path.join(appDataDir, 'admin-session.json');
}
