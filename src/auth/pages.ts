// The pages a person sees while signing in: sign-in, waiting for the owner, denied, consent,
// per-user setup, errors. Server-rendered HTML, escaped throughout, that works without script;
// the waiting and denied pages add one small script of their own (allowed by its hash, no other).
import { createHash } from 'node:crypto';
import type { Response } from 'express';
import type { SecretStoreKind } from '../secrets/secret-store.ts';

/**
 * The waiting page asks `data-poll` every 3 s whether the owner has decided, and reloads once
 * they have; the denied page goes to `data-go` after `data-seconds`. Without script the pages
 * have a button for each.
 */
const SCRIPT = `(()=>{const m=document.querySelector('main');const p=m.dataset.poll,g=m.dataset.go,n=Number(m.dataset.seconds||0);
const say=(t)=>{const e=document.getElementById('live');if(e)e.textContent=t;};
if(p){const tick=async()=>{try{const r=await fetch(p,{cache:'no-store'});const j=await r.json();if(j.waiting===false){location.reload();return;}
say('Still waiting (checked at '+new Date().toLocaleTimeString()+').');}catch(e){say('Cannot reach the server just now; trying again.');}setTimeout(tick,3000);};setTimeout(tick,3000);}
if(g&&n){setTimeout(()=>{location.href=g;},n*1000);}})();`;
const SCRIPT_HASH = `'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'`;

/** Sends a page: never cached, never framed (clickjacking), no referrer, no script but ours. */
export function sendPage(res: Response, html: string, status = 200): void {
  res.set('cache-control', 'no-store').set('x-frame-options', 'DENY').set('referrer-policy', 'no-referrer')
    .set('content-security-policy', `frame-ancestors 'none'; script-src ${SCRIPT_HASH}; object-src 'none'; base-uri 'none'`);
  res.status(status).type('html').send(html);
}

export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const CSS = `
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f5f7;color:#1d2129}
main{max-width:26rem;margin:8vh auto;background:#fff;border-radius:12px;box-shadow:0 1px 3px #0002;padding:2rem}
h1{font-size:1.3rem;margin:0 0 .3rem}p{margin:.6rem 0}.muted{color:#5f6b7a;font-size:.9rem}
label{display:block;font-weight:600;margin:.9rem 0 .25rem}input{width:100%;padding:.55rem .7rem;border:1px solid #c6ccd5;border-radius:8px;font:inherit}
button,.button{display:inline-block;width:100%;margin-top:1rem;padding:.6rem;border:0;border-radius:8px;background:#2455d6;color:#fff;font:inherit;font-weight:600;cursor:pointer;text-align:center;text-decoration:none}
button.secondary,.button.secondary{background:#e8ebf0;color:#1d2129}.row{display:flex;gap:.6rem}.row>*{flex:1}
.or{text-align:center;color:#5f6b7a;margin:1rem 0 0}.error{background:#fdecec;color:#9b1c1c;padding:.6rem .8rem;border-radius:8px}
.box{background:#f4f6fa;border-radius:8px;padding:.7rem .9rem;margin:.8rem 0}code{font-size:.9em}.brand{font-size:.8rem;color:#5f6b7a;margin-bottom:1rem}
.way-out{border-top:1px solid #e3e6eb;margin-top:1.4rem;padding-top:.8rem;font-size:.9rem}.way-out a{color:#2455d6}
.waiting{display:flex;gap:.6rem;align-items:center}.spinner{width:1rem;height:1rem;border:3px solid #c6ccd5;border-top-color:#2455d6;border-radius:50%;animation:spin 1s linear infinite;flex:none}
@keyframes spin{to{transform:rotate(360deg)}}@media (prefers-reduced-motion:reduce){.spinner{animation:none}}
`;

