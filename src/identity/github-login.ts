// Sign-in with a GitHub OAuth app (DESIGN §4 step 3): the web flow with state and PKCE, then
// who the person is from the REST API — id, login, verified primary email, orgs and teams.
// Base URLs are settings, so GitHub Enterprise Server (and the tests' fake) work alike.
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from '../logging/logger.ts';
import { LoginError } from './login-error.ts';
import { callbackParams, checkState, type LoginProvider, type LoginStart, type PendingLogin } from './login-provider.ts';
import type { LoginProfile } from './profile.ts';

export interface GithubLoginOptions {
  clientId: string;
  /** Resolved from the SecretStore by the caller. */
  clientSecret: string;
  /** Where people authorize; default https://github.com. */
  baseUrl?: string;
  /** The REST API; default https://api.github.com (GitHub Enterprise: https://<host>/api/v3). */
  apiUrl?: string;
  /**
   * Read organizations and teams (asks for the `read:org` scope); default false. Turn on when
   * the allow list names GitHub orgs or teams.
   */
  readOrgs?: boolean;
  /** Button text; default "Sign in with GitHub". */
  label?: string;
  /** Milliseconds for each request to GitHub; default 15 000. */
  timeoutMs?: number;
  logger?: Logger;
}

/** Pages of orgs or teams read at most (100 each). */
const MAX_PAGES = 10;

export class GithubLogin implements LoginProvider {
  readonly id = 'github' as const;
  readonly label: string;
  readonly #options: GithubLoginOptions;
  readonly #base: string;
  readonly #api: string;

  constructor(options: GithubLoginOptions) {
    this.#options = options;
    this.#base = (options.baseUrl ?? 'https://github.com').replace(/\/+$/, '');
    this.#api = (options.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '');
    this.label = options.label ?? 'Sign in with GitHub';
  }

  async start(redirectUri: string): Promise<LoginStart> {
    const codeVerifier = randomBytes(32).toString('base64url');
    const pending: PendingLogin = { provider: 'github', state: randomBytes(32).toString('base64url'), codeVerifier, redirectUri, createdAt: Date.now() };
    const url = new URL(`${this.#base}/login/oauth/authorize`);
    url.searchParams.set('client_id', this.#options.clientId);
    url.searchParams.set('redirect_uri', redirectUri);
    url.searchParams.set('scope', this.#options.readOrgs ? 'read:user user:email read:org' : 'read:user user:email');
    url.searchParams.set('state', pending.state);
    // RFC 7636 S256; GitHub checks it since 2025, older Enterprise servers ignore it.
    url.searchParams.set('code_challenge', createHash('sha256').update(codeVerifier).digest('base64url'));
    url.searchParams.set('code_challenge_method', 'S256');
    return { url, pending };
  }

  async finish(callback: URL | URLSearchParams, pending: PendingLogin): Promise<LoginProfile> {
    const params = callbackParams(callback);
    checkState('github', params, pending);
    const error = params.get('error');
    if (error) {
      const description = params.get('error_description') ?? undefined;
      throw new LoginError('github', 'idp_error', `The sign-in with GitHub was not completed: ${description ?? error}.`, description === undefined ? { error } : { error, errorDescription: description });
    }
    const code = params.get('code');
    if (!code) throw new LoginError('github', 'idp_error', 'GitHub sent the browser back without a code.');
    const token = await this.#exchange(code, pending);

    const user = await this.#get<{ id: number; login: string; name?: string | null }>(token, '/user');
    const emails = await this.#get<{ email: string; primary: boolean; verified: boolean }[]>(token, '/user/emails');
    const primary = emails.find((e) => e.primary);
    if (!primary || !primary.verified) {
      throw new LoginError('github', 'no_verified_email', 'Your GitHub account has no verified primary email address. Verify it at GitHub (Settings → Emails) and sign in again.');
    }
    const profile: LoginProfile = {
      provider: 'github', subject: String(user.id), email: primary.email, emailVerified: true, name: user.name || user.login, groups: [], githubLogin: user.login,
    };
    if (this.#options.readOrgs) {
      const orgs = await this.#getAll<{ login: string }>(token, '/user/orgs');
      const teams = await this.#getAll<{ slug: string; organization: { login: string } }>(token, '/user/teams');
      profile.githubOrgs = orgs.map((o) => o.login);
      profile.githubTeams = teams.map((t) => `${t.organization.login}/${t.slug}`);
    }
    return profile;
  }

  /** POST /login/oauth/access_token. GitHub answers errors with 200 and `error` in the body. */
  async #exchange(code: string, pending: PendingLogin): Promise<string> {
    const body = new URLSearchParams({
      client_id: this.#options.clientId, client_secret: this.#options.clientSecret, code, redirect_uri: pending.redirectUri, code_verifier: pending.codeVerifier,
    });
    let response: Response;
    let json: { access_token?: string; error?: string; error_description?: string };
    try {
      response = await fetch(`${this.#base}/login/oauth/access_token`, {
        method: 'POST', body, headers: { accept: 'application/json', 'user-agent': 'mcp-publish' }, signal: this.#signal(),
      });
      json = await response.json() as typeof json;
    } catch (e) {
      throw new LoginError('github', 'token_exchange_failed', `cannot reach GitHub's token endpoint: ${(e as Error).message}`, { cause: e });
    }
    if (!response.ok || json.error || typeof json.access_token !== 'string') {
      const fields = { status: response.status, ...(json.error ? { error: json.error } : {}), ...(json.error_description ? { errorDescription: json.error_description } : {}) };
      throw new LoginError('github', 'token_exchange_failed', `GitHub refused the code: ${json.error ?? `HTTP ${response.status}`}${json.error_description ? ` (${json.error_description})` : ''}`, fields);
    }
    return json.access_token;
  }

  async #get<T>(token: string, path: string): Promise<T> {
    return (await this.#request<T>(token, new URL(this.#api + path))).body;
  }

  /** Every page of a list endpoint, following `Link: rel="next"` on the API's own origin only. */
  async #getAll<T>(token: string, path: string): Promise<T[]> {
    const out: T[] = [];
    let url: URL | undefined = new URL(`${this.#api}${path}?per_page=100`);
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const result: { body: T[]; next: URL | undefined } = await this.#request<T[]>(token, url);
      out.push(...result.body);
      // Never send the token elsewhere, whatever the Link header says.
      url = result.next && result.next.origin === new URL(this.#api).origin ? result.next : undefined;
    }
    return out;
  }

  async #request<T>(token: string, url: URL): Promise<{ body: T; next: URL | undefined }> {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'application/vnd.github+json', authorization: `Bearer ${token}`, 'x-github-api-version': '2022-11-28', 'user-agent': 'mcp-publish' },
        signal: this.#signal(),
      });
    } catch (e) {
      throw new LoginError('github', 'api_failed', `cannot reach the GitHub API (${url.pathname}): ${(e as Error).message}`, { cause: e });
    }
    if (!response.ok) {
      await response.body?.cancel();
      this.#options.logger?.warn({ status: response.status, path: url.pathname }, 'GitHub API call failed during sign-in');
      throw new LoginError('github', 'api_failed', `the GitHub API answered ${response.status} to ${url.pathname}`, { status: response.status });
    }
    const link = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
    try {
      return { body: await response.json() as T, next: link ? new URL(link, url) : undefined };
    } catch (e) {
      throw new LoginError('github', 'api_failed', `the GitHub API sent something that is not JSON for ${url.pathname}`, { cause: e });
    }
  }

  #signal(): AbortSignal {
    return AbortSignal.timeout(this.#options.timeoutMs ?? 15_000);
  }
}
