// How the CLI finds and calls the running gateway's admin API (admin.json in the app-data dir).
import fs from 'node:fs/promises';
import type { AppPaths } from '../config/paths.ts';
import type { AdminEndpoint } from './api.ts';

/** The running gateway's admin endpoint, or undefined when none is running here. */
export async function readAdminEndpoint(paths: AppPaths): Promise<AdminEndpoint | undefined> {
  try {
    return JSON.parse(await fs.readFile(paths.admin, 'utf8')) as AdminEndpoint;
  } catch {
    return undefined;
  }
}

/** Calls the admin API; rejects with the API's own message on an error answer. */
export async function adminCall<T>(endpoint: AdminEndpoint, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(endpoint.url + path, {
    method, headers: { authorization: `Bearer ${endpoint.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json() as T & { error?: string; message?: string };
  if (!res.ok) throw new Error(json.message ?? `admin API answered ${res.status}`);
  return json;
}

/** Plain words for "nothing answers". */
export function notRunningMessage(e: unknown): string {
  const message = (e as Error).message;
  return /fetch failed|ECONNREFUSED/.test(message) ? 'MCP Publish is not running here (its admin API does not answer).' : message;
}
