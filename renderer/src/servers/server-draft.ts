// A server entry as the form edits it (text for lists and maps), and back to the entry the API
// saves: settings the form does not know are kept, and defaults are left out so the config file
// stays as short as the owner wrote it.
import type { ProblemView, ServerView } from '../../../src/admin/api.ts';
import { jsonPath } from '../json-path.ts';

export type Isolation = 'auto' | 'per-user' | 'per-session' | 'shared';

export interface UserEnvDraft { name: string; label: string; description: string; secret: boolean; optional: boolean }

export interface ServerDraft {
  name: string;
  title: string;
  enabled: boolean;
  kind: 'stdio' | 'http';
  command: string;
  /** One argument per line. */
  args: string;
  /** NAME=value per line. */
  env: string;
  cwd: string;
  isolation: Isolation;
  userEnv: UserEnvDraft[];
  url: string;
  /** "Name: value" per line. */
  headers: string;
}

/** Problems of the entry in the form are kept under this path, whatever its name (the API's `mcpServers.<name>`). */
export const SERVER_PATH = 'server';

/** As the config's schema checks names (src/config/schema.ts SERVER_NAME). */
export const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** An API problem about `mcpServers.<name>…` as the form keeps it (`server…`). */
export function relative(p: ProblemView): ProblemView {
  return { ...p, path: p.path.replace(/^mcpServers(\.[A-Za-z_$][\w$]*|\[(?:"(?:[^"\\]|\\.)*")\])?/, SERVER_PATH) };
}

const KNOWN = ['title', 'enabled', 'command', 'args', 'env', 'cwd', 'userEnv', 'isolation', 'url', 'headers', 'type'];

export function emptyDraft(): ServerDraft {
  return { name: '', title: '', enabled: true, kind: 'stdio', command: '', args: '', env: '', cwd: '', isolation: 'auto', userEnv: [], url: '', headers: '' };
}

export function draftOf(server: ServerView): ServerDraft {
  const c = server.config as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const map = (v: unknown, sep: string) => Object.entries((v ?? {}) as Record<string, string>).map(([k, x]) => `${k}${sep}${x}`).join('\n');
  const fields = Array.isArray(c.userEnv) ? (c.userEnv as Record<string, unknown>[]) : [];
  return {
    name: server.name,
    title: str(c.title),
    enabled: c.enabled !== false,
    kind: typeof c.command === 'string' ? 'stdio' : 'http',
    command: str(c.command),
    args: Array.isArray(c.args) ? (c.args as string[]).join('\n') : '',
    env: map(c.env, '='),
    cwd: str(c.cwd),
    isolation: (c.isolation as Isolation | undefined) ?? 'auto',
    userEnv: fields.map((f) => ({ name: str(f.name), label: str(f.label), description: str(f.description), secret: f.secret === true, optional: f.optional === true })),
    url: str(c.url),
    headers: map(c.headers, ': '),
  };
}

/** The entry to save, or the problems found before asking the API (bad lines in the text fields). */
export function entryOf(d: ServerDraft, original?: ServerView): { entry: Record<string, unknown>; problems: ProblemView[] } {
  const at = (...p: (string | number)[]) => jsonPath(SERVER_PATH, ...p);
  const problems: ProblemView[] = [];
  const entry: Record<string, unknown> = {};
  // Settings this form does not show (a newer version's, a client's own) go back as they were.
  for (const [k, v] of Object.entries((original?.config ?? {}) as Record<string, unknown>)) if (!KNOWN.includes(k)) entry[k] = v;
  if (d.title.trim()) entry.title = d.title.trim();
  if (!d.enabled) entry.enabled = false;
  if (d.kind === 'stdio') {
    entry.command = d.command.trim();
    if (!entry.command) problems.push({ path: at('command'), reason: 'Enter the program to run, for example npx, uvx or node' });
    const args = lines(d.args, false);
    if (args.length) entry.args = args;
    const env = pairs(d.env, '=', at('env'), problems, 'NAME=value');
    if (Object.keys(env).length) entry.env = env;
    if (d.cwd.trim()) entry.cwd = d.cwd.trim();
    if (d.isolation !== 'auto') entry.isolation = d.isolation;
    const userEnv = d.userEnv.filter((f) => f.name.trim() || f.label.trim()).map((f) => ({
      name: f.name.trim(),
      ...(f.label.trim() ? { label: f.label.trim() } : {}),
      ...(f.description.trim() ? { description: f.description.trim() } : {}),
      ...(f.secret ? { secret: true } : {}),
      ...(f.optional ? { optional: true } : {}),
    }));
    if (userEnv.length) entry.userEnv = userEnv;
    userEnv.forEach((f, i) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.name)) problems.push({ path: at('userEnv', i, 'name'), reason: 'Enter a variable name: letters, digits and _, not starting with a digit (for example GITHUB_TOKEN)' });
    });
  } else {
    entry.url = d.url.trim();
    if (!/^https?:\/\/[^\s/]+/.test(String(entry.url))) problems.push({ path: at('url'), reason: 'Enter the address of a local MCP server, for example http://127.0.0.1:8080/mcp' });
    const headers = pairs(d.headers, ':', at('headers'), problems, 'Name: value');
    if (Object.keys(headers).length) entry.headers = headers;
  }
  return { entry, problems };
}

/** Non-empty lines; `trim` false keeps an argument's own spaces (but not a line's end). */
function lines(text: string, trim = true): string[] {
  return text.split('\n').map((l) => (trim ? l.trim() : l.replace(/\r$/, ''))).filter((l) => l.trim() !== '');
}

function pairs(text: string, sep: string, path: string, problems: ProblemView[], shape: string): Record<string, string> {
  const out: Record<string, string> = {};
  lines(text).forEach((line, i) => {
    const at = line.indexOf(sep);
    if (at <= 0) problems.push({ path, reason: `Line ${i + 1} ("${line}") is not ${shape}: write one ${shape} per line` });
    else out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  });
  return out;
}

/** The command line as one would type it (quoted where an argument has spaces). */
export function commandLine(config: Record<string, unknown>): string {
  if (typeof config.url === 'string') return config.url;
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return [String(config.command ?? ''), ...((config.args as string[] | undefined) ?? [])].map(quote).join(' ');
}
