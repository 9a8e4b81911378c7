// `mcp-publish import`: brings the `mcpServers` of Claude Desktop, Cursor and VS Code into our
// config (DESIGN §3). Owns where those clients keep their files, reading them (JSON with
// comments), mapping VS Code's format, and merging without ever losing a configured server.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readFileIfExists } from './atomic-file.ts';
import { ConfigError, type ConfigProblem, describeIssues, formatPath, parseConfigText, saveConfig } from './load.ts';
import { Config, ServerConfig } from './schema.ts';

export type ClientId = 'claude-desktop' | 'cursor' | 'vscode';

export interface ClientConfigLocation {
  client: ClientId;
  /** Absolute path of the client's file; it may not exist. */
  file: string;
}

/** The default config files of the clients we know on `platform`, whether they exist or not. */
export function knownClientConfigs(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): ClientConfigLocation[] {
  // The per-user app-data directory of Electron apps (Claude Desktop, VS Code) on each OS.
  const appData = platform === 'darwin' ? path.join(home, 'Library', 'Application Support')
    : platform === 'win32' ? (env.APPDATA ?? path.join(home, 'AppData', 'Roaming'))
    : (env.XDG_CONFIG_HOME ?? path.join(home, '.config'));
  // VS Code user dir: %APPDATA%\Code\User, ~/Library/Application Support/Code/User, ~/.config/Code/User
  // (https://code.visualstudio.com/docs/getstarted/settings#_settings-file-locations). MCP servers
  // moved from settings.json (`mcp.servers`) to the user mcp.json in VS Code 1.102
  // (https://code.visualstudio.com/docs/copilot/reference/mcp-configuration), so we read both.
  const codeUser = path.join(appData, 'Code', 'User');
  return [
    // macOS ~/Library/Application Support/Claude, Windows %APPDATA%\Claude
    // (https://playwright.dev/mcp/clients/claude-desktop); Linux ~/.config/Claude is where the
    // community builds keep it (there is no official Linux build).
    { client: 'claude-desktop', file: path.join(appData, 'Claude', 'claude_desktop_config.json') },
    // Global Cursor config, ~/.cursor/mcp.json on every OS, %USERPROFILE%\.cursor on Windows
    // (https://cursor.com/docs/mcp).
    { client: 'cursor', file: path.join(home, '.cursor', 'mcp.json') },
    { client: 'vscode', file: path.join(codeUser, 'mcp.json') },
    { client: 'vscode', file: path.join(codeUser, 'settings.json') },
  ];
}

/** One server found in a client's file, mapped to our format but not yet validated. */
export interface ServerCandidate {
  /** Its name: the key in the client's file. */
  name: string;
  /** The entry in our format (VS Code fields mapped or dropped). */
  server: unknown;
  /** The file it came from. */
  source: string;
  /** Where the entry sits in that file, e.g. `["servers", "github"]`; problems are reported there. */
  at: PropertyKey[];
  /** What the mapping changed or dropped, told to the user when it is added. */
  notes: string[];
  /** Why it cannot be imported as written, found while mapping (e.g. `${input:…}` in args). */
  problems: ConfigProblem[];
}

/**
 * JSON with comments and trailing commas (VS Code's settings format) to plain JSON. Comments and
 * dropped commas become spaces, so positions in JSON.parse errors still point into the original.
 */
export function stripJsonc(text: string): string {
  const out = text.split('');
  const blank = (from: number, to: number) => { for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' '; };
  let comma = -1;
  for (let i = 0; i < text.length;) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      i = j + 1;
      comma = -1;
    } else if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) {
      const line = text[i + 1] === '/';
      const end = line ? text.indexOf('\n', i) : text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : line ? end : end + 2;
      blank(i, stop);
      i = stop;
    } else {
      if (c === ',') comma = i;
      else if (c === '}' || c === ']') { if (comma >= 0) out[comma] = ' '; comma = -1; }
      else if (!/\s/.test(c)) comma = -1;
      i++;
    }
  }
  return out.join('');
}

function parseJsonc(text: string, file: string): unknown {
  const plain = stripJsonc(text.replace(/^\uFEFF/, ' '));
  try {
    return JSON.parse(plain);
  } catch (e) {
    const message = (e as Error).message;
    const pos = /position (\d+)/.exec(message);
    const before = pos ? plain.slice(0, Number(pos[1])) : '';
    const where = pos ? ` (line ${before.split('\n').length}, column ${Number(pos[1]) - before.lastIndexOf('\n')})` : '';
    throw new ConfigError('invalid_json', file, [{ path: '', reason: `not valid JSON${where}: ${message}` }], { cause: e });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** VS Code settings we have no counterpart for; dropped and named in the notes. */
const VSCODE_ONLY = ['envFile', 'dev', 'sandboxEnabled', 'sandbox', 'gallery'];
/** Transport names that mean "spawn it" or "Streamable HTTP": both are implied by command/url. */
const PLAIN_TYPES = ['stdio', 'http', 'streamable-http', 'streamableHttp'];
const INPUT = /\$\{input:([^}]+)\}/;

interface VsInput { description?: string; password?: boolean }

/** Every string inside `value`, with its path relative to `value`. */
function strings(value: unknown, at: PropertyKey[] = []): Array<[PropertyKey[], string]> {
  if (typeof value === 'string') return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, [...at, i]));
  if (isObject(value)) return Object.entries(value).flatMap(([k, v]) => strings(v, [...at, k]));
  return [];
}

