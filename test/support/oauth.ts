// The OAuth endpoints by hand, for what the SDK client would never send: register (RFC 7591),
// an authorization walked by a Browser to the client's redirect (with PKCE made here, or
// deliberately missing), the token and revocation endpoints, and one MCP call that says whether
// an access token is still honoured.
import { createHash, randomBytes } from 'node:crypto';
import * as jose from 'jose';
import type { SecretStore } from '../../src/secrets/secret-store.ts';
import { Browser, type Person, type Visit } from './browser.ts';

/** What /register answered: the client's metadata, with its id (and secret, if confidential). */
export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  client_secret_expires_at?: number;
  redirect_uris: string[];
  token_endpoint_auth_method?: string;
  application_type?: string;
  [key: string]: unknown;
}

/** An HTTP answer with its body parsed as JSON when it is JSON. */
export interface Answer {
  status: number;
  json: any;
  headers: Headers;
}

async function answer(res: Response): Promise<Answer> {
  const body = await res.text();
  let json: unknown = body;
  try { json = JSON.parse(body); } catch { /* an HTML page or empty */ }
  return { status: res.status, json, headers: res.headers };
}

/** RFC 7636: a verifier and its S256 challenge. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Dynamic client registration; `status` 201 and the stored metadata on success. */
export async function register(issuer: string, metadata: Record<string, unknown>): Promise<Answer> {
  return answer(await fetch(`${issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(metadata) }));
}

/** Registers a public client (as the SDK does) and fails the test if that is refused. */
export async function registerClient(issuer: string, metadata: Record<string, unknown>): Promise<RegisteredClient> {
  const r = await register(issuer, { client_name: 'Hand-made client', token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], ...metadata });
  if (r.status !== 201) throw new Error(`registration refused (${r.status}): ${JSON.stringify(r.json)}`);
  return r.json as RegisteredClient;
}

/** An /authorize URL; undefined values are left out. */
export function authorizeUrl(issuer: string, params: Record<string, string | undefined>): URL {
  const url = new URL(`${issuer}/authorize`);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

/** Where an authorization left our pages: the client's redirect (code or error), or our error page. */
export interface Authorization extends Visit {
  code?: string;
  verifier: string;
  redirectUri: string;
  /** The response's parameters at the client's redirect (code, state, iss, error…). */
  params: URLSearchParams;
}

export interface AuthorizeOptions {
  client: { client_id: string };
  redirectUri: string;
  resource?: string;
  scope?: string;
  /** PKCE: S256 by default; 'plain' or 'none' for the negative cases. */
  pkce?: 'S256' | 'plain' | 'none';
  /** Extra or overriding query parameters. */
  extra?: Record<string, string | undefined>;
}

/**
 * Walks one authorization as `person` in `browser` until it leaves our origin (the client's
 * redirect URI, wherever it points) or stops on one of our error pages.
 */
export async function authorize(issuer: string, browser: Browser, person: Person, o: AuthorizeOptions): Promise<Authorization> {
  const { verifier, challenge } = pkce();
  const method = o.pkce ?? 'S256';
  const url = authorizeUrl(issuer, {
    response_type: 'code', client_id: o.client.client_id, redirect_uri: o.redirectUri, state: randomBytes(8).toString('hex'),
    resource: o.resource, scope: o.scope,
    code_challenge: method === 'none' ? undefined : method === 'plain' ? verifier : challenge,
    code_challenge_method: method === 'none' ? undefined : method,
    ...o.extra,
  });
  const ours = new URL(issuer).origin;
  const visit = await browser.authorize(url, person, (u) => u.origin !== ours);
  const params = visit.final.origin === ours ? new URLSearchParams() : new URLSearchParams(visit.final.search);
  return { ...visit, code: params.get('code') ?? undefined, verifier, redirectUri: o.redirectUri, params };
}

/** POST /token, form-encoded; `basic` sends client_secret_basic. */
export async function token(issuer: string, params: Record<string, string | undefined>, o: { basic?: [string, string]; origin?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (o.basic) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(o.basic[0])}:${encodeURIComponent(o.basic[1])}`).toString('base64')}`;
  if (o.origin) headers.origin = o.origin;
  const body = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
  return answer(await fetch(`${issuer}/token`, { method: 'POST', headers, body }));
}

/** The authorization_code grant for an authorization (public client unless a secret is given). */
export async function exchange(issuer: string, client: { client_id: string; client_secret?: string }, a: Authorization, extra: Record<string, string | undefined> = {}): Promise<Answer> {
  if (!a.code) throw new Error(`no code: ${a.final.href} (pages: ${a.pages.join(' → ')})`);
  return token(issuer, { grant_type: 'authorization_code', code: a.code, code_verifier: a.verifier, redirect_uri: a.redirectUri, client_id: client.client_id, client_secret: client.client_secret, ...extra });
}

/** The refresh_token grant. */
export async function refresh(issuer: string, client: { client_id: string; client_secret?: string }, refreshToken: string, extra: Record<string, string | undefined> = {}): Promise<Answer> {
  return token(issuer, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: client.client_id, client_secret: client.client_secret, ...extra });
}

/** RFC 7009 revocation. */
export async function revoke(issuer: string, client: { client_id: string; client_secret?: string }, value: string, hint?: string): Promise<Answer> {
  const body = new URLSearchParams({ token: value, client_id: client.client_id, ...(hint ? { token_type_hint: hint } : {}), ...(client.client_secret ? { client_secret: client.client_secret } : {}) });
  return answer(await fetch(`${issuer}/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }));
}

