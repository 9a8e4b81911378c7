// Our OAuth 2.1 authorization server (DESIGN §4): oidc-provider configured for the MCP profile
// — open DCR and client ID metadata documents, PKCE S256 only, resource indicators with ES256
// JWT access tokens bound to one server, rotating refresh tokens, revocation — persisted in our
// state store, its interactions on our pages, mounted in the gateway's express app.
import './quiet-runtime-warning.ts';
import type { IncomingMessage } from 'node:http';
import express, { type Express } from 'express';
import Provider, { errors, interactionPolicy } from 'oidc-provider';
import type { Logger } from '../logging/logger.ts';
import type { StateStore } from '../state/state-store.ts';
import type { ServerConfig } from '../config/schema.ts';
import type { UserDirectory } from '../identity/users.ts';
import { stateStoreAdapter } from './oidc-adapter.ts';
import { revokeGrant } from './revocation.ts';
import { grantKey } from './bearer.ts';
import { publicJwks, type AuthKeys } from './keys.ts';
import { OIDC_SCOPES, RESOURCE_SCOPE, normalizeClientMetadata, plainHttpRedirect, resolvesToPublicAddresses } from './client-metadata.ts';
import { canonicalResource, mountResourceMetadata, resourceUrl, serverOfResource } from './resources.ts';
import { LIMITS, RateLimiter, clientAddress, tooMany } from './rate-limit.ts';
import { LoginGuard } from './login-guard.ts';
import { SignInError, sendSignInError, signInErrorHandler } from './page-errors.ts';
import { errorPage } from './pages.ts';
import { fieldsOf, mountInteractions, type InteractionDeps } from './interactions.ts';
import { mountInvitePages } from './invite-pages.ts';

export interface TokenLifetimes {
  /** Access tokens; default 1 hour. Longer helps clients that never refresh, at the cost of slower expiry (revocation stays instant). */
  accessTokenSeconds: number;
  /** Refresh tokens, renewed at each rotation; default 30 days. */
  refreshTokenSeconds: number;
}

export interface AuthServerOptions extends Omit<InteractionDeps, 'provider' | 'issuer' | 'serverOf' | 'servers' | 'clientAddress' | 'guard'> {
  /** The public origin, path-less, byte-identical everywhere it appears. */
  issuer: string;
  state: StateStore;
  keys: AuthKeys;
  logger: Logger;
  users: UserDirectory;
  /** The servers being published (enabled ones). */
  servers: () => Record<string, ServerConfig>;
  lifetimes: TokenLifetimes;
  /** TEST ONLY: answers fetches of client ID metadata documents (oidc-provider only fetches https). */
  fetchOverride?: (url: string) => Response | undefined;
  /** TEST ONLY: lets a client ID metadata document on a loopback address be fetched. */
  allowPrivateMetadataDocuments?: boolean;
}

