// A person at a browser, for sign-in tests without Chromium: follows redirects with a cookie jar
// (one jar per host), reads our pages by their data-page marker and fills their forms as told,
// signs in at the test IdP's own form, and stops at the redirect back to the client. Also an
// SDK OAuthClientProvider whose "browser" is this one.
import { randomBytes } from 'node:crypto';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { rememberSecret } from './log-audit.ts';

export interface Person {
  /** Local account, or which redirect login to click ("oidc", "github"). */
  login: { email: string; password: string } | { via: 'oidc' | 'github'; username?: string; password?: string };
  /** Answer on the consent page; default allow. */
  consent?: 'allow' | 'deny';
  /** Values typed on a setup page. */
  setup?: Record<string, string>;
  /** Called each time the waiting page shows (e.g. the owner approves on round 2). */
  onPending?: (round: number) => Promise<void> | void;
}

export interface Visit {
  /** The URL the flow left to: the client's redirect URI with code or error. */
  final: URL;
  /** Our pages seen, in order. */
  pages: string[];
  /** The last page's HTML (e.g. the denied page). */
  lastHtml: string;
}

export class Browser {
  private jars = new Map<string, Map<string, string>>();

  /** `headers` go with every request (e.g. the X-Forwarded-For a tunnel's edge adds for this person). */
  constructor(readonly headers: Record<string, string> = {}) {}

  private jar(url: URL): Map<string, string> {
    let j = this.jars.get(url.host);
    if (!j) this.jars.set(url.host, (j = new Map()));
    return j;
  }

  async fetch(url: URL, init: RequestInit = {}): Promise<Response> {
    const jar = this.jar(url);
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(this.headers)) if (!headers.has(k)) headers.set(k, v);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\b/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()));
      if (expired || !value) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  }

  /**
   * Walks an authorization from its URL until it leaves for a URL that starts with `until`
   * (the client's redirect URI), acting as `person`. Throws on an unexpected page.
   */
  async authorize(start: URL | string, person: Person, until: (u: URL) => boolean): Promise<Visit> {
    let url = new URL(start);
    let init: RequestInit = {};
    const pages: string[] = [];
    let lastHtml = '';
    let pendingRounds = 0;
    for (let step = 0; step < 60; step++) {
      const res = await this.fetch(url, init);
      if (res.status >= 300 && res.status < 400) {
        await res.arrayBuffer();
        const next = new URL(res.headers.get('location')!, url);
        if (until(next)) return { final: next, pages, lastHtml };
        url = next;
        init = {};
        continue;
      }
      const html = await res.text();
      lastHtml = html;
      const page = /data-page="([^"]+)"/.exec(html)?.[1];
      const action = (name = 'form') => {
        const m = /<form method="post" action="([^"]*)"/.exec(html);
        if (!m) throw new Error(`no ${name} on page ${page}: ${html.slice(0, 300)}`);
        return new URL(m[1]!.replace(/&#38;/g, '&'), url);
      };
      const post = (body: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString() });
      if (page) pages.push(page);
      if (page === 'login') {
        if ('email' in person.login) {
          rememberSecret(person.login.password);
          url = action();
          init = post({ email: person.login.email, password: person.login.password });
        } else {
          const href = new RegExp(`href="([^"]*/start/${person.login.via})"`).exec(html)?.[1];
          if (!href) throw new Error(`no "${person.login.via}" button on the sign-in page`);
          url = new URL(href, url);
          init = {};
        }
        if (pages.filter((p) => p === 'login').length > 2) throw new Error(`sign-in refused: ${text(html)}`);
        continue;
      }
      if (page === 'pending') {
        await person.onPending?.(++pendingRounds);
        if (pendingRounds > 20) throw new Error('still waiting for approval after 20 rounds');
        init = {};
        continue;
      }
      if (page === 'consent') {
        url = action();
        init = post({ decision: person.consent ?? 'allow' });
        continue;
      }
      if (page === 'setup') {
        url = action();
        init = post(person.setup ?? {});
        if (pages.filter((p) => p === 'setup').length > 2) throw new Error(`setup refused: ${text(html)}`);
        continue;
      }
      if (page === 'denied' || page === 'error') return { final: url, pages, lastHtml };
      // The upstream IdP's own sign-in form (test/support/idp.ts).
      if (/name="username"/.test(html) && 'via' in person.login) {
        url = new URL(/action="([^"]+)"/.exec(html)![1]!, url);
        init = post({ username: person.login.username ?? '', password: person.login.password ?? '' });
        continue;
      }
      throw new Error(`unexpected page (${res.status}) at ${url.href}: ${text(html).slice(0, 300)}`);
    }
    throw new Error('too many steps');
  }
}

export function text(html: string): string {
  return html.replace(/<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
}

/** An SDK OAuthClientProvider whose redirect to authorization is carried out by a Browser. */
export class TestOAuthProvider implements OAuthClientProvider {
  client?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier?: string;
  /** The code (or error) of the last authorization. */
  lastCallback?: URL;
  visits: Visit[] = [];

  constructor(
    readonly browser: Browser,
    readonly person: Person,
    readonly redirectUrl = 'http://127.0.0.1:3334/oauth/callback',
    readonly clientMetadataUrl?: string,
    readonly extraMetadata: Partial<OAuthClientMetadata> = {},
  ) {}

  get clientMetadata(): OAuthClientMetadata {
    return { client_name: 'Test MCP client', redirect_uris: [this.redirectUrl], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none', ...this.extraMetadata };
  }
  state() { return randomBytes(8).toString('hex'); }
  clientInformation() { return this.client; }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.client = info;
    rememberSecret((info as { client_secret?: string }).client_secret);
  }
  tokens() { return this.saved; }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
    rememberSecret(tokens.access_token);
    rememberSecret(tokens.refresh_token);
  }
  saveCodeVerifier(v: string) { this.verifier = v; }
  codeVerifier() { return this.verifier!; }
  async redirectToAuthorization(url: URL): Promise<void> {
    const redirect = new URL(this.redirectUrl);
    const visit = await this.browser.authorize(url, this.person, (u) => u.origin === redirect.origin && u.pathname === redirect.pathname);
    this.visits.push(visit);
    this.lastCallback = visit.final;
  }
  /** The authorization code the last visit brought back. */
  get code(): string {
    const code = this.lastCallback?.searchParams.get('code');
    if (!code) throw new Error(`no code: ${this.lastCallback?.href ?? 'no callback'} (pages: ${this.visits.at(-1)?.pages.join(' → ')})`);
    return code;
  }
}