/** The tokens of a successful grant. */
export interface Tokens { access_token: string; refresh_token: string; token_type: string; expires_in: number; scope?: string }

/** Fails the test unless the answer is a token response. */
export function tokensOf(a: Answer): Tokens {
  if (a.status !== 200 || typeof a.json?.access_token !== 'string') throw new Error(`no tokens (${a.status}): ${JSON.stringify(a.json)}`);
  return a.json as Tokens;
}

/** A JWT's payload, unverified (what the test wants to read, not trust). */
export function claimsOf(jwt: string): Record<string, any> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
}

/**
 * One MCP `initialize` with this bearer token: 200 while the token is honoured, else the
 * status and the challenge. The session it opens is closed again.
 */
export async function mcpCall(url: string, accessToken: string): Promise<{ status: number; challenge: string | null; json: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'hand-made', version: '1' } } }),
  });
  const session = res.headers.get('mcp-session-id');
  const a = await answer(res);
  if (session) await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${accessToken}`, 'mcp-session-id': session } }).then((r) => r.arrayBuffer(), () => {});
  return { status: a.status, challenge: a.headers.get('www-authenticate'), json: a.json };
}

export interface SignedInByHand {
  client: RegisteredClient;
  browser: Browser;
  authorization: Authorization;
  tokens: Tokens;
}

/**
 * The whole flow by hand: register a public client for `redirectUri` (unless one is given), sign
 * in as `person` for `resource`, exchange the code. Fails the test if any step is refused.
 */
export async function signInByHand(issuer: string, person: Person, o: { resource?: string; redirectUri?: string; client?: RegisteredClient; browser?: Browser; scope?: string }): Promise<SignedInByHand> {
  const redirectUri = o.redirectUri ?? 'http://127.0.0.1:3334/oauth/callback';
  const client = o.client ?? await registerClient(issuer, { redirect_uris: [redirectUri] });
  const browser = o.browser ?? new Browser();
  const authorization = await authorize(issuer, browser, person, { client, redirectUri, resource: o.resource, scope: o.scope });
  const tokens = tokensOf(await exchange(issuer, client, authorization, { resource: o.resource }));
  return { client, browser, authorization, tokens };
}

/** Signs claims as our authorization server would, with its current key from the SecretStore. */
export async function signWithOurKey(secrets: SecretStore, claims: jose.JWTPayload): Promise<string> {
  const [key] = JSON.parse((await secrets.get('auth.signing-keys'))!) as jose.JWK[];
  return new jose.SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key!.kid }).sign(await jose.importJWK(key!, 'ES256'));
}

export { freePort } from './processes.ts';
