// The browser steps of an authorization (DESIGN §4 steps 3–4), as oidc-provider interactions on
// our pages: sign in (login-steps.ts), the access policy (allowed, denied with a clear page, or
// waiting for the owner), consent per user × client × server, and the per-user setup of a
// server's `userEnv` (user-setup.ts). Errors go to the app's error handler (page-errors.ts).
import express, { type Express, type Request, type Response } from 'express';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../logging/logger.ts';
import type { AccessConfig, ServerConfig } from '../config/schema.ts';
import type { StateStore } from '../state/state-store.ts';
import type { UserDirectory, UserRecord } from '../identity/users.ts';
import { profileOfRecord } from '../identity/users.ts';
import { decide } from '../identity/policy.ts';
import type { LocalAccounts } from '../identity/local-accounts.ts';
import type { LoginProvider, PendingLogins } from '../identity/login-provider.ts';
import type { UserEnvStore } from '../identity/user-env.ts';
import type { LoginGuard } from './login-guard.ts';
import { CONSENTS, consentKey } from './revocation.ts';
import { consentPage, deniedPage, errorPage, keptIn, sendPage, setupPage, waitingPage, type SignInContext } from './pages.ts';
import { mountLoginSteps, showLoginPage } from './login-steps.ts';
import { mountSetupLinks, saveSetup, setupFieldsOf } from './user-setup.ts';

export { fieldsOf } from './user-setup.ts';
export { createSetupLink } from './setup-links.ts';

/** How long the denied page shows before it tells the app. */
const DENIED_PAGE_SECONDS = 5;

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
  /** The address a request is counted under (rate-limit.ts `clientAddress`). */
  clientAddress: (req: IncomingMessage) => string;
  /** Per-account limits of the password form. */
  guard: LoginGuard;
  /** A user's values for a server changed: restart their child. */
  onUserEnvSaved?: (server: string, user: string) => void;
  /** Someone is waiting for the owner's approval. */
  onPending?: (user: UserRecord) => void;
}

