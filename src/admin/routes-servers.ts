// Admin routes for the servers: list with what runs, create or replace, delete, test-start, and
// import from Claude Desktop, Cursor or VS Code configs (pasted or from files).
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { ServerConfig } from '../config/schema.ts';
import { ConfigError, describeIssues } from '../config/load.ts';
import { importServers, knownClientConfigs, parseClientConfig, readClientConfig, type ServerCandidate } from '../config/import.ts';
import { ImportRequest, ServerTestRequest, type ImportResult, type ServerView } from './api.ts';
import { AdminError, type AdminDeps, type Routes } from './routing.ts';
import { testAsOwner } from './server-test.ts';
import { serverViews } from './views.ts';
import { commandProblem } from './server-health.ts';

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
const PASTED = 'pasted JSON';

export function serverRoutes(deps: AdminDeps): Routes {
  const { publisher, config, health } = deps;
  const view = (name: string): ServerView => {
    const v = serverViews(publisher, health).find((s) => s.name === name);
    if (!v) throw new AdminError(404, 'not_found', `no server named "${name}"`);
    return v;
  };

  return {
    'GET /api/servers': async () => serverViews(publisher, health),

    'PUT /api/servers/:name': async ({ params, body }) => {
      const entry = await body(z.unknown()); // validated with the whole config, so problems carry its path
      const existed = Object.hasOwn(publisher.currentConfig.mcpServers, params.name!);
      await config.edit((raw) => { raw.mcpServers = { ...(raw.mcpServers ?? {}), [params.name!]: entry }; });
      deps.logger.info({ server: params.name }, 'owner saved a server');
      // The name only: an entry's env and headers may hold secrets.
      deps.activity.recordOwnerAction({ action: existed ? 'server.edited' : 'server.added', target: params.name!, server: params.name! });
      health.checkInBackground(params.name!);
      return view(params.name!);
    },

    'DELETE /api/servers/:name': async ({ params }) => {
      const name = params.name!;
      await config.edit((raw) => {
        if (!raw.mcpServers || !Object.hasOwn(raw.mcpServers, name)) throw new AdminError(404, 'not_found', `no server named "${name}"`);
        const { [name]: _gone, ...rest } = raw.mcpServers;
        raw.mcpServers = rest;
      });
      deps.logger.info({ server: name }, 'owner deleted a server');
      deps.activity.recordOwnerAction({ action: 'server.removed', target: name, server: name });
      return { deleted: name };
    },

    'POST /api/servers/:name/test': async ({ params, body }) => {
      const name = params.name!;
      const { server } = await body(ServerTestRequest);
      let entry: ServerConfig;
      if (server !== undefined) {
        const r = ServerConfig.safeParse(server);
        if (!r.success) throw new ConfigError('invalid_config', undefined, describeIssues(r.error.issues, server, ['mcpServers', name]));
        entry = r.data;
      } else {
        const configured = publisher.currentConfig.mcpServers[name];
        if (!configured) throw new AdminError(404, 'not_found', `no server named "${name}"`);
        entry = configured;
      }
      const { missingUserEnv: _missing, ...result } = await testAsOwner(publisher, name, entry, { name: 'mcp-publish-test', version: VERSION });
      return result;
    },

    'POST /api/import': async ({ body }) => {
      const request = await body(ImportRequest);
      const candidates: ServerCandidate[] = [];
      const errors: ImportResult['errors'] = [];
      const sources: string[] = [];
      const collect = async (source: string, read: () => ServerCandidate[] | Promise<ServerCandidate[]>) => {
        sources.push(source);
        try {
          candidates.push(...await read());
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          errors.push({ source, problems: e.problems });
        }
      };
      if (request.json !== undefined) await collect(PASTED, () => parseClientConfig(request.json!, PASTED));
      const files = request.files?.map((f) => path.resolve(f))
        ?? (request.json === undefined ? await existing(knownClientConfigs().map((l) => l.file)) : []);
      for (const file of files) await collect(file, () => readClientConfig(file));

      let applied = false;
      let report: ImportResult['report'] = [];
      let servers: Record<string, unknown> = {};
      if (request.dryRun) {
        ({ report, config: { mcpServers: servers = {} } } = importServers(await config.raw(), candidates, { rename: request.rename }) as { report: ImportResult['report']; config: { mcpServers?: Record<string, unknown> } });
      } else {
        // Merged inside the edit, so it is computed from the config it is applied to.
        await config.edit((raw) => {
          const merged = importServers(raw, candidates, { rename: request.rename });
          report = merged.report;
          servers = (merged.config.mcpServers ?? {}) as Record<string, unknown>;
          if (!report.some((r) => r.status === 'added')) throw new NothingToAdd();
          Object.assign(raw, merged.config);
        }).then(() => { applied = true; }, (e: unknown) => { if (!(e instanceof NothingToAdd)) throw e; });
      }
      // A server whose program is not on this computer is added all the same (it may be installed
      // later), but the report says so now, and its card says it cannot start.
      report = report.map((r) => {
        const parsed = r.status === 'added' ? ServerConfig.safeParse(servers[r.name]) : undefined;
        const problem = parsed?.success ? commandProblem(parsed.data) : undefined;
        return problem ? { ...r, warnings: [problem] } : r;
      });
      if (applied) {
        deps.logger.info({ added: report.filter((r) => r.status === 'added').map((r) => r.name) }, 'owner imported servers');
        for (const r of report) if (r.status === 'added') health.checkInBackground(r.name);
        for (const r of report) if (r.status === 'added') deps.activity.recordOwnerAction({ action: 'server.added', target: r.name, server: r.name, detail: 'imported' });
      }
      return { dryRun: request.dryRun, applied, sources, report, errors };
    },
  };
}

/** Ends an import edit without applying it: nothing was added. */
class NothingToAdd extends Error {}

async function existing(files: string[]): Promise<string[]> {
  const found = await Promise.all(files.map((f) => fs.stat(f).then((s) => (s.isFile() ? f : ''), () => '')));
  return found.filter(Boolean);
}
