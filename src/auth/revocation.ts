// Ending what people hold, in the state store where our adapter keeps oidc-provider's models
// (src/auth/oidc-adapter.ts): one grant with every token issued under it (the owner revokes a
// client), or everything of one person (the owner removes or denies them) so that letting them
// in again later revives nothing: they sign in, and consent, again.
import { createHash } from 'node:crypto';
import type { StateStore } from '../state/state-store.ts';

/** oidc-provider's models, as collections of our adapter. */
const GRANTS = 'oidc.Grant';
/** The models that carry a grantId: what oidc-provider's own revoke (helpers/revoke.js) removes. */
const GRANT_TOKENS = ['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode'].map((m) => `oidc.${m}`);
/** Browser sign-in state of oidc-provider: a session remembers who signed in, an interaction what they answered. */
const SESSIONS = 'oidc.Session';
const INTERACTIONS = 'oidc.Interaction';

/** Our own per-person records of the sign-in pages (src/auth/interactions.ts, setup-links.ts). */
export const CONSENTS = 'auth.consents';
export const SETUP_LINKS = 'auth.setup-links';
export const LOGIN_DONE = 'auth.login-done';

/** Our adapter keys each entry by the SHA-256 of its id, so grant ids never sit in the file in clear. */
const entryKey = (id: string) => createHash('sha256').update(id).digest('base64url');

interface Held { accountId?: unknown; grantId?: unknown }
interface InteractionPayload {
  session?: { accountId?: unknown };
  result?: { login?: { accountId?: unknown } };
  lastSubmission?: { login?: { accountId?: unknown } };
}

/** The consent key of a person × client × server. */
export function consentKey(accountId: string, clientId: string, server: string): string {
  return `${accountId}\u0000${clientId}\u0000${server}`;
}

/**
 * Revokes one grant by its state-store key (what the clients list shows as its id): its tokens
 * and codes, then the grant. Resolves false if there was no such grant. Durable when it resolves.
 */
export async function revokeGrant(state: StateStore, key: string): Promise<boolean> {
  if (!(await state.get(GRANTS, key))) return false;
  for (const collection of GRANT_TOKENS) {
    for (const hit of await state.find<Held>(collection, (v) => typeof v.grantId === 'string' && entryKey(v.grantId) === key)) {
      await state.delete(collection, hit.id);
    }
  }
  await state.delete(GRANTS, key);
  await state.flush();
  return true;
}

/**
 * Ends everything `userIds` hold: grants and every token or code issued to them (the bearer
 * check needs a live grant, a refresh needs one too), their browser sessions and unfinished
 * sign-ins (which would otherwise sign them in without a password), their consents and setup
 * links. Resolves with how many entries went, once that is on disk (STYLE 16).
 */
export async function revokeUsers(state: StateStore, userIds: ReadonlySet<string>): Promise<number> {
  if (userIds.size === 0) return 0;
  const theirs = (v: unknown) => typeof v === 'string' && userIds.has(v);
  const drop = async <T>(collection: string, match: (value: T, id: string) => boolean): Promise<number> => {
    const hits = await state.find<T>(collection, match);
    for (const hit of hits) await state.delete(collection, hit.id);
    return hits.length;
  };
  let n = 0;
  // Tokens first (by account, and by grant for any issued under their grants), then the grants:
  // a refresh racing this finds no grant and fails (oidc-provider checks the grant exists).
  const grantKeys = new Set((await state.find<Held>(GRANTS, (v) => theirs(v.accountId))).map((g) => g.id));
  for (const collection of GRANT_TOKENS) {
    n += await drop<Held>(collection, (v) => theirs(v.accountId) || (typeof v.grantId === 'string' && grantKeys.has(entryKey(v.grantId))));
  }
  n += await drop<Held>(GRANTS, (v) => theirs(v.accountId));
  n += await drop<Held>(SESSIONS, (v) => theirs(v.accountId));
  n += await drop<InteractionPayload>(INTERACTIONS, (v) => theirs(v.session?.accountId) || theirs(v.result?.login?.accountId) || theirs(v.lastSubmission?.login?.accountId));
  n += await drop<unknown>(CONSENTS, (_v, key) => userIds.has(key.slice(0, key.indexOf('\u0000'))));
  n += await drop<{ user?: unknown }>(SETUP_LINKS, (v) => theirs(v.user));
  n += await drop<unknown>(LOGIN_DONE, (v) => theirs(v));
  await state.flush();
  return n;
}
