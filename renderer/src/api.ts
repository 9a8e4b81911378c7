// The typed client of the admin API, the renderer's only way to the core (DESIGN §1). Routes,
// bodies and answers come type-only from the contract (src/admin/api.ts); every failure becomes
// an ApiFailure carrying the API's own `error`, `message` and `problems`.
import type {
  AccessInput, ActivityPage, ActivityStatsView, AccessView, AdminApi, AdminRoute, ApiError, ApiErrorCode, ClientView, ImportRequest, ImportResult,
  InviteView, LocalAccountRequest, ProblemView, PublishSettingsInput, PublishSettingsView, ServerTestResult, ServerView, StatusView, TestSignInRequest,
  StatsWindow, TestSignInResult, UpstreamView, UserAction, UserView, ServerToolsView, PermissionPreview, PermissionPreviewRequest,
} from '../../src/admin/api.ts';

/** The filters of GET activity and activity.csv (times as epoch ms in text). */
export interface ActivityQuery { person?: string; server?: string; tool?: string; result?: string; kind?: string; since?: string; until?: string; before?: string; limit?: string }

/** The contract's codes, plus `unreachable`: the core did not answer at all. */
export type FailureCode = ApiErrorCode | 'unreachable';

export class ApiFailure extends Error {
  constructor(readonly status: number, readonly code: FailureCode, message: string, readonly problems: ProblemView[] = []) {
    super(message);
    this.name = 'ApiFailure';
  }
}

type PathOf<K> = K extends `${string} ${infer P}` ? P : never;
type ParamNames<P> = P extends `${string}:${infer N}/${infer Rest}` ? N | ParamNames<`/${Rest}`> : P extends `${string}:${infer N}` ? N : never;
type Params<K extends AdminRoute> = [ParamNames<PathOf<K>>] extends [never] ? { params?: undefined } : { params: Record<ParamNames<PathOf<K>>, string> };
type Body<K extends AdminRoute> = AdminApi[K] extends { body: infer B } ? { body?: B } : { body?: undefined };
export type Answer<K extends AdminRoute> = AdminApi[K]['answer'];

export class AdminClient {
  /** `base`: the admin API's origin; empty for the page's own. */
  constructor(readonly token: string, readonly base = '') {}

