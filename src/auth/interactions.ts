// The browser steps of an authorization (DESIGN §4 steps 3–4), as oidc-provider interactions on
// our pages: sign in (local account, or an upstream IdP by redirect), the access policy (allowed,
// denied with a clear page, or waiting for the owner), consent per user × client, and the
// per-user setup of a server's `userEnv`. Also the one-time setup links of `reconfigure`.
import { createHash, randomBytes } from 'node:crypto';
import express, { type Express, type Request, type Response } from 'express';
import type { Logger } from '../logging/logger.ts';
import { isStdioServer, type AccessConfig, type ServerConfig, type UserEnvField } from '../config/schema.ts';
import type { StateStore } from '../state/state-store.ts';
import type { UserDirectory, UserRecord } from '../identity/users.ts';
import { profileOfRecord } from '../identity/users.ts';
import { decide } from '../identity/policy.ts';
import type { LoginProfile } from '../identity/profile.ts';
import type { LocalAccounts } from '../identity/local-accounts.ts';
import { LOGIN_CALLBACK_PATHS, type LoginProvider, type PendingLogins, type RedirectLoginMethod } from '../identity/login-provider.ts';
import type { UserEnvStore } from '../identity/user-env.ts';
import type { RateLimiter } from './rate-limit.ts';
import { CONSENTS, LOGIN_DONE, SETUP_LINKS, consentKey } from './revocation.ts';
import { consentPage, deniedPage, errorPage, loginPage, setupPage, waitingPage, type SetupField } from './pages.ts';

export { fieldsOf };

export interface InteractionDeps {
  provider: any;
  issuer: string;
  logger: Logger;
  state: StateStore;
  users: UserDirectory;
  access: () => AccessConfig;
  /** Redirect logins (OIDC, GitHub) currently configured. */
  logins: () => LoginProvider[];
  /** Local accounts, when the owner enabled them. */
  local: () => LocalAccounts | undefined;
  pendingLogins: PendingLogins;
  userEnv: UserEnvStore;
  servers: () => Record<string, ServerConfig>;
  serverOf: (indicator: string | undefined) => string | undefined;
  limiter: RateLimiter;
  /** A user's values for a server changed: restart their child. */
  onUserEnvSaved?: (server: string, user: string) => void;
  /** Someone is waiting for the owner's approval. */
  onPending?: (user: UserRecord) => void;
}

const LOGIN_UID = 'auth.login-uid';
const LOGIN_COOKIE = '_mcpp_login';

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('base64url');
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}
const SETUP_LINK_MS = 15 * 60_000;

function fieldsOf(config: ServerConfig | undefined): UserEnvField[] {
  return config && isStdioServer(config) ? config.userEnv : [];
}

function noFrames(res: Response): void {
  res.set('cache-control', 'no-store').set('x-frame-options', 'DENY').set('content-security-policy', "frame-ancestors 'none'").set('referrer-policy', 'no-referrer');
}

function send(res: Response, html: string, status = 200): void {
  noFrames(res);
  res.status(status).type('html').send(html);
}

