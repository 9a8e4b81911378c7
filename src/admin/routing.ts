// How an admin route is written and answered: the route table typed by the contract (api.ts),
// the request context, reading a JSON body through a zod schema, and the one mapping of errors
// to HTTP answers (STYLE 3).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { ConfigError, describeIssues } from '../config/load.ts';
import { LoginError } from '../identity/login-error.ts';
import { CodedError } from '../errors.ts';
import { UserDirectoryError } from '../identity/users.ts';
import type { Logger } from '../logging/logger.ts';
import type { Publisher } from '../publisher.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import type { StateStore } from '../state/state-store.ts';
import type { AdminApi, AdminRoute, ApiError, ApiErrorCode, ProblemView } from './api.ts';
import type { ConfigEditor } from './config-editor.ts';
import type { ServerHealth } from './server-health.ts';
import type { ActivityLog } from '../activity/activity-log.ts';
import { inPlainWords } from './problem-words.ts';

/** What the route modules work with. */
export interface AdminDeps {
  publisher: Publisher;
  config: ConfigEditor;
  /** The publisher's SecretStore (client secrets of the logins). */
  secrets?: SecretStore;
  /** The publisher's StateStore (grants and clients of the authorization server). */
  state?: StateStore;
  logger: Logger;
  /** Whether each server can start (checked on save and import, then followed). */
  health: ServerHealth;
  /** The calls kept for the Activity page. */
  activity: ActivityLog;
}

/** An error with its answer: status, code from the contract's list, and optional problems; written for the owner (exposed). */
export class AdminError extends CodedError<ApiErrorCode> {
  constructor(readonly status: number, code: ApiErrorCode, message: string, readonly problems?: ProblemView[]) {
    super(code, message, { expose: true });
  }
}

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The route's `:name` parameters, decoded. */
  params: Record<string, string>;
  url: URL;
  /** The JSON body, validated; a bad one rejects with AdminError `bad_request` (problems by path). */
  body<S extends z.ZodType>(schema: S): Promise<z.infer<S>>;
}

/** One handler per contract route; its answer type is the contract's. */
export type Routes = { [K in AdminRoute]?: (ctx: RouteContext) => Promise<AdminApi[K]['answer']> };

const MAX_BODY = 1024 * 1024 + 64 * 1024;

export async function readJson(req: IncomingMessage): Promise<unknown> {
  // Bytes first, decoded once: a character split across two chunks arrives whole.
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new AdminError(413, 'bad_request', 'the request body is too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AdminError(400, 'bad_request', `the body is not JSON: ${(e as Error).message}`);
  }
}

export function parseBody<S extends z.ZodType>(schema: S, data: unknown): z.infer<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const problems = describeIssues(r.error.issues, data);
  throw new AdminError(400, 'bad_request', problems.map((p) => (p.path ? `${p.path}: ${p.reason}` : p.reason)).join('; '), problems);
}

/** A compiled route: its method, a regex for its path, and its parameter names. */
export interface CompiledRoute { method: string; pattern: RegExp; names: string[]; key: AdminRoute }

export function compile(key: AdminRoute): CompiledRoute {
  const [method, path] = key.split(' ') as [string, string];
  const names: string[] = [];
  const source = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_m, n: string) => { names.push(n); return '([^/]+)'; });
  return { method, pattern: new RegExp(`^${source}$`), names, key };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

/** The one place errors become answers; no stack ever leaves. */
export function errorAnswer(e: unknown): { status: number; body: ApiError } {
  if (e instanceof AdminError) return { status: e.status, body: { error: e.code, message: e.message, ...(e.problems ? { problems: e.problems } : {}) } };
  if (e instanceof ConfigError) {
    // The owner reads these beside the fields they are about: sentences, not the schema's words.
    const problems = inPlainWords(e.problems);
    return { status: 400, body: { error: 'invalid_config', message: `nothing was changed: ${problems.map((p) => (p.path ? `${p.path}: ${p.reason}` : p.reason)).join('; ')}`, problems } };
  }
  if (e instanceof LoginError) return { status: 400, body: { error: 'invalid_config', message: e.message } };
  if (e instanceof UserDirectoryError) {
    return e.code === 'unknown_user' ? { status: 404, body: { error: 'not_found', message: e.message } } : { status: 409, body: { error: e.code, message: e.message } };
  }
  if (e instanceof CodedError && e.expose) return { status: 400, body: { error: 'bad_request', message: e.message } };
  // The owner's own API on loopback: the message helps them and the log has it too; never a stack.
  return { status: 500, body: { error: 'internal', message: (e as Error)?.message ?? String(e) } };
}