/** Maps one entry from the Claude/Cursor or VS Code format to ours, noting what it drops. */
function mapEntry(entry: unknown, at: PropertyKey[], inputs: Map<string, VsInput>): Pick<ServerCandidate, 'server' | 'notes' | 'problems'> {
  if (!isObject(entry)) return { server: entry, notes: [], problems: [] };
  const server: Record<string, unknown> = { ...entry };
  const notes: string[] = [];
  const problems: ConfigProblem[] = [];
  const dropped = VSCODE_ONLY.filter((k) => k in server);
  for (const k of dropped) delete server[k];
  if (dropped.length) notes.push(`skipped ${dropped.map((k) => `"${k}"`).join(', ')}: MCP Publish has no such setting`);
  if (server.type === 'sse') problems.push({ path: formatPath([...at, 'type']), reason: 'the legacy SSE transport is not supported: give the server\'s Streamable HTTP URL' });
  else if (typeof server.type === 'string' && PLAIN_TYPES.includes(server.type)) delete server.type;
  if (typeof server.disabled === 'boolean') { server.enabled = !server.disabled; delete server.disabled; }
  if (isObject(server.env)) {
    // VS Code: a whole env value `${input:id}` is asked of the user; ours asks each user (userEnv).
    const env: Record<string, unknown> = {};
    const userEnv: unknown[] = Array.isArray(server.userEnv) ? [...server.userEnv] : [];
    for (const [name, value] of Object.entries(server.env)) {
      const input = typeof value === 'string' ? new RegExp(`^${INPUT.source}$`).exec(value) : null;
      if (input) {
        const def = inputs.get(input[1]!);
        userEnv.push({ name, ...(def?.description ? { label: def.description } : {}), secret: def ? def.password === true : true });
        notes.push(`env ${name} came from VS Code input "${input[1]}": each user is asked for it (userEnv)`);
      } else if (typeof value === 'number' || typeof value === 'boolean') env[name] = String(value);
      else if (value === null) notes.push(`env ${name} is null (VS Code unsets it): dropped`);
      else env[name] = value;
    }
    server.env = env;
    if (userEnv.length) server.userEnv = userEnv;
  }
  for (const [p, s] of strings(server)) {
    const input = INPUT.exec(s);
    if (input) problems.push({ path: formatPath([...at, ...p]), reason: `uses \${input:${input[1]}}, which MCP Publish can only ask for as a whole env value` });
    else for (const v of new Set(s.match(/\$\{[^}]+\}/g) ?? [])) notes.push(`${formatPath(p)} uses ${v}, which MCP Publish passes as written`);
  }
  return { server, notes, problems };
}

/** The server blocks of a client file: `mcpServers` (Claude, Cursor), `servers` (VS Code mcp.json), `mcp.servers` (settings.json). */
function serverBlocks(data: Record<string, unknown>): Array<{ at: PropertyKey[]; servers: Record<string, unknown>; inputs: unknown }> {
  const blocks = [];
  if (isObject(data.mcpServers)) blocks.push({ at: ['mcpServers'], servers: data.mcpServers, inputs: undefined });
  if (isObject(data.servers)) blocks.push({ at: ['servers'], servers: data.servers, inputs: data.inputs });
  if (isObject(data['mcp.servers'])) blocks.push({ at: ['mcp.servers'], servers: data['mcp.servers'], inputs: data['mcp.inputs'] });
  if (isObject(data.mcp) && isObject(data.mcp.servers)) blocks.push({ at: ['mcp', 'servers'], servers: data.mcp.servers, inputs: data.mcp.inputs });
  return blocks;
}

/** A file's text, or undefined when there is none; other failures become ConfigError('unreadable'). */
async function readText(file: string): Promise<string | undefined> {
  return readFileIfExists(file).catch((e: Error) => {
    throw new ConfigError('unreadable', file, [{ path: '', reason: `cannot read it: ${e.message}` }], { cause: e });
  });
}

/** Reads a client's config file and returns the servers in it; throws ConfigError if it cannot. */
export async function readClientConfig(file: string): Promise<ServerCandidate[]> {
  const text = await readText(file);
  if (text === undefined) throw new ConfigError('unreadable', file, [{ path: '', reason: 'no such file' }]);
  return parseClientConfig(text, file);
}

/**
 * The servers in the text of a client's config (`source` names it in the report). Pasted text
 * may also be just the inside of the file (`"mcpServers": {…}` without the outer braces) or
 * only the block of servers (`{ "github": { "command": … } }`). Throws ConfigError if it cannot.
 */
export function parseClientConfig(text: string, source: string): ServerCandidate[] {
  let data: unknown;
  try {
    data = parseJsonc(text, source);
  } catch (e) {
    // `"mcpServers": { … }` copied from a README, without the braces around it.
    if (!/^\s*"/.test(text)) throw e;
    try { data = parseJsonc(`{${text}}`, source); } catch { throw e; }
  }
  if (!isObject(data)) throw new ConfigError('invalid_json', source, [{ path: '', reason: 'not a JSON object' }]);
  const blocks = serverBlocks(data);
  const looksLikeServer = (v: unknown) => isObject(v) && ('command' in v || 'url' in v);
  if (!blocks.length && Object.keys(data).length && Object.values(data).every(looksLikeServer)) blocks.push({ at: [], servers: data, inputs: undefined });
  return blocks.flatMap(({ at, servers, inputs }) => {
    const defs = new Map<string, VsInput>();
    for (const i of Array.isArray(inputs) ? inputs : []) if (isObject(i) && typeof i.id === 'string') defs.set(i.id, i as VsInput);
    return Object.entries(servers).map(([name, entry]) => ({ name, source, at: [...at, name], ...mapEntry(entry, [...at, name], defs) }));
  });
}

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