export class AuthorizationServer {
  readonly provider: any;
  readonly app: Express;
  readonly issuer: string;
  private readonly limiter = new RateLimiter();
  private readonly guard: LoginGuard;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly o: AuthServerOptions) {
    this.issuer = o.issuer.replace(/\/+$/, '');
    const issuer = this.issuer;
    const names = () => Object.keys(o.servers());
    const serverOf = (indicator: string | undefined) => (indicator ? serverOfResource(issuer, indicator, names()) : undefined);
    this.provider = new Provider(issuer, this.configuration(serverOf));
    // We sit behind the tunnel; oidc-provider builds endpoint URLs from X-Forwarded-*, pinned below.
    this.provider.proxy = true;
    this.provider.on('server_error', (_ctx: unknown, e: Error) => o.logger.error({ err: e.message }, 'authorization server error'));
    this.provider.on('grant.revoked', (_ctx: unknown, grantId: string) => o.logger.info({ grantId }, 'grant revoked'));
    // Requests with no scope (the conformance suite, ChatGPT reconnecting) or only scopes we do
    // not serve ("profile email") still end with our resource scope granted.
    this.provider.use(async (ctx: any, next: () => Promise<void>) => {
      if (ctx.method === 'GET' && ctx.path === '/authorize' && typeof ctx.query.scope !== 'object') {
        const scopes = new Set(String(ctx.query.scope ?? '').split(' ').filter(Boolean));
        scopes.add(RESOURCE_SCOPE);
        ctx.query = { ...ctx.query, scope: [...scopes].join(' ') };
      }
      await next();
    });

    // Through the tunnel (or the owner's reverse proxy) people reach us from loopback; their own
    // address is in X-Forwarded-For, trusted only then (rate-limit.ts).
    const published = !/^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(issuer);
    const address = (req: IncomingMessage) => clientAddress(req, published);
    this.guard = new LoginGuard({ keys: o.keys.cookies, secure: issuer.startsWith('https:') });

    const app = express();
    app.disable('x-powered-by');
    // Never development mode: express's fallback error pages would show stacks (we answer errors
    // ourselves, last in line, but this is the belt to those braces).
    app.set('env', 'production');
    // Browser-based clients (the Inspector, web IDEs) register from a page; oidc-provider answers
    // CORS on its other endpoints but not on registration, which is open and takes no credentials.
    // Before the rate limits, so a 429 is readable by the page too.
    app.use((req, res, next) => {
      if (req.path !== '/register') return next();
      res.set('access-control-allow-origin', '*');
      if (req.method !== 'OPTIONS') return next();
      res.set('access-control-allow-methods', 'POST').set('access-control-allow-headers', req.headers['access-control-request-headers'] ?? 'content-type').set('access-control-max-age', '3600');
      res.status(204).end();
    });
    app.use((req, res, next) => {
      // Rate limits per client address on the sign-in endpoints (DESIGN §6).
      const p = req.path;
      const rule = p === '/authorize' ? LIMITS.authorize : p === '/token' ? LIMITS.token : p === '/register' ? LIMITS.register
        : req.method === 'POST' && /^\/interaction\/[^/]+\/login$/.test(p) ? LIMITS.login : undefined;
      if (rule) {
        const r = this.limiter.take(rule, address(req));
        if (!r.ok) {
          // Programs get the OAuth-style JSON; a person at a browser gets a page with the wait.
          if (rule === LIMITS.token || rule === LIMITS.register) return tooMany(res, r.retryAfterSeconds);
          return sendSignInError(res, new SignInError('too_many_requests', 'Too many attempts from your address.', { expose: true, retryAfterSeconds: r.retryAfterSeconds }));
        }
      }
      next();
    });
    mountResourceMetadata(app, issuer, o.servers);
    mountInteractions(app, { ...o, provider: this.provider, issuer, serverOf, servers: o.servers, clientAddress: address, guard: this.guard });
    mountInvitePages(app, o.local);
    // oidc-provider builds its metadata's endpoint URLs from the request: pin them to the issuer
    // so a forged Host or X-Forwarded-Host cannot change what we advertise.
    const pinned = new URL(issuer);
    app.use((req, _res, next) => {
      req.headers['x-forwarded-host'] = pinned.host;
      req.headers['x-forwarded-proto'] = pinned.protocol.slice(0, -1);
      next();
    });
    // Last, at the root, with no body parser before it: /.well-known/{openid-configuration,
    // oauth-authorization-server}, /authorize, /token, /register, /revoke, /jwks.
    app.use(this.provider.callback());
    // Whatever went wrong before oidc-provider (which answers its own errors): a page, never a stack.
    app.use(signInErrorHandler(o.logger));
    this.app = app;

    // Claude registers a client on every fresh connection: drop registrations that never led to
    // a grant after a day.
    this.sweeper = setInterval(() => { void this.sweepClients(); }, 60 * 60_000);
    this.sweeper.unref();
  }

  private configuration(serverOf: (indicator: string | undefined) => string | undefined): Record<string, unknown> {
    const { o, issuer } = this;
    const base = interactionPolicy.base();
    const { Prompt, Check } = interactionPolicy;
    // login → policy (allow-list, owner approval) → consent → setup (per-user env).
    base.add(new Prompt({ name: 'policy', requestable: false },
      (ctx: any) => ({ status: o.users.get(ctx.oidc.session.accountId)?.status }),
      new Check('access_not_allowed', 'the owner has not allowed this user', 'access_denied',
        (ctx: any) => o.users.get(ctx.oidc.session.accountId)?.status !== 'allowed')), 1);
    base.add(new Prompt({ name: 'setup', requestable: false },
      (ctx: any) => ({ server: serverOf(Object.keys(ctx.oidc.resourceServers ?? {})[0]) }),
      new Check('user_env_missing', 'per-user settings for this server are missing', async (ctx: any) => {
        const server = serverOf(Object.keys(ctx.oidc.resourceServers ?? {})[0]);
        const fields = fieldsOf(server ? o.servers()[server] : undefined);
        return fields.length > 0 && (await o.userEnv.missing(server!, ctx.oidc.session.accountId, fields)).length > 0;
      })));

    const servers = () => Object.keys(o.servers());
    return {
      adapter: stateStoreAdapter(o.state, {
        // Two requests with one code or refresh token at once: the loser is a reuse (RFC 9700 §4.14.2).
        async reused(model, grantId) {
          if (grantId) await revokeGrant(o.state, grantKey(grantId));
          throw new errors.InvalidGrant(model === 'RefreshToken' ? 'refresh token already used' : 'authorization code already used');
        },
      }),
      jwks: { keys: o.keys.signing },
      cookies: {
        keys: o.keys.cookies,
        names: { session: '_mcpp_session', interaction: '_mcpp_interaction', resume: '_mcpp_resume' },
        long: { httpOnly: true, sameSite: 'lax' }, short: { httpOnly: true, sameSite: 'lax' },
      },
      routes: { authorization: '/authorize', token: '/token', registration: '/register', revocation: '/revoke', jwks: '/jwks' },
      scopes: OIDC_SCOPES,
      claims: { openid: ['sub'] },
      responseTypes: ['code'],
      clientAuthMethods: ['none', 'client_secret_post', 'client_secret_basic'],
      clientDefaults: {
        grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic', id_token_signed_response_alg: 'ES256',
        application_type: null,
      },
      extraClientMetadata: {
        properties: ['application_type'],
        validator(_ctx: unknown, key: string, _value: unknown, md: Record<string, unknown>) {
          if (key !== 'application_type') return;
          const plain = plainHttpRedirect(md);
          if (plain) throw new errors.InvalidClientMetadata(`redirect_uris must use https, or http only to a loopback address (${plain})`);
          normalizeClientMetadata(md);
        },
      },
      pkce: { required: () => true },
      features: {
        devInteractions: { enabled: false },
        userinfo: { enabled: false },
        rpInitiatedLogout: { enabled: false },
        registration: { enabled: true, initialAccessToken: false, issueRegistrationAccessToken: false },
        revocation: { enabled: true, allowedPolicy: async (_ctx: unknown, client: any, token: any) => token.clientId === client.clientId },
        resourceIndicators: {
          enabled: true,
          useGrantedResource: async () => true,
          async defaultResource(_ctx: unknown, _client: unknown, oneOf?: string[]) {
            if (oneOf) return oneOf;
            const list = servers();
            if (list.length === 1) return resourceUrl(issuer, list[0]!);
            throw new errors.InvalidTarget(`the resource parameter is required: name one of ${list.map((s) => resourceUrl(issuer, s)).join(', ')}`);
          },
          async getResourceServerInfo(_ctx: unknown, indicator: string) {
            const server = serverOf(indicator);
            if (!server) throw new errors.InvalidTarget(`${indicator} is not a server published here`);
            return {
              scope: RESOURCE_SCOPE,
              // aud is always the canonical URL, however the client spelled it.
              audience: canonicalResource(resourceUrl(issuer, server)),
              accessTokenFormat: 'jwt',
              accessTokenTTL: o.lifetimes.accessTokenSeconds,
              jwt: { sign: { alg: 'ES256' } },
            };
          },
        },
        clientIdMetadataDocument: {
          enabled: true, ack: 'draft-02',
          // SSRF: only documents on public addresses (oidc-provider re-checks after connecting).
          allowFetch: async (_ctx: unknown, clientId: string) => o.allowPrivateMetadataDocuments || resolvesToPublicAddresses(new URL(clientId).hostname),
          allowClient: async () => true,
          cacheDuration: { min: 300, max: 86_400 },
        },
      },
      fetch: async (url: string | URL, options: RequestInit) => o.fetchOverride?.(String(url)) ?? globalThis.fetch(url, options),
      fetchResponseBodyLimits: { 'client_id metadata document': 5 * 1024, jwks_uri: 64 * 1024, sector_identifier_uri: 64 * 1024 },
      extraTokenClaims: async (_ctx: unknown, token: any) => ({ grant_id: token.grantId }),
      issueRefreshToken: async (_ctx: unknown, client: any) => client.grantTypeAllowed('refresh_token'),
      expiresWithSession: async () => false,
      // Called before the refresh token rotates: refuse a resource the grant does not cover here,
      // so a refused refresh (RFC 8707 §2.2, invalid_target) does not use up the client's token
      // (oidc-provider checks the resource only after rotating; the retry would count as reuse).
      rotateRefreshToken: (ctx: any) => {
        const requested: string[] = [ctx.oidc.params.resource ?? []].flat();
        const granted: Set<string> | undefined = ctx.oidc.entities.RefreshToken?.resourceIndicators;
        if (granted && requested.some((r) => !granted.has(r))) throw new errors.InvalidTarget('the refresh token was not issued for this resource');
        return true;
      },
      ttl: {
        AccessToken: (_ctx: unknown, token: any) => token.resourceServer?.accessTokenTTL ?? o.lifetimes.accessTokenSeconds,
        AuthorizationCode: 60,
        RefreshToken: o.lifetimes.refreshTokenSeconds,
        IdToken: 3600, Interaction: 3600, Session: 14 * 24 * 3600, Grant: 365 * 24 * 3600,
        ClientCredentials: 600, DeviceCode: 600, BackchannelAuthenticationRequest: 600, PreAuthorizedCode: 600,
      },
      interactions: { url: async (_ctx: unknown, interaction: any) => `/interaction/${interaction.uid}`, policy: base },
      async findAccount(_ctx: unknown, sub: string) {
        const user = o.users.get(sub);
        // A removed or denied user can no longer exchange codes or refresh tokens.
        if (!user || user.status === 'removed' || user.status === 'denied') return undefined;
        return { accountId: sub, claims: async () => ({ sub }) };
      },
      clientBasedCORS(_ctx: unknown, origin: string, client: any) {
        if (origin === 'null') return false;
        return client.clientAuthMethod === 'none' || client.redirectUris.some((u: string) => { try { return new URL(u).origin === origin; } catch { return false; } });
      },
      async renderError(ctx: any, out: Record<string, string>) {
        ctx.type = 'html';
        ctx.body = errorPage('Sign-in failed', `${out.error}: ${out.error_description ?? ''}`).html;
      },
    };
  }

  /** Deletes dynamically registered clients that are over a day old and never got a grant. */
  async sweepClients(now = Date.now()): Promise<number> {
    const clients = await this.o.state.list<Record<string, unknown>>('oidc.Client');
    const grants = await this.o.state.list<{ clientId?: string }>('oidc.Grant');
    const used = new Set(grants.map((g) => g.value.clientId));
    let n = 0;
    for (const c of clients) {
      const issuedAt = Number(c.value.client_id_issued_at ?? 0) * 1000;
      if (!used.has(String(c.value.client_id)) && issuedAt && now - issuedAt > 24 * 3600_000) {
        await this.o.state.delete('oidc.Client', c.id);
        n++;
      }
    }
    return n;
  }

  close(): void {
    clearInterval(this.sweeper);
    this.limiter.close();
    this.guard.close();
  }
}
