// `mcp-publish publish` / `unpublish`: opens or closes the public URL of the running gateway
// through its admin API, and prints what people paste into their MCP client.
import fs from 'node:fs/promises';
import type { AppPaths } from '../config/paths.ts';
import type { CliIO } from '../cli.ts';
import { ADMIN_ROUTES, type AdminEndpoint, type StatusView } from './api.ts';

/** Prints the public (or local) URL of each server and what the owner should know. */
export function describeStatus(status: StatusView, io: CliIO): void {
  const t = status.tunnel;
  if (t.state === 'online') io.stdout(`Published at ${t.url}`);
  else if (t.state === 'offline') io.stdout(status.published ? `Not online: ${t.reason}` : 'Not published: only this computer can reach the servers.');
  else if (t.state === 'reconnecting') io.stdout(`Reconnecting (attempt ${t.attempt}): ${t.reason}`);
  else io.stdout('Connecting…');
  io.stdout('');
  io.stdout('MCP URLs (paste one into Claude: Settings → Connectors → Add custom connector):');
  for (const s of status.servers) io.stdout(`  ${s.name.padEnd(16)} ${s.publicUrl ?? s.localUrl}`);
  if (t.state === 'online' && t.browserNotice) {
    io.stdout('');
    io.stdout(t.browserNotice);
  }
  if (status.issuerChanged) {
    io.stdout('');
    io.stdout(`The public URL changed (was ${status.issuerChanged.from}). Clients added with the old URL must be added again with the new one; a stable URL (your own subdomain, a named cloudflared tunnel, an ngrok domain) avoids this.`);
  }
}

export async function runPublish(on: boolean, paths: AppPaths, io: CliIO): Promise<number> {
  let endpoint: AdminEndpoint;
  try {
    endpoint = JSON.parse(await fs.readFile(paths.admin, 'utf8')) as AdminEndpoint;
  } catch {
    io.stderr('MCP Publish is not running here (no admin.json). Start it with "mcp-publish serve" (add --publish to publish at once).');
    return 1;
  }
  try {
    if (on) io.stderr('Opening the public URL…');
    const res = await fetch(endpoint.url + (on ? ADMIN_ROUTES.publish : ADMIN_ROUTES.unpublish), {
      method: 'POST', headers: { authorization: `Bearer ${endpoint.token}` },
    });
    const body = await res.json() as StatusView & { message?: string };
    if (!res.ok) {
      io.stderr(`Could not ${on ? 'publish' : 'unpublish'}: ${body.message ?? res.status}`);
      return 1;
    }
    describeStatus(body, io);
    return 0;
  } catch (e) {
    io.stderr(/fetch failed|ECONNREFUSED/.test((e as Error).message) ? 'MCP Publish is not running here (its admin API does not answer).' : (e as Error).message);
    return 1;
  }
}
