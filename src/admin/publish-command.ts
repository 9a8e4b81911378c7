// `mcp-publish publish` / `unpublish`: opens or closes the public URL of the running gateway
// through its admin API, and prints what people paste into their MCP client.
import type { AppPaths } from '../config/paths.ts';
import type { CliIO } from '../cli.ts';
import { ADMIN_ROUTES, type StatusView } from './api.ts';
import { adminCall, notRunningMessage, readAdminEndpoint } from './admin-client.ts';

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
  const endpoint = await readAdminEndpoint(paths);
  if (!endpoint) {
    io.stderr('MCP Publish is not running here (no admin.json). Start it with "mcp-publish serve" (add --publish to publish at once).');
    return 1;
  }
  if (on) io.stderr('Opening the public URL…');
  try {
    describeStatus(await adminCall<StatusView>(endpoint, 'POST', on ? ADMIN_ROUTES.publish : ADMIN_ROUTES.unpublish), io);
    return 0;
  } catch (e) {
    io.stderr(`Could not ${on ? 'publish' : 'unpublish'}: ${notRunningMessage(e)}`);
    return 1;
  }
}
