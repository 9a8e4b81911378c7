// Sign-in through any OpenID Connect issuer (DESIGN §4 step 3) with openid-client: discovery,
// authorization code + PKCE S256, state and nonce, a validated ID token, userinfo when the ID
// token lacks a claim we need. The IdP's tokens are used once here and never kept or passed on.
import * as client from 'openid-client';
import type { Logger } from '../logging/logger.ts';
import { LoginError } from './login-error.ts';
import { callbackParams, checkState, type LoginProvider, type LoginStart, type PendingLogin } from './login-provider.ts';
import type { LoginProfile } from './profile.ts';

export interface OidcLoginOptions {
  /** The issuer URL. http:// is accepted only for loopback hosts (tests, a local Keycloak). */
  issuer: string;
  clientId: string;
  /** Resolved from the SecretStore by the caller; absent for a public client. */
  clientSecret?: string;
  /** Claim whose value becomes the profile's email; default "email". */
  identityClaim?: string;
  /** Claim holding groups (array, or a space- or comma-separated string); default "groups". */
  groupsClaim?: string;
  /** Scopes; default openid email profile ("openid" is added when missing). */
  scopes?: string[];
  /** Count the identity claim as verified without `email_verified: true`; default false. */
  trustEmails?: boolean;
  /** Button text; default "Sign in with <issuer host>". */
  label?: string;
  /** Seconds for each request to the IdP; default 30. */
  timeoutSeconds?: number;
  logger?: Logger;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export class OidcLogin implements LoginProvider {
  readonly id = 'oidc' as const;
  readonly label: string;
  readonly #options: OidcLoginOptions;
  readonly #issuer: URL;
  readonly #insecure: boolean;
  readonly #identityClaim: string;
  readonly #groupsClaim: string;
  readonly #scope: string;
  #config: Promise<client.Configuration> | undefined;

  /** Throws `LoginError` `misconfigured` for an issuer that is not a URL or is http:// off loopback. */
  constructor(options: OidcLoginOptions) {
    this.#options = options;
    let issuer: URL;
    try {
      issuer = new URL(options.issuer);
    } catch (e) {
      throw new LoginError('oidc', 'misconfigured', `the OIDC issuer ${JSON.stringify(options.issuer)} is not a URL`, { cause: e });
    }
    this.#insecure = issuer.protocol === 'http:' && LOOPBACK.has(issuer.hostname);
    if (issuer.protocol !== 'https:' && !this.#insecure) {
      throw new LoginError('oidc', 'misconfigured', `the OIDC issuer must be https:// (http:// only on 127.0.0.1 or localhost): ${options.issuer}`);
    }
    this.#issuer = issuer;
    this.#identityClaim = options.identityClaim ?? 'email';
    this.#groupsClaim = options.groupsClaim ?? 'groups';
    const scopes = options.scopes ?? ['openid', 'email', 'profile'];
    this.#scope = (scopes.includes('openid') ? scopes : ['openid', ...scopes]).join(' ');
    this.label = options.label ?? `Sign in with ${issuer.host}`;
  }

  async start(redirectUri: string): Promise<LoginStart> {
    const config = await this.#configuration();
    const codeVerifier = client.randomPKCECodeVerifier();
    const pending: PendingLogin = {
      provider: 'oidc', state: client.randomState(), nonce: client.randomNonce(), codeVerifier, redirectUri, createdAt: Date.now(),
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: this.#scope,
      state: pending.state,
      nonce: pending.nonce!,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url, pending };
  }

  async finish(callback: URL | URLSearchParams, pending: PendingLogin): Promise<LoginProfile> {
    const params = callbackParams(callback);
    checkState('oidc', params, pending);
    const config = await this.#configuration();
    // The token request repeats the redirect URI sent at start, not whatever host served the callback.
    const current = new URL(pending.redirectUri);
    current.search = params.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true,
      });
    } catch (e) {
      throw grantError(e);
    }
    const idClaims = tokens.claims();
    if (!idClaims) throw new LoginError('oidc', 'id_token_invalid', 'the IdP returned no ID token');
    let claims: Record<string, unknown> = { ...idClaims };
    const needed = [this.#identityClaim, this.#groupsClaim, 'name'];
    if (needed.some((c) => claims[c] === undefined) && config.serverMetadata().userinfo_endpoint) {
      try {
        const userinfo = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
        claims = { ...userinfo, ...claims }; // the signed ID token wins where both speak
      } catch (e) {
        throw new LoginError('oidc', 'userinfo_failed', `the IdP's userinfo endpoint failed: ${(e as Error).message}`, { cause: e, ...fields(e) });
      }
    }
    return this.#profile(idClaims.sub, claims);
  }

  #profile(subject: string, claims: Record<string, unknown>): LoginProfile {
    const identity = claims[this.#identityClaim];
    if (typeof identity !== 'string' || identity === '') {
      throw new LoginError('oidc', 'missing_claim', `Your account at ${this.#issuer.host} did not share a "${this.#identityClaim}" value, so you cannot be let in. The owner may need to adjust the sign-in settings.`);
    }
    const profile: LoginProfile = { provider: 'oidc', subject, email: identity, groups: groupsOf(claims[this.#groupsClaim]) };
    const verified = this.#options.trustEmails ? true : identity === claims.email ? booleanClaim(claims.email_verified) : undefined;
    if (verified !== undefined) profile.emailVerified = verified;
    const name = stringClaim(claims.name) ?? ([stringClaim(claims.given_name), stringClaim(claims.family_name)].filter(Boolean).join(' ') || stringClaim(claims.preferred_username));
    if (name) profile.name = name;
    return profile;
  }

  /** Discovery once, retried on the next call after a failure. */
  #configuration(): Promise<client.Configuration> {
    this.#config ??= this.#discover().catch((e: unknown) => {
      this.#config = undefined;
      throw e;
    });
    return this.#config;
  }

  async #discover(): Promise<client.Configuration> {
    const timeout = this.#options.timeoutSeconds ?? 30;
    const execute = this.#insecure ? [client.allowInsecureRequests] : [];
    let discovered: client.Configuration;
    try {
      discovered = await client.discovery(this.#issuer, this.#options.clientId, undefined, client.None(), { execute, timeout });
    } catch (e) {
      this.#options.logger?.warn({ err: e, issuer: this.#issuer.href }, 'OIDC discovery failed');
      throw new LoginError('oidc', 'discovery_failed', `cannot read the OIDC metadata of ${this.#issuer.href}: ${(e as Error).message}`, { cause: e, ...fields(e) });
    }
    const server = discovered.serverMetadata();
    const secret = this.#options.clientSecret;
    // OIDC Discovery §3: an absent list means client_secret_basic.
    const methods = server.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
    const auth = secret === undefined ? client.None()
      : methods.includes('client_secret_basic') ? client.ClientSecretBasic(secret) : client.ClientSecretPost(secret);
    const config = new client.Configuration(server, this.#options.clientId, secret, auth);
    config.timeout = timeout;
    if (this.#insecure) client.allowInsecureRequests(config);
    // Verify the ID token's signature against the IdP's keys too, not only its claims.
    client.enableNonRepudiationChecks(config);
    return config;
  }
}

/** Sorts an openid-client failure of the code exchange into our codes. */
function grantError(e: unknown): LoginError {
  if (e instanceof client.AuthorizationResponseError) {
    return new LoginError('oidc', 'idp_error', `The sign-in was not completed: ${e.error_description ?? e.error}.`, { cause: e, ...fields(e) });
  }
  if (e instanceof client.ResponseBodyError) {
    return new LoginError('oidc', 'token_exchange_failed', `the IdP refused the code: ${e.error}${e.error_description ? ` (${e.error_description})` : ''}`, { cause: e, ...fields(e) });
  }
  // openid-client wraps oauth4webapi's error (the one that names the claim) as `cause`.
  const inner = e instanceof Error && e.cause instanceof Error ? e.cause : e;
  const code = String((e as { code?: unknown }).code ?? '');
  const message = inner instanceof Error ? inner.message : String(inner);
  if (ID_TOKEN_CODES.has(code) || /ID Token|id_token|JWT/.test(message)) {
    return new LoginError('oidc', 'id_token_invalid', `the IdP's ID token is not valid: ${message}`, { cause: e });
  }
  return new LoginError('oidc', 'token_exchange_failed', `the code exchange failed: ${message}`, { cause: e });
}

/** oauth4webapi codes of a failed ID token check (claims, time, key). */
const ID_TOKEN_CODES = new Set(['OAUTH_JWT_CLAIM_COMPARISON_FAILED', 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED', 'OAUTH_KEY_SELECTION_FAILED']);

/** The RFC 6749 fields of an openid-client error, when it has them. */
function fields(e: unknown): { error?: string; errorDescription?: string; status?: number } {
  const out: { error?: string; errorDescription?: string; status?: number } = {};
  if (e instanceof client.ResponseBodyError || e instanceof client.AuthorizationResponseError) {
    out.error = e.error;
    if (e.error_description !== undefined) out.errorDescription = e.error_description;
  }
  if (e instanceof client.ResponseBodyError) out.status = e.status;
  return out;
}

/** Groups as an array of strings, whether the IdP sends an array or a delimited string. */
export function groupsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string' && g !== '');
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  return [];
}

/** `true`/`false` also as strings (some IdPs, e.g. Cognito, send "true"); undefined otherwise. */
function booleanClaim(value: unknown): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