export function mountInteractions(app: Express, d: InteractionDeps): void {
  const form = express.urlencoded({ extended: false, limit: '32kb' });
  const who = (u: UserRecord | undefined) => u?.email ?? u?.name ?? u?.githubLogin ?? 'this account';
  const serverOf = (resource: unknown) => d.serverOf(resource as string | undefined) ?? (Object.keys(d.servers()).length === 1 ? Object.keys(d.servers())[0]! : '?');
  const titleOf = (server: string) => d.servers()[server]?.title ?? server;
  /** Who owns these servers (named on every page), and the way to another account. */
  const context = async (uid: string): Promise<SignInContext> => {
    const record = d.users.list().find((u) => u.owner);
    const local = record ? undefined : (await d.local()?.list())?.find((a) => a.owner);
    const owner = record?.name ?? record?.email ?? (local?.name && local.name !== 'Owner' ? local.name : local?.email !== 'owner@localhost' ? local?.email : undefined);
    return { ...(owner ? { owner } : {}), switchUrl: `/interaction/${uid}/switch` };
  };

  app.get('/interaction/:uid', async (req: Request, res: Response) => {
    const details = await d.provider.interactionDetails(req, res);
    const { uid, prompt, params, session } = details;
    switch (prompt.name) {
      case 'login':
        return showLoginPage(d, res, details);
      case 'policy': {
        const user = d.users.get(session?.accountId);
        if (user?.status === 'allowed') {
          return void (await d.provider.interactionFinished(req, res, { policy: { allowed: true } }, { mergeWithLastSubmission: true }));
        }
        if (user?.status === 'pending') {
          return sendPage(res, waitingPage({ who: who(user), pollUrl: `/interaction/${uid}/waiting`, checkUrl: `/interaction/${uid}`, cancelAction: `/interaction/${uid}/cancel`, ...await context(uid) }));
        }
        const profile = user ? profileOfRecord(user) : undefined;
        const reason = profile && user ? decide(profile, user, d.access()).reason : 'this account is not allowed';
        return sendPage(res, deniedPage({ who: who(user), reason, action: `/interaction/${uid}/denied`, seconds: DENIED_PAGE_SECONDS, ...await context(uid) }), 403);
      }
      case 'consent': {
        const server = serverOf(params.resource);
        // oidc-provider asks native clients every time; we ask once per user × client × server.
        if (await d.state.get(CONSENTS, consentKey(session.accountId, String(params.client_id), server))) return void (await finishConsent(req, res, details));
        const client = await d.provider.Client.find(String(params.client_id));
        const redirect = String(params.redirect_uri);
        let host: string;
        try { host = new URL(redirect).host || redirect.split(':')[0]!; } catch { host = redirect; }
        const warnLocal = /^(localhost|127\.0\.0\.1|\[::1\])(:|$)/.test(host);
        const clientName = client?.clientName ?? client?.clientId ?? 'An app';
        return sendPage(res, consentPage({ clientName, redirectHost: host, server: titleOf(server), who: who(d.users.get(session.accountId)), action: `/interaction/${uid}/consent`, warnLocal, ...await context(uid) }));
      }
      case 'setup': {
        const server = String(prompt.details.server);
        const ctx = await context(uid);
        return sendPage(res, setupPage({ server: titleOf(server), action: `/interaction/${uid}/setup`, fields: await setupFieldsOf(d, server, session.accountId), keptIn: keptIn(d.userEnv.secretsKind, ctx.owner), ...ctx }));
      }
      default:
        return sendPage(res, errorPage('Unexpected step', `Unknown sign-in step "${prompt.name}".`, 500).html, 500);
    }
  });

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

  mountLoginSteps(app, d);

  // The denied page goes here by itself after a moment (GET), or at once with its button (POST):
  // the app hears access_denied at its redirect URI and stops waiting (mcp-remote would wait for
  // its timeout). Only a refused person's sign-in can be ended this way.
  const denied = async (req: Request, res: Response) => {
    const details = await d.provider.interactionDetails(req, res);
    const status = d.users.get(details.session?.accountId)?.status;
    if (details.prompt.name !== 'policy' || status === 'allowed' || status === 'pending') {
      return sendPage(res, errorPage('Not here', 'This sign-in was not refused. Go back to it in your app.').html, 400);
    }
    await d.provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the owner has not allowed this account' }, { mergeWithLastSubmission: false });
  };
  app.get('/interaction/:uid/denied', denied);
  app.post('/interaction/:uid/denied', form, denied);

  // The waiting page asks whether the owner has decided (its script, every few seconds).
  app.get('/interaction/:uid/waiting', async (req: Request, res: Response) => {
    const details = await d.provider.interactionDetails(req, res);
    const waiting = details.prompt.name === 'policy' && d.users.get(details.session?.accountId)?.status === 'pending';
    res.set('cache-control', 'no-store').json({ waiting });
  });

  // Cancel on the waiting page: the app hears access_denied and stops waiting.
  app.post('/interaction/:uid/cancel', form, async (req: Request, res: Response) => {
    const details = await d.provider.interactionDetails(req, res);
    if (details.prompt.name !== 'policy') return sendPage(res, errorPage('Not here', 'This sign-in is not waiting. Go back to it in your app.').html, 400);
    await d.provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the person cancelled the sign-in while waiting for approval' }, { mergeWithLastSubmission: false });
  });

  // "Not you?": the same authorization again, asking to sign in (OIDC prompt=login), so the
  // browser's current account is replaced by the one signed in with next.
  app.get('/interaction/:uid/switch', async (req: Request, res: Response) => {
    const details = await d.provider.interactionDetails(req, res);
    const again = new URLSearchParams();
    for (const [k, v] of Object.entries(details.params as Record<string, unknown>)) {
      if (k === 'prompt' || v === undefined || v === null) continue;
      for (const one of Array.isArray(v) ? v : [v]) again.append(k, String(one));
    }
    again.set('prompt', 'login');
    res.redirect(303, `/authorize?${again}`);
  });

  app.post('/interaction/:uid/consent', form, async (req: Request, res: Response) => {
    const details = await d.provider.interactionDetails(req, res);
    if (details.prompt.name !== 'consent') return sendPage(res, errorPage('Not here', 'This step is not a consent.').html, 400);
    if (req.body?.decision !== 'allow') {
      return void (await d.provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user did not allow this app' }, { mergeWithLastSubmission: false }));
    }
    await d.state.put(CONSENTS, consentKey(details.session.accountId, String(details.params.client_id), serverOf(details.params.resource)), { at: Date.now() });
    await finishConsent(req, res, details);
  });

  app.post('/interaction/:uid/setup', form, async (req: Request, res: Response) => {
    const details = await d.provider.interactionDetails(req, res);
    if (details.prompt.name !== 'setup') return sendPage(res, errorPage('Not here', 'This step is not a setup.').html, 400);
    const server = String(details.prompt.details.server);
    const error = await saveSetup(d, server, details.session.accountId, req.body ?? {});
    if (error) return sendPage(res, setupPage({ server, action: `/interaction/${details.uid}/setup`, fields: await setupFieldsOf(d, server, details.session.accountId), error }), 400);
    await d.provider.interactionFinished(req, res, { setup: { server } }, { mergeWithLastSubmission: true });
  });

  mountSetupLinks(app, d);
}
