// `mcp-publish import` while MCP Publish runs on the same data folder: the running instance owns
// the config file (STYLE 17), so the import goes through its admin API, which writes the file and
// serves the new servers at once. Printed like the offline import.
import path from 'node:path';
import type { CliIO } from '../cli.ts';
import type { AppPaths } from '../config/paths.ts';
import { ADMIN_ROUTES, type ImportResult } from './api.ts';
import { adminCall, notRunningMessage, readAdminEndpoint } from './admin-client.ts';

/** Runs the import in the running instance; undefined when none answers here (the caller imports offline). */
export async function importThroughRunning(args: string[], paths: AppPaths, io: CliIO): Promise<number | undefined> {
  const endpoint = await readAdminEndpoint(paths);
  if (!endpoint) return undefined;
  const flags = args.filter((a) => a.startsWith('--'));
  const files = args.filter((a) => !a.startsWith('--')).map((f) => path.resolve(f));
  let result: ImportResult;
  try {
    result = await adminCall<ImportResult>(endpoint, 'POST', ADMIN_ROUTES.import, {
      ...(files.length ? { files } : {}), dryRun: flags.includes('--dry-run'), rename: flags.includes('--rename'),
    });
  } catch (e) {
    io.stderr(notRunningMessage(e));
    return 1;
  }
  for (const r of result.report) {
    io.stdout(`${r.status} ${r.name} (from ${r.source})${r.reason ? `: ${r.reason}` : ''}`);
    for (const note of [...(r.notes ?? []), ...(r.warnings ?? [])]) io.stdout(`  - ${note}`);
  }
  for (const e of result.errors) io.stderr(`${e.source}: ${e.problems.map((p) => (p.path ? `${p.path}: ${p.reason}` : p.reason)).join('; ')}`);
  if (!result.sources.length) io.stdout('found no Claude Desktop, Cursor or VS Code config in the usual places; name one: mcp-publish import <file>');
  io.stdout(result.dryRun ? 'dry run: nothing was changed.'
    : result.applied ? 'saved through the running MCP Publish: the new servers are served now.' : 'nothing new to add.');
  return result.errors.length ? 1 : 0;
}
