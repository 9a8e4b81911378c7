// The login step of an interaction, by each method: the local account form (guarded per address
// and per account), or a redirect to the owner's IdP or GitHub and back through its callback,
// which must return to the browser that started it. Then the person's record and the access
// policy's verdict, and on with the interaction.
import { createHash, randomBytes } from 'node:crypto';
import express, { type Express, type Request, type Response } from 'express';
import { decide } from '../identity/policy.ts';
import type { UserRecord } from '../identity/users.ts';
import type { LoginProfile } from '../identity/profile.ts';
import { LOGIN_CALLBACK_PATHS, type RedirectLoginMethod } from '../identity/login-provider.ts';
import type { InteractionDeps } from './interactions.ts';
import { cookieValue } from './cookies.ts';
import { errorPage, loginPage, sendPage } from './pages.ts';
import { SignInError } from './page-errors.ts';
import { LOGIN_DONE } from './revocation.ts';
import { shownMessage } from '../errors.ts';

const LOGIN_UID = 'auth.login-uid';
const LOGIN_COOKIE = '_mcpp_login';

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

export function mountLoginSteps(app: Express, d: InteractionDeps): void {
  const form = express.urlencoded({ extended: false, limit: '32kb' });

  /** After any login method: the user record, the policy's verdict, then on with the interaction. */
  const completeLogin = async (profile: LoginProfile): Promise<UserRecord> => {
    let user = await d.users.upsertFromLogin(profile);
    const decision = decide(profile, user, d.access());
    user = await d.users.applyDecision(user.id, decision);
    d.logger.info({ user: user.id, provider: profile.provider, status: user.status }, 'signed in');
    if (user.status === 'pending') d.onPending?.(user);
    return user;
  };

  app.post('/interaction/:uid/login', form, async (req: Request, res: Response) => {
    const details = await d.provider.interactionDetails(req, res);
    const local = d.local();
    if (details.prompt.name !== 'login' || !local) return sendPage(res, errorPage('Not here', 'This step is not a sign-in.').html, 400);
    const email = String(req.body?.email ?? '');
    const admitted = d.guard.admit(req, email, d.clientAddress(req));
    if (!admitted.ok) {
      throw new SignInError('too_many_requests', 'Too many wrong passwords for this account recently.', { expose: true, retryAfterSeconds: admitted.retryAfterSeconds });
    }
    const profile = await local.verify(email, String(req.body?.password ?? ''));
    if (!profile) {
      d.guard.failed(email);
      return showLoginPage(d, res, details, { error: 'Wrong email or password.', email }, 401);
    }
    d.guard.succeeded(res, email);
    const user = await completeLogin(profile);
    await d.provider.interactionFinished(req, res, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
  });

  app.get('/interaction/:uid/start/:provider', async (req: Request, res: Response) => {
    const details = await d.provider.interactionDetails(req, res);
    const login = d.logins().find((p) => p.id === req.params.provider);
    if (!login) return sendPage(res, errorPage('Unknown sign-in method', 'That way of signing in is not configured.').html, 404);
    const { url, pending } = await login.start(`${d.issuer}${LOGIN_CALLBACK_PATHS[login.id]}`);
    await d.pendingLogins.save(pending);
    // The callback must come back to the browser that started: a link to the IdP sent to someone
    // else would otherwise sign *them* in on this interaction (login CSRF / account takeover).
    const browser = randomBytes(24).toString('base64url');
    await d.state.put(LOGIN_UID, pending.state, { uid: details.uid, browser: sha256(browser) }, { expiresAt: Date.now() + 15 * 60_000 });
    res.cookie(LOGIN_COOKIE, browser, { httpOnly: true, sameSite: 'lax', secure: d.issuer.startsWith('https:'), path: '/login', maxAge: 15 * 60_000 });
    res.redirect(303, url.href);
  });

  for (const method of Object.keys(LOGIN_CALLBACK_PATHS) as RedirectLoginMethod[]) {
    app.get(LOGIN_CALLBACK_PATHS[method], async (req: Request, res: Response) => {
      const params = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1));
      const state = params.get('state');
      const started = state ? await d.state.get<{ uid: string; browser: string }>(LOGIN_UID, state) : undefined;
      const browser = cookieValue(req, LOGIN_COOKIE);
      if (!started || !browser || sha256(browser) !== started.browser) {
        return sendPage(res, errorPage('This sign-in did not start here', 'Start again from your app, in this browser.').html, 400);
      }
      const pending = await d.pendingLogins.take(state);
      const uid = started.uid;
      const login = d.logins().find((p) => p.id === method);
      if (!pending || !login) return sendPage(res, errorPage('This sign-in has expired', 'Start again from your app.').html, 400);
      await d.state.delete(LOGIN_UID, state!);
      res.clearCookie(LOGIN_COOKIE, { path: '/login' });
      let profile: LoginProfile;
      try {
        profile = await login.finish(params, pending);
      } catch (e) {
        d.logger.warn({ err: (e as Error).message, provider: method }, 'upstream sign-in failed');
        return sendPage(res, errorPage('Sign-in failed', shownMessage(e, 'The identity provider did not confirm who you are.')).html, 400);
      }
      const user = await completeLogin(profile);
      // The interaction cookie is scoped to /interaction/<uid>: continue there.
      await d.state.put(LOGIN_DONE, uid, user.id, { expiresAt: Date.now() + 5 * 60_000 });
      res.redirect(303, `/interaction/${encodeURIComponent(uid)}/complete`);
    });
  }

  app.get('/interaction/:uid/complete', async (req: Request, res: Response) => {
    const details = await d.provider.interactionDetails(req, res);
    const accountId = await d.state.get<string>(LOGIN_DONE, details.uid);
    if (!accountId || details.prompt.name !== 'login') return sendPage(res, errorPage('This sign-in has expired', 'Start again from your app.').html, 400);
    await d.state.delete(LOGIN_DONE, details.uid);
    await d.provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
  });
}

/** The login page of an interaction: the local account form and a button per redirect login. */
export async function showLoginPage(d: InteractionDeps, res: Response, details: any, extra: { error?: string; email?: string } = {}, status = 200): Promise<void> {
  const client = await d.provider.Client.find(String(details.params.client_id));
  const providers = d.logins().map((p) => ({ href: `/interaction/${details.uid}/start/${p.id}`, label: p.label }));
  sendPage(res, loginPage({ action: `/interaction/${details.uid}/login`, local: Boolean(d.local()), providers, clientName: client?.clientName ?? client?.clientId ?? 'An app', ...extra }), status);
}
