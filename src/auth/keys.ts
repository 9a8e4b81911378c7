// The authorization server's keys, kept in the SecretStore (DESIGN §7): ES256 token-signing keys
// (newest first, each with a `kid`; the previous one stays so tokens it signed still verify) and
// the keys that sign oidc-provider's cookies.
import { randomBytes } from 'node:crypto';
import * as jose from 'jose';
import type { SecretStore } from '../secrets/secret-store.ts';

const SIGNING = 'auth.signing-keys';
const COOKIES = 'auth.cookie-keys';
/** How many signing keys are kept: the current one and the one before it. */
const KEEP = 2;

export interface AuthKeys {
  /** Private ES256 JWKs, newest first. */
  signing: jose.JWK[];
  /** Cookie-signing secrets, newest first. */
  cookies: string[];
}

async function newSigningKey(): Promise<jose.JWK> {
  const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  return { ...jwk, kid: `es256-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`, alg: 'ES256', use: 'sig' };
}

/** The day a key was made, from its kid (`es256-YYYY-MM-DD-…`). */
export function keyCreated(key: jose.JWK): number | undefined {
  const m = /^es256-(\d{4}-\d{2}-\d{2})-/.exec(key.kid ?? '');
  return m ? Date.parse(m[1]!) : undefined;
}

/** A signing key older than this is replaced at the next start (the previous one still verifies). */
export const ROTATE_AFTER_DAYS = 90;

/** Loads the keys, creating them on first start and rotating a signing key past its age. */
export async function loadAuthKeys(secrets: SecretStore, now = Date.now()): Promise<AuthKeys> {
  let signing = parse<jose.JWK[]>(await secrets.get(SIGNING));
  if (!signing?.length) {
    // Replicas starting together on one store agree on whichever key was written first.
    signing = parse<jose.JWK[]>(await createOnce(secrets, SIGNING, JSON.stringify([await newSigningKey()])))!;
  } else {
    const created = keyCreated(signing[0]!);
    if (created !== undefined && now - created > ROTATE_AFTER_DAYS * 86_400_000) {
      signing = [await newSigningKey(), ...signing].slice(0, KEEP);
      await secrets.set(SIGNING, JSON.stringify(signing));
    }
  }
  let cookies = parse<string[]>(await secrets.get(COOKIES));
  if (!cookies?.length) cookies = parse<string[]>(await createOnce(secrets, COOKIES, JSON.stringify([randomBytes(32).toString('base64url')])))!;
  return { signing, cookies };
}

/** Puts a new signing key first; the previous one is kept so its tokens verify until they expire. */
export async function rotateSigningKey(secrets: SecretStore): Promise<AuthKeys> {
  const keys = await loadAuthKeys(secrets);
  keys.signing = [await newSigningKey(), ...keys.signing].slice(0, KEEP);
  await secrets.set(SIGNING, JSON.stringify(keys.signing));
  return keys;
}

/** The public halves, for verifying tokens. */
export function publicJwks(keys: AuthKeys): jose.JSONWebKeySet {
  return { keys: keys.signing.map(({ d: _d, ...pub }) => pub) };
}

/** `value` unless another process stored one first (then theirs); an unreadable one is replaced. */
async function createOnce(secrets: SecretStore, key: string, value: string): Promise<string> {
  const held = await secrets.setIfAbsent(key, value);
  if (parse<unknown[]>(held)?.length) return held;
  await secrets.set(key, value);
  return value;
}

function parse<T>(text: string | undefined): T | undefined {
  if (!text) return undefined;
  try { return JSON.parse(text) as T; } catch { return undefined; }
}
