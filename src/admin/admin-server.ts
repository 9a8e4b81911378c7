// The admin API server (DESIGN §6): 127.0.0.1 on its own port, never tunneled, a per-launch
// random token, Host and Origin checked. Users for now (approve, deny, remove, invite); the
// settings window's endpoints join it later.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logging/logger.ts';
import { isStdioServer, type Config } from '../config/schema.ts';
import type { SignIn } from '../sign-in.ts';
import { ADMIN_ROUTES, type AdminEndpoint, type UserAction, type UserView } from './api.ts';
import { closeServer, listen } from '../gateway/app.ts';

export interface AdminServerOptions {
  signIn: () => SignIn | undefined;
  config: () => Config;
  issuer: () => string | undefined;
  logger: Logger;
}

export class AdminServer {
  readonly token = randomBytes(32).toString('base64url');
  private server?: http.Server;
  endpoint?: AdminEndpoint;

  constructor(private readonly o: AdminServerOptions) {}

  async start(port = 0): Promise<AdminEndpoint> {
    this.server = http.createServer((req, res) => { this.handle(req, res).catch((e: Error) => this.fail(res, 500, 'internal', e.message)); });
    const address: AddressInfo = await listen(this.server, port, '127.0.0.1');
    this.endpoint = { url: `http://127.0.0.1:${address.port}`, token: this.token, pid: process.pid };
    return this.endpoint;
  }

  private fail(res: ServerResponse, status: number, error: string, message: string): void {
    if (res.headersSent) return void res.end();
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error, message }));
  }

  private json(res: ServerResponse, body: unknown): void {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  }

  private authorized(req: IncomingMessage): boolean {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (host !== '127.0.0.1' && host !== 'localhost') return false;
    const origin = req.headers.origin;
    if (origin && origin !== this.endpoint?.url && origin !== this.endpoint?.url.replace('127.0.0.1', 'localhost')) return false;
    const given = Buffer.from((req.headers.authorization ?? '').replace(/^Bearer\s+/i, ''));
    const want = Buffer.from(this.token);
    return given.length === want.length && timingSafeEqual(given, want);
  }

  private async body(req: IncomingMessage): Promise<Record<string, unknown>> {
    let text = '';
    for await (const chunk of req) {
      text += chunk;
      if (text.length > 64 * 1024) throw new Error('body too large');
    }
    return text ? JSON.parse(text) as Record<string, unknown> : {};
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.authorized(req)) return this.fail(res, 403, 'forbidden', 'missing or wrong admin token, or a foreign Host or Origin');
    const path = (req.url ?? '/').split('?')[0]!;
    const signIn = this.o.signIn();
    if (path === ADMIN_ROUTES.status && req.method === 'GET') return this.json(res, { issuer: this.o.issuer(), signIn: Boolean(signIn) });
    if (!signIn) return this.fail(res, 409, 'no_sign_in', 'sign-in is not running');
    if (path === ADMIN_ROUTES.users && req.method === 'GET') return this.json(res, await this.users(signIn));
    const action = /^\/api\/users\/([^/]+)\/action$/.exec(path);
    if (action && req.method === 'POST') {
      const what = (await this.body(req)).action as UserAction;
      const id = decodeURIComponent(action[1]!);
      const user = signIn.users.get(id) ?? signIn.users.list().find((u) => u.email?.toLowerCase() === id.toLowerCase());
      if (!user) return this.fail(res, 404, 'unknown_user', `no user "${id}"`);
      const status = what === 'approve' ? 'allowed' : what === 'deny' ? 'denied' : what === 'remove' ? 'removed' : undefined;
      if (!status) return this.fail(res, 400, 'bad_action', 'action must be approve, deny or remove');
      await signIn.users.setStatus(user.id, status, 'owner');
      this.o.logger.info({ user: user.id, status }, 'owner decided');
      return this.json(res, (await this.users(signIn)).find((u) => u.id === user.id));
    }
    if (path === ADMIN_ROUTES.localAccounts && req.method === 'POST') {
      const local = signIn.local;
      if (!local) return this.fail(res, 409, 'local_disabled', 'local accounts are not enabled (access.login.local)');
      const { email, name } = await this.body(req) as { email?: string; name?: string };
      if (!email) return this.fail(res, 400, 'bad_request', 'email is required');
      if (!(await local.get(email))) await local.createAccount({ email, ...(name ? { name } : {}) });
      const token = await local.createInvite(email, 7 * 24 * 3600_000);
      return this.json(res, { email, invite: `${this.o.issuer()}/invite/${token}` });
    }
    this.fail(res, 404, 'not_found', `no route ${req.method} ${path}`);
  }

  private async users(signIn: SignIn): Promise<UserView[]> {
    const servers = this.o.config().mcpServers;
    return Promise.all(signIn.users.list().map(async (u) => {
      const userEnv: Record<string, string[]> = {};
      for (const [name, s] of Object.entries(servers)) {
        if (isStdioServer(s) && s.userEnv.length) userEnv[name] = await signIn.userEnv.setFields(name, u.id, s.userEnv);
      }
      return {
        id: u.id, email: u.email, name: u.name, status: u.status, owner: Boolean(u.owner),
        logins: u.logins.map((l) => `${l.provider}:${l.subject}`), lastLoginAt: u.lastLoginAt, userEnv,
      };
    }));
  }

  async stop(): Promise<void> {
    if (this.server) await closeServer(this.server);
    this.server = undefined;
  }
}