export interface PageOptions {
  /** Shown in the tab and as the heading. */
  title: string;
  /** Marks the page for tests and scripts: data-page="…". */
  page: string;
  body: string;
  /** Who publishes these servers (the owner's name or email), shown under the brand. */
  owner?: string;
  /** The waiting page: a JSON URL answering `{ waiting }`, asked every 3 s; the page reloads when it is false. */
  pollUrl?: string;
  /** The denied page: go here after `goSeconds`. */
  goUrl?: string;
  goSeconds?: number;
  /** "Not you?": a link that signs in again with another account. */
  switchUrl?: string;
}

export function renderPage(o: PageOptions): string {
  const data = [o.pollUrl ? ` data-poll="${esc(o.pollUrl)}"` : '', o.goUrl ? ` data-go="${esc(o.goUrl)}" data-seconds="${o.goSeconds ?? 5}"` : ''].join('');
  const wayOut = o.switchUrl ? `<p class="way-out">Not you? <a href="${esc(o.switchUrl)}">Sign out and use another account</a></p>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(o.title)} · MCP Publish</title><style>${CSS}</style></head>
<body><main data-page="${esc(o.page)}"${data}><div class="brand">MCP Publish${o.owner ? ` · servers of ${esc(o.owner)}` : ''}</div><h1>${esc(o.title)}</h1>${o.body}${wayOut}</main>${data ? `<script>${SCRIPT}</script>` : ''}</body></html>`;
}

/** What every page of one sign-in shares: who owns the servers, and the way out to another account. */
export interface SignInContext { owner?: string; switchUrl?: string }

export interface LoginPageOptions {
  action: string;
  local: boolean;
  providers: Array<{ href: string; label: string }>;
  clientName: string;
  error?: string;
  email?: string;
}

export function loginPage(o: LoginPageOptions): string {
  const buttons = o.providers.map((p) => `<a class="button secondary" href="${esc(p.href)}">${esc(p.label)}</a>`).join('');
  const form = o.local ? `<form method="post" action="${esc(o.action)}">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required value="${esc(o.email ?? '')}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>` : '';
  return renderPage({
    title: 'Sign in', page: 'login',
    body: `<p class="muted">${esc(o.clientName)} wants to use MCP servers published here. Sign in to continue.</p>
${o.error ? `<p class="error" role="alert">${esc(o.error)}</p>` : ''}${buttons}${buttons && form ? '<p class="or">or</p>' : ''}${form}
${!buttons && !form ? '<p class="error">No way to sign in is configured. Ask the owner to enable one.</p>' : ''}`,
  });
}

export function waitingPage(o: { who: string; pollUrl: string; cancelAction: string; checkUrl: string } & SignInContext): string {
  const owner = o.owner ?? 'the owner';
  return renderPage({
    title: 'Waiting for approval', page: 'pending', owner: o.owner, pollUrl: o.pollUrl, switchUrl: o.switchUrl,
    body: `<p>You are signed in as <b>${esc(o.who)}</b>. ${esc(owner)} has been asked to let you in.</p>
<div class="box waiting" role="status"><span class="spinner" aria-hidden="true"></span><span id="live">Waiting for ${esc(owner)}. Keep this page open: it goes on by itself once they decide.</span></div>
<div class="row"><a class="button secondary" href="${esc(o.checkUrl)}">Check now</a>
<form method="post" action="${esc(o.cancelAction)}"><button class="secondary" type="submit">Cancel</button></form></div>`,
  });
}

/** Shown briefly, then the browser goes on to `action` by itself, which tells the app (`access_denied`), so it stops waiting. */
export function deniedPage(o: { who: string; reason: string; action: string; seconds: number } & SignInContext): string {
  return renderPage({
    title: 'Access denied', page: 'denied', owner: o.owner, goUrl: o.action, goSeconds: o.seconds, switchUrl: o.switchUrl,
    body: `<p>You are signed in as <b>${esc(o.who)}</b>, but this account may not use these servers.</p>
<p class="muted">${esc(o.reason)}</p><p class="muted">If you think this is a mistake, ask ${esc(o.owner ?? 'the person who shared the link')}, or sign in with another account.</p>
<p class="muted" role="status">Going back to the app in ${o.seconds} seconds…</p>
<form method="post" action="${esc(o.action)}"><button class="secondary" type="submit">Back to the app now</button></form>`,
  });
}

