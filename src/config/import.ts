// `mcp-publish import`: brings the `mcpServers` of Claude Desktop, Cursor and VS Code into our
// config (DESIGN §3), merging without ever losing a configured server. Reading the clients' own
// files is client-configs.ts.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, describeIssues, parseConfigText, saveConfig } from './load.ts';
import { Config, ServerConfig } from './schema.ts';
import { knownClientConfigs, readClientConfig, readText, type ServerCandidate } from './client-configs.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export { knownClientConfigs, parseClientConfig, readClientConfig, stripJsonc, type ClientConfigLocation, type ClientId, type ServerCandidate } from './client-configs.ts';

export interface ImportOptions {
  /** Import a server whose name is taken by a different one as `name-2` instead of skipping it; default false. */
  rename?: boolean;
}

export interface ImportReportEntry {
  /** Its name in our config (the new one when renamed). */
  name: string;
  status: 'added' | 'skipped' | 'invalid';
  /** Why it was skipped or is invalid; invalid reasons carry the JSON path in the source file. */
  reason?: string;
  /** The file it came from. */
  source: string;
  /** For added servers: renames, dropped fields, env that looks secret (never its value). */
  notes?: string[];
}

const SECRET_NAME = /TOKEN|KEY|SECRET|PASSWORD/i;

/** JSON with sorted keys, so two servers compare equal whatever order their fields are in. */
function canonical(value: unknown): string {
  const sort = (v: unknown): unknown => Array.isArray(v) ? v.map(sort)
    : isObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])])) : v;
  return JSON.stringify(sort(value));
}

/**
 * Merges candidates into a raw config object (not modified; a new one is returned). Servers
 * already there are kept untouched; each candidate is added, skipped or reported invalid.
 */
export function importServers(current: unknown, candidates: readonly ServerCandidate[], options: ImportOptions = {}): { config: Record<string, unknown>; report: ImportReportEntry[] } {
  const base = isObject(current) ? current : {};
  const existing = isObject(base.mcpServers) ? base.mcpServers : {};
  const servers: Record<string, unknown> = { ...existing };
  const seen = new Map<string, { name: string; source?: string }>(); // canonical form → who has it
  for (const [name, s] of Object.entries(existing)) seen.set(canonical(ServerConfig.safeParse(s).data ?? s), { name });
  const importedFrom = new Map<string, string>();
  const report: ImportReportEntry[] = [];
  for (const c of candidates) {
    const entry = { name: c.name, source: c.source };
    // The record schema checks the name and the entry together, with paths into the source file.
    const parsed = c.problems.length ? undefined : Config.shape.mcpServers.safeParse({ [c.name]: c.server });
    if (!parsed?.success) {
      const problems = parsed ? describeIssues(parsed.error.issues, { [c.name]: c.server }, c.at.slice(0, -1)) : c.problems;
      report.push({ ...entry, status: 'invalid', reason: problems.map((p) => (p.path ? `${p.path}: ${p.reason}` : p.reason)).join('; ') });
      continue;
    }
    const key = canonical(parsed.data[c.name]);
    const twin = seen.get(key);
    if (twin) {
      const reason = twin.source ? `same as "${twin.name}" from ${twin.source}` : twin.name === c.name ? 'already configured' : `already configured as "${twin.name}"`;
      report.push({ ...entry, status: 'skipped', reason });
      continue;
    }
    const notes = [...c.notes];
    let name = c.name;
    if (Object.hasOwn(servers, name)) {
      if (!options.rename) {
        const other = importedFrom.get(name);
        report.push({ ...entry, status: 'skipped', reason: other ? `a different "${name}" came from ${other} (--rename keeps both)` : 'already configured (with different settings; --rename keeps both)' });
        continue;
      }
      const free = (n: number) => `${c.name.slice(0, 63 - String(n).length)}-${n}`; // names: at most 64
      let n = 2;
      while (Object.hasOwn(servers, free(n))) n++;
      name = free(n);
      notes.unshift(`renamed from "${c.name}": that name is taken`);
    }
    const env = (parsed.data[c.name] as { env?: Record<string, string> }).env ?? {};
    for (const k of Object.keys(env)) if (SECRET_NAME.test(k)) notes.push(`env ${k} looks like a secret: consider moving it to userEnv`);
    servers[name] = c.server;
    seen.set(key, { name, source: c.source });
    importedFrom.set(name, c.source);
    report.push({ ...entry, name, status: 'added', ...(notes.length ? { notes } : {}) });
  }
  return { config: { ...base, mcpServers: servers }, report };
}

