// The admin API server (DESIGN §6): 127.0.0.1 on its own port, never tunneled, a per-launch
// random token, Host and Origin checked on every request. Routes come from the route modules,
// typed by the contract in api.ts; errors become answers in one place (routing.ts). Outside
// /api/ it serves the settings UI's static files (ui-files.ts).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logging/logger.ts';
import type { Publisher } from '../publisher.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import type { StateStore } from '../state/state-store.ts';
import { closeServer, listen } from '../gateway/app.ts';
import { ADMIN_ROUTES, type AdminEndpoint, type AdminRoute } from './api.ts';
import { ConfigEditor } from './config-editor.ts';
import { EventStream } from './events.ts';
import { AdminError, compile, errorAnswer, parseBody, readJson, sendJson, type AdminDeps, type CompiledRoute, type RouteContext, type Routes } from './routing.ts';
import { statusRoutes } from './routes-status.ts';
import { serverRoutes } from './routes-servers.ts';
import { accessRoutes } from './routes-access.ts';
import { userRoutes } from './routes-users.ts';
import { clientRoutes } from './routes-clients.ts';
import { publishRoutes } from './routes-publish.ts';
import { inviteRoutes } from './routes-invites.ts';
import { DEFAULT_UI_DIR, serveUiFile } from './ui-files.ts';
import { ServerHealth } from './server-health.ts';
import { adminSessionFile, loadAdminSession, saveAdminSession } from './admin-session.ts';
import { MemoryActivityLog, type ActivityLog } from '../activity/activity-log.ts';
import { FileActivityLog } from '../activity/file-activity-log.ts';
import type { ActivityRecord } from '../sessions/session.ts';
import { activityView } from './views.ts';
import { activityRoutes } from './routes-activity.ts';
import { recordPersonDecisions } from '../activity/owner-actions.ts';
import { OtlpExporter } from '../activity/otlp-export.ts';
import { permissionRoutes } from './routes-permissions.ts';

export interface AdminServerOptions {
  publisher: Publisher;
  logger: Logger;
  /** The config file the publisher saves to (its `configFile`); edits keep the file's own shape. */
  configFile?: string;
  /** The publisher's SecretStore: login client secrets are stored and checked there. */
  secrets?: SecretStore;
  /** The publisher's StateStore: the authorization server's grants and clients. */
  state?: StateStore;
  /** Interval of keep-alive comments on event streams; default 15 s. */
  keepAliveMs?: number;
  /** The built settings UI served at `/`; default renderer/dist (`npm run build:ui`). */
  uiDir?: string;
  /**
   * The app-data folder: the port and token are kept there across restarts (admin-session.ts),
   * so an open settings window reconnects, and the Activity log (src/activity). Default none: a
   * new port and token each start, and the last calls in memory only.
   */
  dataDir?: string;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

export class AdminServer {
  /** The per-launch token (kept across restarts with `sessionFile`); final once `start()` resolved. */
  token = randomBytes(32).toString('base64url');
  private server?: http.Server;
  private readonly routes: { route: CompiledRoute; handle: NonNullable<Routes[AdminRoute]> }[];
  private readonly events: EventStream;
  /** Whether each server can start: the tray reads it too (`statusView(publisher, health)`). */
  readonly health: ServerHealth;
  /** Every finished call, kept across restarts when there is a data folder. */
  readonly activity: ActivityLog;
  /** The calls as spans to `activity.otlpEndpoint`, when one is set. */
  private readonly otlp: OtlpExporter;
  private readonly record = (r: ActivityRecord) => { const view = activityView(this.o.publisher, r); this.activity.append(view); this.otlp.record(view); };
  endpoint?: AdminEndpoint;
  private stopDecisions?: () => void;

  constructor(private readonly o: AdminServerOptions) {
    this.health = new ServerHealth({ publisher: o.publisher, logger: o.logger.child({ component: 'health' }) });
    this.activity = o.dataDir
      ? new FileActivityLog(path.join(o.dataDir, 'activity'), () => o.publisher.currentConfig.activity)
      : new MemoryActivityLog();
    this.otlp = new OtlpExporter(() => o.publisher.currentConfig.activity.otlpEndpoint, o.logger.child({ component: 'otlp' }));
    const deps: AdminDeps = {
      publisher: o.publisher, config: new ConfigEditor(o.publisher, o.configFile),
      secrets: o.secrets, state: o.state, logger: o.logger, health: this.health, activity: this.activity,
    };
    const table: Routes = { ...statusRoutes(deps), ...serverRoutes(deps), ...permissionRoutes(deps), ...accessRoutes(deps), ...userRoutes(deps), ...clientRoutes(deps), ...publishRoutes(deps), ...activityRoutes(deps), ...inviteRoutes(deps) };
    this.routes = (Object.keys(table) as AdminRoute[]).map((key) => ({ route: compile(key), handle: table[key]! as NonNullable<Routes[AdminRoute]> }));
    this.events = new EventStream({ publisher: o.publisher, logger: o.logger, keepAliveMs: o.keepAliveMs, health: this.health });
  }

