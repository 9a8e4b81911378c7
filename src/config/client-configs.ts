// The MCP server lists other clients keep (DESIGN §3): where Claude Desktop, Cursor and VS Code
// keep their files, reading them (JSON with comments), and mapping VS Code's format to ours.
import os from 'node:os';
import path from 'node:path';
import { readFileIfExists } from './atomic-file.ts';
import { ConfigError, type ConfigProblem, formatPath } from './load.ts';

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
export async function readText(file: string): Promise<string | undefined> {
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

