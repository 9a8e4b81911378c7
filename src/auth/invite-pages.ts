// The page behind a local-account invite link: the invited person sets their password once.
import express, { type Express, type Response } from 'express';
import { LocalAccountError, type InviteInfo, type LocalAccounts } from '../identity/local-accounts.ts';
import { shownMessage } from '../errors.ts';
import { errorPage, esc, renderPage, sendPage } from './pages.ts';

function invitePage(action: string, info: InviteInfo | undefined, error?: string): string {
  const by = info?.invitedBy ? `${esc(info.invitedBy)} invited you` : 'You were invited';
  return renderPage({
    title: 'Choose your password', page: 'invite', ...(info?.invitedBy ? { owner: info.invitedBy } : {}),
    body: `<p>${by} to use the MCP servers they publish, as <b>${esc(info?.email ?? 'the invited person')}</b>.</p>
<p class="muted">Choose a password for this account (at least 8 characters). This link works once${info ? `, until ${esc(new Date(info.expiresAt).toUTCString().replace(/:\d\d GMT$/, ' UTC'))}` : ''}.</p>
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}<form method="post" action="${esc(action)}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required>
<label for="confirm">Repeat it</label><input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="8" required>
<button type="submit">Save password</button></form>`,
  });
}

export function mountInvitePages(app: Express, local: () => LocalAccounts | undefined): void {
  const unavailable = (res: Response) => sendPage(res, errorPage('Not available', 'Local accounts are not enabled here.').html, 404);
  // A used or expired link says so, rather than offer a form that can only fail.
  const used = (res: Response) => sendPage(res, errorPage('This invite cannot be used', 'It was used already or has expired. Ask for a new one.').html, 410);

  app.get('/invite/:token', async (req, res) => {
    const accounts = local();
    if (!accounts) return unavailable(res);
    if (!(await accounts.inviteUsable(req.params.token))) return used(res);
    sendPage(res, invitePage(`/invite/${encodeURIComponent(req.params.token)}`, await accounts.inviteInfo(req.params.token)));
  });
  app.post('/invite/:token', express.urlencoded({ extended: false, limit: '8kb' }), async (req, res) => {
    const accounts = local();
    const action = `/invite/${encodeURIComponent(req.params.token)}`;
    const password = String(req.body?.password ?? '');
    if (!accounts) return unavailable(res);
    if (password !== String(req.body?.confirm ?? '')) return sendPage(res, invitePage(action, await accounts.inviteInfo(req.params.token), 'The two passwords differ.'), 400);
    try {
      const profile = await accounts.redeemInvite(req.params.token, password);
      sendPage(res, renderPage({ title: 'Password saved', page: 'invite-done', body: `<p>Your account <b>${esc(profile.email)}</b> is ready. Go back to your app and sign in.</p>` }));
    } catch (e) {
      if (!(e instanceof LocalAccountError) || e.code === 'invalid_invite') return used(res);
      sendPage(res, invitePage(action, await accounts.inviteInfo(req.params.token), shownMessage(e, 'That password cannot be used.')), 400); // weak_password: try another
    }
  });
}