  /** Listens on `port`, else the port kept in `sessionFile`, else a free one. */
  async start(port?: number): Promise<AdminEndpoint> {
    const sessionFile = this.o.dataDir ? adminSessionFile(this.o.dataDir) : undefined;
    const session = await loadAdminSession(sessionFile);
    this.token = session.token;
    this.server = http.createServer((req, res) => { void this.handle(req, res); });
    let address: AddressInfo;
    try {
      address = await listen(this.server, port ?? session.port ?? 0, '127.0.0.1');
    } catch (e) {
      // The kept port is taken (by another program since): a free one; open windows cannot follow.
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port !== undefined) throw e;
      this.o.logger.warn({ port: session.port }, 'the admin port of the last run is taken; open settings windows must be opened again');
      this.server = http.createServer((req, res) => { void this.handle(req, res); });
      address = await listen(this.server, 0, '127.0.0.1');
    }
    await saveAdminSession(sessionFile, { port: address.port, token: this.token, createdAt: session.createdAt ?? Date.now() });
    this.endpoint = { url: `http://127.0.0.1:${address.port}`, token: this.token, pid: process.pid };
    this.health.start();
    this.o.publisher.on('activity', this.record);
    this.stopDecisions = recordPersonDecisions(this.o.publisher, this.activity);
    this.events.start();
    return this.endpoint;
  }

  /** DNS rebinding: a page of another site that resolved its name to 127.0.0.1 sends its own Host. */
  private hostAllowed(req: IncomingMessage): boolean {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    return LOOPBACK_HOSTS.has(host);
  }

  /** Browsers send Origin on cross-site requests: only our own pages may call us. */
  private originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (!origin) return true;
    const own = this.endpoint?.url;
    return origin === own || origin === own?.replace('127.0.0.1', 'localhost');
  }

  private tokenGiven(req: IncomingMessage, url: URL): boolean {
    const header = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    // EventSource cannot set headers: the token may come in the query, on the events route only.
    const given = Buffer.from(header || (url.pathname === ADMIN_ROUTES.events ? url.searchParams.get('token') ?? '' : ''));
    const want = Buffer.from(this.token);
    return given.length === want.length && timingSafeEqual(given, want);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const forbidden = () => sendJson(res, 403, { error: 'forbidden', message: 'missing or wrong admin token, or a foreign Host or Origin' });
      if (!this.hostAllowed(req) || !this.originAllowed(req)) return forbidden();
      // The settings UI (`home` and its assets): static files with no data in them, so no token.
      const api = url.pathname === '/api' || url.pathname.startsWith('/api/');
      if (!api && (req.method === 'GET' || req.method === 'HEAD')) {
        if (await serveUiFile(req, res, url.pathname, this.o.uiDir ?? DEFAULT_UI_DIR)) return;
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end('not found');
        return;
      }
      if (!this.tokenGiven(req, url)) return forbidden();
      if (url.pathname === ADMIN_ROUTES.events && req.method === 'GET') return this.events.open(res);
      for (const { route, handle } of this.routes) {
        if (route.method !== req.method) continue;
        const m = route.pattern.exec(url.pathname);
        if (!m) continue;
        const params = Object.fromEntries(route.names.map((n, i) => [n, decodeParam(m[i + 1]!)]));
        const ctx: RouteContext = { req, res, params, url, body: async (schema) => parseBody(schema, await readJson(req)) };
        const answer = await handle(ctx);
        if (res.headersSent) return; // the route wrote its own answer (a download)
        if (typeof answer === 'string') res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(answer);
        else sendJson(res, 200, answer);
        return;
      }
      sendJson(res, 404, { error: 'not_found', message: `no route ${req.method} ${url.pathname}` });
    } catch (e) {
      const { status, body } = errorAnswer(e);
      if (status >= 500) this.o.logger.error({ err: body.message, url: req.url?.split('?')[0] }, 'admin request failed');
      if (res.headersSent) res.end();
      else sendJson(res, status, body);
    }
  }

  async stop(): Promise<void> {
    this.health.stop();
    this.o.publisher.off('activity', this.record);
    this.stopDecisions?.();
    await this.activity.flush();
    await this.otlp.close();
    this.events.close();
    if (this.server) await closeServer(this.server);
    this.server = undefined;
  }
}

/** A route parameter, percent-decoded; a malformed encoding is the caller's mistake (400). */
function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new AdminError(400, 'bad_request', `the path holds a malformed percent-encoding: ${raw}`);
  }
}
