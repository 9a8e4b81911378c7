// Admin routes for sign-in settings: the `access` config with secrets shown only as references
// (and whether a value is stored), saving it (plain client secrets go to the SecretStore, the
// config keeps a reference), and a check of the configured IdP that says what is wrong.
import { z } from 'zod';
import { ConfigError, parseConfig } from '../config/load.ts';
import { loginRedirectUris } from '../identity/login-provider.ts';
import type { Publisher } from '../publisher.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import { TestSignInRequest, type AccessView, type SecretRefView, type TestSignInResult } from './api.ts';
import { AdminError, type AdminDeps, type Routes } from './routing.ts';
import { accessListProblems } from './problem-words.ts';

/** Where a plain client secret goes when the config names no key yet (DESIGN §3's example name). */
const DEFAULT_SECRET_KEYS = { oidc: 'oidc-client-secret', github: 'github-client-secret' } as const;
const DISCOVERY_TIMEOUT_MS = 10_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

async function isSet(secrets: SecretStore | undefined, key: string): Promise<boolean> {
  // list() never reads values (a keychain may ask the user before handing one out).
  return secrets ? (await secrets.list(key)).includes(key) : false;
}

/** The issuer the redirect URIs hang off: the public URL when published, else the local one. */
function currentIssuer(p: Publisher): string {
  return p.issuer ?? p.status().gatewayUrl ?? 'http://127.0.0.1';
}

export async function accessView(p: Publisher, secrets: SecretStore | undefined): Promise<AccessView> {
  const access = p.currentConfig.access;
  const ref = async (r: { keychain: string }): Promise<SecretRefView> => ({ keychain: r.keychain, set: await isSet(secrets, r.keychain) });
  const { oidc, github } = access.login;
  return {
    ...access,
    login: {
      local: access.login.local,
      oidc: oidc ? { ...oidc, clientSecret: oidc.clientSecret ? await ref(oidc.clientSecret) : undefined } : null,
      github: github ? { ...github, clientSecret: await ref(github.clientSecret) } : null,
    },
    redirectUris: loginRedirectUris(currentIssuer(p)),
  };
}

export function accessRoutes(deps: AdminDeps): Routes {
  const { publisher, secrets } = deps;
  return {
    'GET /api/access': async () => accessView(publisher, secrets),

    'PUT /api/access': async ({ body }) => {
      const { redirectUris: _shown, ...access } = await body(z.record(z.string(), z.unknown()));
      // An entry that is not an email (or a domain) can never match anyone: refused, beside its field.
      const listProblems = accessListProblems(access);
      const before = publisher.currentConfig.access;
      let secretsSet = 0;
      if (listProblems.length) throw new ConfigError('invalid_config', undefined, listProblems);
      await deps.config.edit(async (raw) => {
        const current = publisher.currentConfig.access.login;
        const writes: [string, string][] = [];
        const login = isObject(access.login) ? { ...access.login } : access.login;
        for (const provider of ['oidc', 'github'] as const) {
          if (!isObject(login) || !isObject(login[provider])) continue;
          const entry = { ...login[provider] };
          const secret = entry.clientSecret;
          const at = `access.login.${provider}.clientSecret`;
          if (typeof secret === 'string') {
            if (!secret) throw new ConfigError('invalid_config', undefined, [{ path: at, reason: 'empty: give the client secret, or leave it out' }]);
            const key = current[provider]?.clientSecret?.keychain ?? DEFAULT_SECRET_KEYS[provider];
            writes.push([key, secret]);
            entry.clientSecret = { keychain: key };
          } else if (isObject(secret)) {
            const { set: _set, ...reference } = secret; // as GET shows it
            entry.clientSecret = reference;
          }
          login[provider] = entry;
        }
        raw.access = { ...access, login };
        // Validate before any secret is stored: an invalid config changes nothing.
        const next = parseConfig(raw).access.login;
        for (const provider of ['oidc', 'github'] as const) {
          const key = next[provider]?.clientSecret?.keychain;
          if (key && !writes.some(([k]) => k === key) && !(await isSet(secrets, key))) {
            throw new ConfigError('invalid_config', undefined, [{ path: `access.login.${provider}.clientSecret`, reason: `no secret is stored under "${key}": give its value` }]);
          }
        }
        if (writes.length && !secrets) throw new AdminError(500, 'internal', 'there is no secret store to keep the client secret in');
        for (const [key, value] of writes) await secrets!.set(key, value);
        secretsSet = writes.length;
      });
      deps.logger.info('owner saved the sign-in settings');
      // Which parts changed, by name: never a value (a list may be private, a secret is secret).
      const after = publisher.currentConfig.access as Record<string, unknown>;
      const changed = Object.keys({ ...before, ...after }).filter((k) => JSON.stringify((before as Record<string, unknown>)[k]) !== JSON.stringify(after[k]));
      deps.activity.recordOwnerAction({ action: 'access.changed', detail: [...changed, ...(secretsSet ? ['client secret'] : [])].join(', ') || 'no change' });
      return accessView(publisher, secrets);
    },

    'POST /api/access/test-sign-in': async ({ body }) => {
      const request = await body(TestSignInRequest);
      const started = Date.now();
      const result = request.provider === 'oidc' ? await testOidc(publisher, secrets, request.issuer) : await testGithub(publisher, secrets);
      return { ...result, ms: Date.now() - started };
    },
  };
}

