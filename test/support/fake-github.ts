// A small GitHub on loopback for the sign-in tests: the OAuth web flow (authorize, access_token,
// PKCE) and the REST endpoints GithubLogin reads, behaving as github.com documents them
// (errors with 200 from the token endpoint, Link pagination, scopes limiting what is visible).
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';

export interface FakeGithubUser {
  id: number;
  login: string;
  name?: string | null;
  emails: { email: string; primary: boolean; verified: boolean }[];
  orgs?: string[];
  /** "org/team-slug" */
  teams?: string[];
}

export interface FakeGithubOptions {
  users: FakeGithubUser[];
  /** Items per page of /user/orgs and /user/teams, whatever `per_page` asks; default 100. */
  pageSize?: number;
}

export interface FakeGithub {
  /** Where people authorize, like https://github.com. */
  readonly baseUrl: string;
  /** The REST API, like a GitHub Enterprise server's https://<host>/api/v3. */
  readonly apiUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** API paths called, with the token's scopes, in order. */
  readonly apiCalls: string[];
  /** Whose browser is signed in at GitHub, and whether they click "Authorize" (default true). */
  signIn(login: string, options?: { approve?: boolean }): void;
  /** Rewrites the origin of `Link: rel="next"` URLs (to check the token is never sent elsewhere). */
  nextLinkOrigin: string | undefined;
  /** Opens an authorize URL as the signed-in browser; returns the redirect back to the app. */
  authorize(url: URL): Promise<URL>;
  close(): Promise<void>;
}

interface Grant { login: string; redirectUri: string; scope: string; challenge?: string; method?: string; expiresAt: number }

export async function startFakeGithub(options: FakeGithubOptions): Promise<FakeGithub> {
  const app = express();
  const server: Server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = `Iv1.${randomBytes(8).toString('hex')}`;
  const clientSecret = randomBytes(20).toString('hex');
  const codes = new Map<string, Grant>();
  const tokens = new Map<string, { login: string; scope: string }>();
  const apiCalls: string[] = [];
  const pageSize = options.pageSize ?? 100;
  let current: { login: string; approve: boolean } | undefined;

  const fake: FakeGithub = {
    baseUrl: origin, apiUrl: `${origin}/api/v3`, clientId, clientSecret, apiCalls, nextLinkOrigin: undefined,
    signIn(login, o = {}) { current = { login, approve: o.approve ?? true }; },
    async authorize(url) {
      const response = await fetch(url, { redirect: 'manual' });
      await response.body?.cancel();
      if (response.status !== 302) throw new Error(`fake GitHub: authorize answered ${response.status}`);
      return new URL(response.headers.get('location')!);
    },
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((e) => (e ? reject(e) : resolve()));
    }),
  };

  app.get('/login/oauth/authorize', (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    if (q.client_id !== clientId || !q.redirect_uri) { res.status(404).send('Not Found'); return; }
    if (!current) { res.status(200).send('<form>Sign in to GitHub</form>'); return; }
    const back = new URL(q.redirect_uri);
    if (q.state) back.searchParams.set('state', q.state);
    if (!current.approve) {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'The user has denied your application access.');
    } else {
      const code = randomBytes(10).toString('hex');
      const grant: Grant = { login: current.login, redirectUri: q.redirect_uri, scope: q.scope ?? '', expiresAt: Date.now() + 10 * 60_000 };
      if (q.code_challenge) { grant.challenge = q.code_challenge; grant.method = q.code_challenge_method ?? 'plain'; }
      codes.set(code, grant);
      back.searchParams.set('code', code);
    }
    res.redirect(302, back.href);
  });

  app.post('/login/oauth/access_token', express.urlencoded({ extended: false }), express.json(), (req, res) => {
    const body = req.body as Record<string, string | undefined>;
    const reply = (json: Record<string, string>) => {
      // GitHub answers JSON only when asked to, and errors with 200.
      if (req.accepts('application/json')) res.json(json);
      else res.type('application/x-www-form-urlencoded').send(new URLSearchParams(json).toString());
    };
    if (body.client_id !== clientId || body.client_secret !== clientSecret) {
      reply({ error: 'incorrect_client_credentials', error_description: 'The client_id and/or client_secret passed are incorrect.' });
      return;
    }
    const grant = body.code ? codes.get(body.code) : undefined;
    if (body.code) codes.delete(body.code); // single use
    if (!grant || grant.expiresAt < Date.now()) {
      reply({ error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' });
      return;
    }
    if (body.redirect_uri && body.redirect_uri !== grant.redirectUri) {
      reply({ error: 'redirect_uri_mismatch', error_description: 'The redirect_uri MUST match the registered callback URL for this application.' });
      return;
    }
    if (grant.challenge) {
      const verifier = body.code_verifier ?? '';
      const computed = grant.method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
      if (computed !== grant.challenge) {
        reply({ error: 'bad_verification_code', error_description: 'The code_verifier does not match the code_challenge.' });
        return;
      }
    }
    const token = `gho_${randomBytes(18).toString('hex')}`;
    tokens.set(token, { login: grant.login, scope: grant.scope.split(/[ ,]+/).filter(Boolean).join(',') });
    reply({ access_token: token, token_type: 'bearer', scope: tokens.get(token)!.scope });
  });

  const api = express.Router();
  api.use((req, res, next) => {
    const m = /^(?:Bearer|token) (.+)$/.exec(req.headers.authorization ?? '');
    const session = m ? tokens.get(m[1]!) : undefined;
    const user = session && options.users.find((u) => u.login === session.login);
    if (!session || !user) { res.status(401).json({ message: 'Bad credentials' }); return; }
    apiCalls.push(`${req.path} [${session.scope}]`);
    res.locals.user = user;
    res.locals.scopes = session.scope.split(',');
    next();
  });
  const paged = (req: express.Request, res: express.Response, items: unknown[]) => {
    const page = Math.max(1, Number(req.query.page ?? 1));
    const size = Math.min(pageSize, Number(req.query.per_page ?? 30));
    const start = (page - 1) * size;
    if (start + size < items.length) {
      const next = new URL(`${fake.nextLinkOrigin ?? origin}/api/v3${req.path}`);
      next.searchParams.set('per_page', String(size));
      next.searchParams.set('page', String(page + 1));
      res.setHeader('link', `<${next.href}>; rel="next"`);
    }
    res.json(items.slice(start, start + size));
  };
  api.get('/user', (_req, res) => {
    const u = res.locals.user as FakeGithubUser;
    res.json({ id: u.id, login: u.login, name: u.name ?? null, type: 'User' });
  });
  api.get('/user/emails', (_req, res) => {
    if (!(res.locals.scopes as string[]).includes('user:email')) { res.status(404).json({ message: 'Not Found' }); return; }
    res.json((res.locals.user as FakeGithubUser).emails.map((e) => ({ ...e, visibility: e.primary ? 'private' : null })));
  });
  api.get('/user/orgs', (req, res) => {
    if (!(res.locals.scopes as string[]).includes('read:org')) { res.json([]); return; } // only public memberships, none here
    paged(req, res, ((res.locals.user as FakeGithubUser).orgs ?? []).map((login, i) => ({ login, id: 1000 + i })));
  });
  api.get('/user/teams', (req, res) => {
    if (!(res.locals.scopes as string[]).includes('read:org')) { res.status(403).json({ message: 'Resource not accessible by integration' }); return; }
    paged(req, res, ((res.locals.user as FakeGithubUser).teams ?? []).map((t) => {
      const [org, slug] = t.split('/');
      return { slug, name: slug, organization: { login: org } };
    }));
  });
  app.use('/api/v3', api);

  return fake;
}