export function consentPage(o: { clientName: string; redirectHost: string; server: string; who: string; action: string; warnLocal: boolean } & SignInContext): string {
  return renderPage({
    title: `Allow ${o.clientName}?`, page: 'consent', owner: o.owner, switchUrl: o.switchUrl,
    body: `<p><b>${esc(o.clientName)}</b> wants to use the MCP server <b>${esc(o.server)}</b>${o.owner ? `, published by ${esc(o.owner)},` : ''} as <b>${esc(o.who)}</b>.</p>
<div class="box">Afterwards you will be sent back to <b data-redirect-host>${esc(o.redirectHost)}</b>.</div>
${o.warnLocal ? '<p class="muted">That address is on the computer you are using. Only allow it if you started this sign-in from an app on this computer.</p>' : ''}
<form method="post" action="${esc(o.action)}"><div class="row">
<button class="secondary" name="decision" value="deny" type="submit">Deny</button>
<button name="decision" value="allow" type="submit">Allow</button></div></form>`,
  });
}

export interface SetupField { name: string; label: string; description?: string; secret: boolean; optional: boolean; isSet: boolean }

/** Where a person's secret values are kept, in words that are true for the store in use. */
export function keptIn(kind: SecretStoreKind | undefined, owner = "the owner"): string {
  switch (kind) {
    case 'keychain': return `Secrets are kept in the OS keychain of ${owner}'s computer`;
    case 'encrypted-file': return `Secrets are kept in an encrypted file on ${owner}'s computer (its keychain is not available)`;
    case 'postgres': return `Secrets are kept encrypted in the team's database`;
    case 'memory': return `Secrets are kept in memory only, until MCP Publish stops (you will be asked again then)`;
    default: return `Secrets are kept on ${owner}'s computer`;
  }
}

export function setupPage(o: { server: string; fields: SetupField[]; action: string; error?: string; done?: boolean; keptIn?: string } & SignInContext): string {
  if (o.done) {
    return renderPage({ title: 'Saved', page: 'setup-done', body: `<p>Your settings for <b>${esc(o.server)}</b> are saved. The server restarts with them on your next call.</p><p class="muted">You can close this page.</p>` });
  }
  const inputs = o.fields.map((f) => `<label for="f-${esc(f.name)}">${esc(f.label)}${f.optional ? ' <span class="muted">(optional)</span>' : ''}</label>
<input id="f-${esc(f.name)}" name="${esc(f.name)}" type="${f.secret ? 'password' : 'text'}" autocomplete="off" ${f.optional || f.isSet ? '' : 'required'} placeholder="${f.isSet ? (f.secret ? '•••••• (set; leave empty to keep)' : '(set; leave empty to keep)') : ''}">
${f.description ? `<p class="muted">${esc(f.description)}</p>` : ''}`).join('');
  return renderPage({
    title: `Settings for ${o.server}`, page: 'setup', owner: o.owner, switchUrl: o.switchUrl,
    body: `<p class="muted">This server needs a few values of your own. ${esc(o.keptIn ?? keptIn(undefined))}, and used only for your server process; never in a file or a log in clear.</p>
${o.error ? `<p class="error" role="alert">${esc(o.error)}</p>` : ''}<form method="post" action="${esc(o.action)}">${inputs}<button type="submit">Save</button></form>`,
  });
}

export function errorPage(title: string, message: string, status = 400): { status: number; html: string } {
  return { status, html: renderPage({ title, page: 'error', body: `<p class="error" role="alert">${esc(message)}</p>` }) };
}