type Checked = Omit<TestSignInResult, 'ms'>;

function publishNote(p: Publisher, uri: string): string[] {
  if (p.status().publicUrl) return [];
  return [`${uri} is this computer's local address: people elsewhere sign in through the public URL, so once published register ${uri.replace(/^https?:\/\/[^/]+/, '<public URL>')} (a stable public URL means registering it once)`];
}

async function testOidc(p: Publisher, secrets: SecretStore | undefined, override?: string): Promise<Checked> {
  const oidc = p.currentConfig.access.login.oidc;
  const redirectUri = loginRedirectUris(currentIssuer(p)).oidc;
  const problems: string[] = [];
  const notes = publishNote(p, redirectUri);
  const issuer = (override ?? oidc?.issuer)?.replace(/\/+$/, '');
  const done = (extra: Pick<Checked, 'endpoints'> = {}): Checked => ({ ok: problems.length === 0, provider: 'oidc', issuer, redirectUri, problems, notes, ...extra });
  if (!issuer) {
    problems.push('OIDC sign-in is not set up: give the issuer URL and the client id first');
    return done();
  }
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    problems.push(`"${issuer}" is not a URL: the issuer looks like https://accounts.google.com`);
    return done();
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    problems.push(`the issuer must start with https:// (http:// only for 127.0.0.1 or localhost): ${issuer}`);
    return done();
  }
  if (!override && oidc?.clientSecret && !(await isSet(secrets, oidc.clientSecret.keychain))) {
    problems.push(`the client secret is not stored (key "${oidc.clientSecret.keychain}"): enter it again`);
  }
  // OIDC Discovery §4: the issuer, then /.well-known/openid-configuration.
  const discovery = `${issuer}/.well-known/openid-configuration`;
  let res: Response;
  try {
    res = await fetch(discovery, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS), headers: { accept: 'application/json' } });
  } catch (e) {
    problems.push(unreachable(url.host, e));
    return done();
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    problems.push(`${url.host} answered HTTP ${res.status} for ${discovery}: the issuer URL is probably not quite right (Google: https://accounts.google.com, Entra ID: https://login.microsoftonline.com/<tenant id>/v2.0, Okta: https://<org>.okta.com)`);
    return done();
  }
  let md: Record<string, unknown>;
  try {
    const json = await res.json() as unknown;
    if (!isObject(json)) throw new Error('not an object');
    md = json;
  } catch {
    problems.push(`${discovery} is not a JSON discovery document: is this the IdP's issuer URL?`);
    return done();
  }
  // OIDC Discovery §4.3: the issuer in the document must be identical to the one used.
  if (md.issuer !== issuer) problems.push(`the IdP calls itself "${String(md.issuer)}", not "${issuer}": use exactly "${String(md.issuer)}" as the issuer`);
  if (typeof md.authorization_endpoint !== 'string') problems.push('the discovery document has no authorization_endpoint');
  if (typeof md.token_endpoint !== 'string') problems.push('the discovery document has no token_endpoint');
  const responseTypes = md.response_types_supported;
  if (Array.isArray(responseTypes) && !responseTypes.includes('code')) problems.push('the IdP does not offer the authorization code flow (response type "code")');
  const pkce = md.code_challenge_methods_supported;
  if (Array.isArray(pkce) && !pkce.includes('S256')) problems.push('the IdP does not support PKCE with S256, which sign-in requires');
  if (pkce === undefined) notes.push('the IdP does not say whether it supports PKCE; sign-in uses it anyway (most IdPs accept it)');
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return done({ endpoints: { authorization: str(md.authorization_endpoint), token: str(md.token_endpoint), jwks: str(md.jwks_uri), userinfo: str(md.userinfo_endpoint) } });
}

function unreachable(host: string, e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const code = err.cause?.code ?? (err.name === 'TimeoutError' ? 'TIMEOUT' : undefined);
  switch (code) {
    case 'ENOTFOUND': case 'EAI_AGAIN': return `${host} was not found (DNS): check the issuer URL, and that this computer is online`;
    case 'ECONNREFUSED': return `nothing answers at ${host}: check the issuer URL (and the port)`;
    case 'TIMEOUT': case 'UND_ERR_CONNECT_TIMEOUT': return `${host} did not answer within ${DISCOVERY_TIMEOUT_MS / 1000} s`;
    case 'CERT_HAS_EXPIRED': case 'DEPTH_ZERO_SELF_SIGNED_CERT': case 'SELF_SIGNED_CERT_IN_CHAIN': case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE': case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `the TLS certificate of ${host} is not trusted (${code})`;
    default: return `cannot reach ${host}: ${err.cause?.message ?? err.message}`;
  }
}

async function testGithub(p: Publisher, secrets: SecretStore | undefined): Promise<Checked> {
  const github = p.currentConfig.access.login.github;
  const redirectUri = loginRedirectUris(currentIssuer(p)).github;
  const problems: string[] = [];
  const notes = [`a GitHub OAuth app has one callback URL: set it to ${redirectUri}`, ...publishNote(p, redirectUri)];
  if (!github) problems.push('GitHub sign-in is not set up: give the OAuth app\'s client id and secret first');
  else if (!(await isSet(secrets, github.clientSecret.keychain))) problems.push(`the client secret is not stored (key "${github.clientSecret.keychain}"): enter it again`);
  return { ok: problems.length === 0, provider: 'github', issuer: github?.baseUrl, redirectUri, problems, notes };
}