/** Where runImport writes; each call is whole lines, ending in a newline. */
export interface ImportIo { stdout: (s: string) => void; stderr: (s: string) => void }

export interface RunImportOptions {
  /** Our config file (appPaths().config). */
  configFile: string;
  /** Whose default client locations to look in; default: this machine's. */
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  home?: string;
}

const USAGE = 'usage: mcp-publish import [--dry-run] [--rename] [file...]\n';

const isFile = (file: string) => fs.stat(file).then((s) => s.isFile(), () => false);

/**
 * `mcp-publish import [--dry-run] [--rename] [file...]`. Returns the exit code: 0 when done (even
 * if some entries were invalid), 1 when our config is broken or a client file could not be read
 * (the others are still imported), 2 for an unknown option.
 */
export async function runImport(args: string[], io: ImportIo, options: RunImportOptions): Promise<number> {
  const flags = args.filter((a) => a.startsWith('--'));
  if (flags.includes('--help')) { io.stdout(USAGE); return 0; }
  const bad = flags.find((f) => f !== '--dry-run' && f !== '--rename');
  if (bad) { io.stderr(`unknown option ${bad}\n${USAGE}`); return 2; }
  const dryRun = flags.includes('--dry-run');
  // DESIGN §3: a broken config is refused with its path and reason, and never overwritten.
  let current: unknown = {};
  let text: string | undefined;
  try {
    text = await readText(options.configFile);
    if (text !== undefined) { parseConfigText(text, options.configFile); current = JSON.parse(text); }
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.stderr(`${e.message}\nfix ${options.configFile} first; nothing was imported\n`);
    return 1;
  }
  const given = args.filter((a) => !a.startsWith('--')).map((f) => path.resolve(f));
  const known = knownClientConfigs(options.platform, options.env, options.home).map((l) => l.file);
  const files = given.length ? given : (await Promise.all(known.map(async (f) => ((await isFile(f)) ? f : '')))).filter(Boolean);
  if (!files.length) {
    io.stdout('found no Claude Desktop, Cursor or VS Code config in the usual places; name one: mcp-publish import <file>\n');
    return 0;
  }
  let failed = false;
  const candidates: ServerCandidate[] = [];
  for (const file of files) {
    try {
      const found = await readClientConfig(file);
      if (!found.length) io.stdout(`${file}: no MCP servers in it\n`);
      candidates.push(...found);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      io.stderr(`${e.message}\n`);
      failed = true;
    }
  }
  const { config, report } = importServers(current, candidates, { rename: flags.includes('--rename') });
  for (const r of report) {
    io.stdout(`${r.status} ${r.name} (from ${r.source})${r.reason ? `: ${r.reason}` : ''}\n`);
    for (const note of r.notes ?? []) io.stdout(`  - ${note}\n`);
  }
  const added = report.filter((r) => r.status === 'added').length;
  const servers = `${added} server${added === 1 ? '' : 's'}`;
  if (!added) io.stdout('nothing to add; config unchanged\n');
  else if (dryRun) io.stdout(`dry run: would add ${servers} to ${options.configFile}; nothing saved\n`);
  else {
    try {
      await saveConfig(options.configFile, config);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      io.stderr(`${e.message}\nnothing was saved\n`);
      return 1;
    }
    io.stdout(`added ${servers} to ${options.configFile}${text !== undefined ? ` (previous version kept as ${options.configFile}.bak)` : ''}\n`);
  }
  return failed ? 1 : 0;
}
