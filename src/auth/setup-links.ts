// One-time links to a person's setup page for a server (what the `reconfigure` tool returns):
// kept in the state store, durable before they are handed out. The pages are user-setup.ts.
import { randomBytes } from 'node:crypto';
import type { StateStore } from '../state/state-store.ts';
import { SETUP_LINKS } from './revocation.ts';

/** How long a setup link works. */
export const SETUP_LINK_MS = 15 * 60_000;

/** A one-time link to a user's setup page for a server (what the `reconfigure` tool returns). */
export async function createSetupLink(state: StateStore, issuer: string, server: string, user: string): Promise<string> {
  const token = randomBytes(24).toString('base64url');
  await state.put(SETUP_LINKS, token, { server, user }, { expiresAt: Date.now() + SETUP_LINK_MS });
  await state.flush(); // STYLE 16: the link works once it is handed out, even after a crash
  return `${issuer}/setup/${token}`;
}