  /** One call of the contract: `route` is its key ("GET /api/servers/:name"). */
  async request<K extends AdminRoute>(route: K, options: Params<K> & Body<K> & { query?: Record<string, string | undefined> } = {} as Params<K> & Body<K> & { query?: undefined }): Promise<Answer<K>> {
    const [method, template] = route.split(' ') as [string, string];
    const params = (options.params ?? {}) as Record<string, string>;
    const query = new URLSearchParams(Object.entries(options.query ?? {}).filter((e): e is [string, string] => Boolean(e[1])));
    const path = template.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(params[name] ?? '')) + (query.size ? `?${query}` : '');
    const hasBody = options.body !== undefined || method === 'POST';
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
        body: hasBody ? JSON.stringify(options.body ?? {}) : undefined,
      });
    } catch {
      throw new ApiFailure(0, 'unreachable', 'MCP Publish is not answering. Is it still running?');
    }
    const text = await res.text();
    const json = parse(text);
    if (!res.ok) {
      const e = (json ?? {}) as Partial<ApiError>;
      throw new ApiFailure(res.status, e.error ?? 'internal', e.message ?? `HTTP ${res.status}`, e.problems ?? []);
    }
    return ((res.headers.get('content-type') ?? '').startsWith('text/plain') ? text : json) as Answer<K>;
  }

  /** The event stream's URL (EventSource cannot send headers, so the token goes in the query). */
  eventsUrl(): string {
    return `${this.base}/api/events?token=${encodeURIComponent(this.token)}`;
  }

  status(): Promise<StatusView> { return this.request('GET /api/status'); }
  publish(): Promise<StatusView> { return this.request('POST /api/publish'); }
  unpublish(): Promise<StatusView> { return this.request('POST /api/unpublish'); }
  publishSettings(): Promise<PublishSettingsView> { return this.request('GET /api/publish/settings'); }
  savePublishSettings(settings: PublishSettingsInput): Promise<PublishSettingsView> { return this.request('PUT /api/publish/settings', { body: settings }); }

  servers(): Promise<ServerView[]> { return this.request('GET /api/servers'); }
  saveServer(name: string, entry: unknown): Promise<ServerView> { return this.request('PUT /api/servers/:name', { params: { name }, body: entry }); }
  deleteServer(name: string): Promise<{ deleted: string }> { return this.request('DELETE /api/servers/:name', { params: { name } }); }
  /** Starts the saved server once, or `server` (an entry not saved yet). */
  testServer(name: string, server?: unknown): Promise<ServerTestResult> {
    return this.request('POST /api/servers/:name/test', { params: { name }, body: server === undefined ? {} : { server } });
  }
  serverTools(name: string, fresh = false): Promise<ServerToolsView> { return this.request('GET /api/servers/:name/tools', { params: { name }, query: { fresh: fresh ? '1' : undefined } }); }
  savePermissions(name: string, permissions: unknown): Promise<ServerView> { return this.request('PUT /api/servers/:name/permissions', { params: { name }, body: permissions }); }
  previewPermissions(name: string, request: PermissionPreviewRequest): Promise<PermissionPreview> { return this.request('POST /api/servers/:name/permissions/preview', { params: { name }, body: request }); }
  importServers(request: ImportRequest): Promise<ImportResult> { return this.request('POST /api/import', { body: request }); }
  /** Kept calls and owner actions, newest first (filters as GET /api/activity takes them). */
  activity(query: ActivityQuery): Promise<ActivityPage> { return this.request('GET /api/activity', { query: { ...query } }); }
  activityStats(window: StatsWindow, server?: string): Promise<ActivityStatsView> { return this.request('GET /api/activity/stats', { query: { window, server } }); }

  /**
   * Every entry matching `query` as a CSV file. Fetched with the token, as every call is (a plain
   * link could not carry it); the page saves the Blob under the name the core gave.
   */
  async activityCsv(query: ActivityQuery): Promise<{ blob: Blob; filename: string }> {
    const q = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => Boolean(e[1])));
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/activity.csv${q.size ? `?${q}` : ''}`, { headers: { authorization: `Bearer ${this.token}` } });
    } catch {
      throw new ApiFailure(0, 'unreachable', 'MCP Publish is not answering. Is it still running?');
    }
    if (!res.ok) {
      const e = (parse(await res.text()) ?? {}) as Partial<ApiError>;
      throw new ApiFailure(res.status, e.error ?? 'internal', e.message ?? `HTTP ${res.status}`, e.problems ?? []);
    }
    const filename = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'activity.csv';
    return { blob: await res.blob(), filename };
  }
  upstreams(): Promise<UpstreamView[]> { return this.request('GET /api/upstreams'); }
  stderr(key: string): Promise<string> { return this.request('GET /api/upstreams/:key/stderr', { params: { key } }); }

  access(): Promise<AccessView> { return this.request('GET /api/access'); }
  saveAccess(access: AccessInput): Promise<AccessView> { return this.request('PUT /api/access', { body: access }); }
  testSignIn(request: TestSignInRequest): Promise<TestSignInResult> { return this.request('POST /api/access/test-sign-in', { body: request }); }

  users(): Promise<UserView[]> { return this.request('GET /api/users'); }
  decide(id: string, action: UserAction): Promise<UserView> { return this.request('POST /api/users/:id/action', { params: { id }, body: { action } }); }
  invite(request: LocalAccountRequest): Promise<InviteView> { return this.request('POST /api/local-accounts', { body: request }); }
  invites(): Promise<InviteView[]> { return this.request('GET /api/invites'); }
  revokeInvite(id: string): Promise<{ revoked: string }> { return this.request('DELETE /api/invites/:id', { params: { id } }); }
  clients(): Promise<ClientView[]> { return this.request('GET /api/clients'); }
  revokeClient(grantId: string): Promise<{ revoked: string }> { return this.request('DELETE /api/clients/:grantId', { params: { grantId } }); }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
