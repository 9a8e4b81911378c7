// The page behind a local-account invite link: the invited person sets their password once.
import express, { type Express } from 'express';
import type { LocalAccounts } from '../identity/local-accounts.ts';
import { errorPage, esc, renderPage } from './pages.ts';

function invitePage(action: string, error?: string): string {
  return renderPage({
    title: 'Choose your password', page: 'invite',
    body: `<p class="muted">You were invited to use MCP servers published here. Choose a password for your account (at least 8 characters).</p>
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}<form method="post" action="${esc(action)}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="8" required>
<label for="confirm">Repeat it</label><input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="8" required>
<button type="submit">Save password</button></form>`,
  });
}

export function mountInvitePages(app: Express, local: () => LocalAccounts | undefined): void {
  const headers = { 'cache-control': 'no-store', 'x-frame-options': 'DENY', 'content-security-policy': "frame-ancestors 'none'", 'referrer-policy': 'no-referrer' };
  app.get('/invite/:token', (req, res) => {
    res.set(headers).type('html').send(invitePage(`/invite/${encodeURIComponent(req.params.token)}`));
  });
  app.post('/invite/:token', express.urlencoded({ extended: false, limit: '8kb' }), async (req, res) => {
    res.set(headers).type('html');
    const accounts = local();
    const action = `/invite/${encodeURIComponent(req.params.token)}`;
    const password = String(req.body?.password ?? '');
    if (!accounts) return void res.status(404).send(errorPage('Not available', 'Local accounts are not enabled here.').html);
    if (password !== String(req.body?.confirm ?? '')) return void res.status(400).send(invitePage(action, 'The two passwords differ.'));
    try {
      const profile = await accounts.redeemInvite(req.params.token, password);
      res.send(renderPage({ title: 'Password saved', page: 'invite-done', body: `<p>Your account <b>${esc(profile.email)}</b> is ready. Go back to your app and sign in.</p>` }));
    } catch (e) {
      const err = e as Error & { expose?: boolean };
      res.status(400).send(err.expose ? invitePage(action, err.message) : errorPage('This invite cannot be used', 'It was used already or has expired. Ask for a new one.').html);
    }
  });
}
