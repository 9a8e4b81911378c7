// The upstream identity provider of the tests (DESIGN §9): a real oidc-provider on 127.0.0.1
// with a few users and one registered client, plain sign-in forms of its own, and a helper that
// signs in the way a browser would (fetch, manual redirects, a cookie jar).
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { exportJWK, generateKeyPair } from 'jose';

export interface IdpUser {
  /** The account id, which is also the `sub`. */
  id: string;
  /** What the login form takes as the user name. */
  username: string;
  password: string;
  email?: string;
  emailVerified?: boolean;
  name?: string;
  groups?: string[];
}

export interface IdpOptions {
  users: IdpUser[];
  /** Redirect URIs of the registered client. */
  redirectUris: string[];
  /** Put the scopes' claims into the ID token as well (default: userinfo only, as OIDC Core §5.4 has it). */
  claimsInIdToken?: boolean;
  /** The only token endpoint client authentication the IdP takes; default client_secret_basic. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
}

export interface TestIdp {
  /** http://127.0.0.1:<port> */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Paths the IdP was asked for, in order (e.g. to see whether userinfo was called). */
  readonly requests: string[];
  /** How the client authenticated at each token request. */
  readonly tokenAuth: ('basic' | 'post')[];
  /**
   * Signs in as a browser would: opens `authorizationUrl`, submits the login form with the
   * user name and password, passes consent, and stops at the redirect back to one of the
   * client's redirect URIs, which it returns (the callback URL with `code` and `state`).
   * Rejects when the IdP refuses the login or the flow goes elsewhere.
   */
  login(authorizationUrl: URL, username: string, password: string): Promise<URL>;
  close(): Promise<void>;
}

/** The parts of oidc-provider's API used here (it ships no type declarations). */
interface OidcProvider {
  callback(): (req: unknown, res: unknown) => void;
  interactionDetails(req: unknown, res: unknown): Promise<{
    uid: string; prompt: { name: string; details: Record<string, unknown> }; params: Record<string, unknown>;
    session?: { accountId: string }; grantId?: string;
  }>;
  interactionFinished(req: unknown, res: unknown, result: unknown, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  Grant: {
    new (init: { accountId: string; clientId: string }): OidcGrant;
    find(id: string): Promise<OidcGrant | undefined>;
  };
}
interface OidcGrant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  save(): Promise<string>;
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;

export async function startIdp(options: IdpOptions): Promise<TestIdp> {
  // A computed specifier keeps tsc from looking for declarations the package does not have.
  const specifier = 'oidc-provider';
  const { default: Provider } = (await import(specifier)) as { default: ProviderClass };
  const app = express();
  const server: Server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'mcp-publish-test';
  const clientSecret = randomBytes(24).toString('base64url');
  const requests: string[] = [];
  const tokenAuth: ('basic' | 'post')[] = [];

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test-idp-key', alg: 'RS256', use: 'sig' };
  const byId = new Map(options.users.map((u) => [u.id, u]));

  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId, client_secret: clientSecret, redirect_uris: options.redirectUris,
      response_types: ['code'], grant_types: ['authorization_code'],
      token_endpoint_auth_method: options.tokenEndpointAuthMethod ?? 'client_secret_basic',
    }],
    // The token endpoint takes only this method, and says so in its metadata.
    clientAuthMethods: [options.tokenEndpointAuthMethod ?? 'client_secret_basic'],
    jwks: { keys: [jwk] },
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 3600, IdToken: 600, Interaction: 600, Session: 3600 },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    conformIdTokenClaims: !options.claimsInIdToken,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx: unknown, id: string) => {
      const user = byId.get(id);
      if (!user) return undefined;
      return {
        accountId: id,
        claims: async () => ({
          sub: id,
          ...(user.email !== undefined ? { email: user.email } : {}),
          ...(user.emailVerified !== undefined ? { email_verified: user.emailVerified } : {}),
          ...(user.name !== undefined ? { name: user.name } : {}),
          ...(user.groups !== undefined ? { groups: user.groups } : {}),
        }),
      };
    },
  });

  app.use((req, _res, next) => {
    requests.push(req.path);
    if (req.path === '/token') tokenAuth.push(req.headers.authorization?.startsWith('Basic ') ? 'basic' : 'post');
    next();
  });
  app.get('/interaction/:uid', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'login') {
        res.type('html').send(loginForm(details.uid));
        return;
      }
      // Consent: granted at once for whatever the client asked (a test IdP, not a product).
      const accountId = details.session!.accountId;
      const grant = details.grantId ? (await provider.Grant.find(details.grantId))! : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
      const missingScope = details.prompt.details.missingOIDCScope as string[] | undefined;
      const missingClaims = details.prompt.details.missingOIDCClaims as string[] | undefined;
      if (missingScope) grant.addOIDCScope(missingScope.join(' '));
      if (missingClaims) grant.addOIDCClaims(missingClaims);
      await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    } catch (e) {
      next(e);
    }
  });
  app.post('/interaction/:uid/login', express.urlencoded({ extended: false }), async (req, res, next) => {
    try {
      const body = req.body as { username?: string; password?: string };
      const user = options.users.find((u) => u.username === body.username && u.password === body.password);
      if (!user) {
        res.status(401).type('html').send(loginForm(String(req.params.uid), 'Wrong user name or password.'));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
    } catch (e) {
      next(e);
    }
  });
  app.use(provider.callback() as express.RequestHandler);

  return {
    issuer, clientId, clientSecret, requests, tokenAuth,
    login: (url, username, password) => browserLogin(url, username, password, options.redirectUris),
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((e) => (e ? reject(e) : resolve()));
    }),
  };
}

function loginForm(uid: string, error?: string): string {
  return `<!doctype html><title>Test IdP</title>${error ? `<p role="alert">${error}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<label>User <input name="username"></label><label>Password <input name="password" type="password"></label>
<button>Sign in</button></form>`;
}

/** Follows redirects by hand with a cookie jar, fills the login form once, stops at a redirect URI. */
async function browserLogin(start: URL, username: string, password: string, redirectUris: string[]): Promise<URL> {
  const jar = new Map<string, string>();
  const send = async (url: URL, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()) || attrs.some((a) => /^\s*max-age=0\b/i.test(a));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  };
  let url = start;
  let submitted = false;
  for (let hop = 0; hop < 20; hop++) {
    const response = await send(url);
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const next = new URL(response.headers.get('location')!, url);
      if (redirectUris.some((r) => next.href.startsWith(`${r}?`) || next.href === r)) return next;
      url = next;
      continue;
    }
    const html = await response.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (!response.ok || !action || submitted) throw new Error(`test IdP: unexpected page at ${url.pathname} (${response.status}): ${html.slice(0, 300)}`);
    submitted = true;
    const posted = await send(new URL(action, url), { method: 'POST', body: new URLSearchParams({ username, password }) });
    if (posted.status < 300 || posted.status >= 400) throw new Error(`test IdP: login refused (${posted.status})`);
    await posted.body?.cancel();
    url = new URL(posted.headers.get('location')!, url);
  }
  throw new Error('test IdP: too many redirects');
}