export function mountInteractions(app: Express, d: InteractionDeps): void {
  const form = express.urlencoded({ extended: false, limit: '32kb' });
  const who = (u: UserRecord | undefined) => u?.email ?? u?.name ?? u?.githubLogin ?? 'this account';
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response) => {
    fn(req, res).catch((e: Error & { name?: string; error?: string }) => {
      // oidc-provider's "interaction session not found" and the like: show a page, never a stack.
      const expired = e.name === 'SessionNotFound' || /interaction/i.test(e.message);
      d.logger.warn({ err: e.message }, 'sign-in step failed');
      const page = expired
        ? errorPage('This sign-in has expired', 'Start again from your app (for example, reconnect the server in Claude).', 400)
        : errorPage('Something went wrong', 'The sign-in could not continue. Start again from your app.', 500);
      if (!res.headersSent) send(res, page.html, page.status);
    });
  };

  /** After any login method: the user record, the policy's verdict, then on with the interaction. */
  const completeLogin = async (profile: LoginProfile): Promise<UserRecord> => {
    let user = await d.users.upsertFromLogin(profile);
    const decision = decide(profile, user, d.access());
    user = await d.users.applyDecision(user.id, decision);
    d.logger.info({ user: user.id, provider: profile.provider, status: user.status }, 'signed in');
    if (user.status === 'pending') d.onPending?.(user);
    return user;
  };

  app.get('/interaction/:uid', wrap(async (req, res) => {
    const details = await d.provider.interactionDetails(req, res);
    const { uid, prompt, params, session } = details;
    const client = await d.provider.Client.find(String(params.client_id));
    const clientName = client?.clientName ?? client?.clientId ?? 'An app';
    switch (prompt.name) {
      case 'login': {
        const providers = d.logins().map((p) => ({ href: `/interaction/${uid}/start/${p.id}`, label: p.label }));
        return send(res, loginPage({ action: `/interaction/${uid}/login`, local: Boolean(d.local()), providers, clientName }));
      }
      case 'policy': {
        const user = d.users.get(session?.accountId);
        if (user?.status === 'allowed') {
          return void (await d.provider.interactionFinished(req, res, { policy: { allowed: true } }, { mergeWithLastSubmission: true }));
        }
        if (user?.status === 'pending') return send(res, waitingPage(who(user)));
        const profile = user ? profileOfRecord(user) : undefined;
        const reason = profile && user ? decide(profile, user, d.access()).reason : 'this account is not allowed';
        return send(res, deniedPage({ who: who(user), reason, action: `/interaction/${uid}/denied` }), 403);
      }
      case 'consent': {
        const server = d.serverOf(params.resource as string | undefined) ?? (Object.keys(d.servers()).length === 1 ? Object.keys(d.servers())[0]! : '?');
        const key = consentKey(session.accountId, String(params.client_id), server);
        // oidc-provider asks native clients every time; we ask once per user × client × server.
        if (await d.state.get(CONSENTS, key)) return void (await finishConsent(req, res, details));
        const redirect = String(params.redirect_uri);
        let host: string;
        try { host = new URL(redirect).host || redirect.split(':')[0]!; } catch { host = redirect; }
        const warnLocal = /^(localhost|127\.0\.0\.1|\[::1\])(:|$)/.test(host);
        return send(res, consentPage({ clientName, redirectHost: host, server, who: who(d.users.get(session.accountId)), action: `/interaction/${uid}/consent`, warnLocal }));
      }
      case 'setup': {
        const server = String(prompt.details.server);
        const fields = fieldsOf(d.servers()[server]);
        const set = new Set(await d.userEnv.setFields(server, session.accountId, fields));
        return send(res, setupPage({ server, action: `/interaction/${uid}/setup`, fields: setupFields(fields, set) }));
      }
      default:
        return send(res, errorPage('Unexpected step', `Unknown sign-in step "${prompt.name}".`, 500).html, 500);
    }
  }));

  const finishConsent = async (req: Request, res: Response, details: any) => {
    const { prompt, params, session, grantId } = details;
    const grant = grantId ? await d.provider.Grant.find(grantId) : new d.provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const x = prompt.details;
    if (x.missingOIDCScope) grant.addOIDCScope(x.missingOIDCScope.join(' '));
    if (x.missingOIDCClaims) grant.addOIDCClaims(x.missingOIDCClaims);
    if (x.missingResourceScopes) for (const [indicator, scopes] of Object.entries<string[]>(x.missingResourceScopes)) grant.addResourceScope(indicator, scopes.join(' '));
    const id = await grant.save();
    await d.provider.interactionFinished(req, res, { consent: { grantId: id } }, { mergeWithLastSubmission: true });
  };

  app.post('/interaction/:uid/login', form, wrap(async (req, res) => {
    const details = await d.provider.interactionDetails(req, res);
    const local = d.local();
    if (details.prompt.name !== 'login' || !local) return send(res, errorPage('Not here', 'This step is not a sign-in.').html, 400);
    const email = String(req.body?.email ?? '');
    const profile = await local.verify(email, String(req.body?.password ?? ''));
    if (!profile) {
      const client = await d.provider.Client.find(String(details.params.client_id));
      const providers = d.logins().map((p) => ({ href: `/interaction/${details.uid}/start/${p.id}`, label: p.label }));
      return send(res, loginPage({ action: `/interaction/${details.uid}/login`, local: true, providers, clientName: client?.clientName ?? 'An app', error: 'Wrong email or password.', email }), 401);
    }
    const user = await completeLogin(profile);
    await d.provider.interactionFinished(req, res, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
  }));

  app.get('/interaction/:uid/start/:provider', wrap(async (req, res) => {
    const details = await d.provider.interactionDetails(req, res);
    const login = d.logins().find((p) => p.id === req.params.provider);
    if (!login) return send(res, errorPage('Unknown sign-in method', 'That way of signing in is not configured.').html, 404);
    const { url, pending } = await login.start(`${d.issuer}${LOGIN_CALLBACK_PATHS[login.id]}`);
    await d.pendingLogins.save(pending);
    // The callback must come back to the browser that started: a link to the IdP sent to someone
    // else would otherwise sign *them* in on this interaction (login CSRF / account takeover).
    const browser = randomBytes(24).toString('base64url');
    await d.state.put(LOGIN_UID, pending.state, { uid: details.uid, browser: sha256(browser) }, { expiresAt: Date.now() + 15 * 60_000 });
    res.cookie(LOGIN_COOKIE, browser, { httpOnly: true, sameSite: 'lax', secure: d.issuer.startsWith('https:'), path: '/login', maxAge: 15 * 60_000 });
    res.redirect(303, url.href);
  }));

  for (const method of Object.keys(LOGIN_CALLBACK_PATHS) as RedirectLoginMethod[]) {
    app.get(LOGIN_CALLBACK_PATHS[method], wrap(async (req, res) => {
      const params = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1));
      const state = params.get('state');
      const started = state ? await d.state.get<{ uid: string; browser: string }>(LOGIN_UID, state) : undefined;
      const browser = cookieValue(req.headers.cookie, LOGIN_COOKIE);
      if (!started || !browser || sha256(browser) !== started.browser) {
        return send(res, errorPage('This sign-in did not start here', 'Start again from your app, in this browser.').html, 400);
      }
      const pending = await d.pendingLogins.take(state);
      const uid = started.uid;
      const login = d.logins().find((p) => p.id === method);
      if (!pending || !login) return send(res, errorPage('This sign-in has expired', 'Start again from your app.').html, 400);
      await d.state.delete(LOGIN_UID, state!);
      res.clearCookie(LOGIN_COOKIE, { path: '/login' });
      let profile: LoginProfile;
      try {
        profile = await login.finish(params, pending);
      } catch (e) {
        const err = e as Error & { expose?: boolean };
        d.logger.warn({ err: err.message, provider: method }, 'upstream sign-in failed');
        return send(res, errorPage('Sign-in failed', err.expose ? err.message : 'The identity provider did not confirm who you are.').html, 400);
      }
      const user = await completeLogin(profile);
      // The interaction cookie is scoped to /interaction/<uid>: continue there.
      await d.state.put(LOGIN_DONE, uid, user.id, { expiresAt: Date.now() + 5 * 60_000 });
      res.redirect(303, `/interaction/${encodeURIComponent(uid)}/complete`);
    }));
  }

  app.get('/interaction/:uid/complete', wrap(async (req, res) => {
    const details = await d.provider.interactionDetails(req, res);
    const accountId = await d.state.get<string>(LOGIN_DONE, details.uid);
    if (!accountId || details.prompt.name !== 'login') return send(res, errorPage('This sign-in has expired', 'Start again from your app.').html, 400);
    await d.state.delete(LOGIN_DONE, details.uid);
    await d.provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
  }));

  app.post('/interaction/:uid/denied', form, wrap(async (req, res) => {
    await d.provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the owner has not allowed this account' }, { mergeWithLastSubmission: false });
  }));

  app.post('/interaction/:uid/consent', form, wrap(async (req, res) => {
    const details = await d.provider.interactionDetails(req, res);
    if (details.prompt.name !== 'consent') return send(res, errorPage('Not here', 'This step is not a consent.').html, 400);
    if (req.body?.decision !== 'allow') {
      return void (await d.provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user did not allow this app' }, { mergeWithLastSubmission: false }));
    }
    const server = d.serverOf(details.params.resource) ?? (Object.keys(d.servers()).length === 1 ? Object.keys(d.servers())[0]! : '?');
    await d.state.put(CONSENTS, consentKey(details.session.accountId, String(details.params.client_id), server), { at: Date.now() });
    await finishConsent(req, res, details);
  }));

  app.post('/interaction/:uid/setup', form, wrap(async (req, res) => {
    const details = await d.provider.interactionDetails(req, res);
    if (details.prompt.name !== 'setup') return send(res, errorPage('Not here', 'This step is not a setup.').html, 400);
    const server = String(details.prompt.details.server);
    const error = await saveSetup(server, details.session.accountId, req.body ?? {});
    if (error) {
      const fields = fieldsOf(d.servers()[server]);
      const set = new Set(await d.userEnv.setFields(server, details.session.accountId, fields));
      return send(res, setupPage({ server, action: `/interaction/${details.uid}/setup`, fields: setupFields(fields, set), error }), 400);
    }
    await d.provider.interactionFinished(req, res, { setup: { server } }, { mergeWithLastSubmission: true });
  }));

  const saveSetup = async (server: string, user: string, body: Record<string, unknown>): Promise<string | undefined> => {
    const fields = fieldsOf(d.servers()[server]);
    const input: Record<string, string> = {};
    for (const f of fields) {
      const v = typeof body[f.name] === 'string' ? (body[f.name] as string).trim() : '';
      // An empty field keeps what is set (placeholders say so); it never clears a secret by accident.
      if (v) input[f.name] = v;
    }
    const have = new Set(await d.userEnv.setFields(server, user, fields));
    const missing = fields.filter((f) => !f.optional && !input[f.name] && !have.has(f.name));
    if (missing.length) return `Please fill in ${missing.map((f) => f.label ?? f.name).join(', ')}.`;
    await d.userEnv.save(server, user, fields, input);
    d.logger.info({ server, user, fields: Object.keys(input) }, 'user settings saved');
    d.onUserEnvSaved?.(server, user);
    return undefined;
  };

  // One-time links from the `reconfigure` tool: the link itself is the credential (15 minutes).
  app.get('/setup/:token', wrap(async (req, res) => {
    const link = await d.state.get<{ server: string; user: string }>(SETUP_LINKS, String(req.params.token));
    if (!link || !d.users.isActive(link.user)) return send(res, errorPage('This link has expired', 'Ask your app for a new one (the reconfigure tool).').html, 404);
    const fields = fieldsOf(d.servers()[link.server]);
    const set = new Set(await d.userEnv.setFields(link.server, link.user, fields));
    send(res, setupPage({ server: link.server, action: `/setup/${encodeURIComponent(String(req.params.token))}`, fields: setupFields(fields, set) }));
  }));

  app.post('/setup/:token', form, wrap(async (req, res) => {
    const token = String(req.params.token);
    const link = await d.state.get<{ server: string; user: string }>(SETUP_LINKS, token);
    if (!link || !d.users.isActive(link.user)) return send(res, errorPage('This link has expired', 'Ask your app for a new one (the reconfigure tool).').html, 404);
    const error = await saveSetup(link.server, link.user, req.body ?? {});
    if (error) {
      const fields = fieldsOf(d.servers()[link.server]);
      const set = new Set(await d.userEnv.setFields(link.server, link.user, fields));
      return send(res, setupPage({ server: link.server, action: `/setup/${encodeURIComponent(token)}`, fields: setupFields(fields, set), error }), 400);
    }
    await d.state.delete(SETUP_LINKS, token);
    send(res, setupPage({ server: link.server, action: '', fields: [], done: true }));
  }));
}

function setupFields(fields: readonly UserEnvField[], set: Set<string>): SetupField[] {
  return fields.map((f) => ({ name: f.name, label: f.label ?? f.name, description: f.description, secret: f.secret, optional: f.optional, isSet: set.has(f.name) }));
}

/** A one-time link to a user's setup page for a server (what the `reconfigure` tool returns). */
export async function createSetupLink(state: StateStore, issuer: string, server: string, user: string): Promise<string> {
  const token = randomBytes(24).toString('base64url');
  await state.put(SETUP_LINKS, token, { server, user }, { expiresAt: Date.now() + SETUP_LINK_MS });
  return `${issuer}/setup/${token}`;
}
