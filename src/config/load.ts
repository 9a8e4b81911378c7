// Loading and saving the config file (DESIGN §3): an invalid file is refused with the JSON path
// and a readable reason and is never overwritten; saves are atomic and keep a `.bak`.
import type { z } from 'zod';
import { Config } from './schema.ts';
import { readFileIfExists, writeFileAtomic } from './atomic-file.ts';

export type ConfigErrorCode = 'invalid_json' | 'invalid_config' | 'unreadable';

export interface ConfigProblem {
  /** JSON path in the file, e.g. `mcpServers.github.args[0]`; empty for the whole file. */
  path: string;
  /** Why it is wrong, in plain words. */
  reason: string;
}

/** A config file that cannot be used. `problems` lists each path and reason. */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly file: string | undefined;
  readonly problems: ConfigProblem[];
  constructor(code: ConfigErrorCode, file: string | undefined, problems: ConfigProblem[], options?: { cause?: unknown }) {
    const where = file ? `${file}: ` : '';
    super(`${where}${problems.map((p) => (p.path ? `${p.path}: ${p.reason}` : p.reason)).join('; ')}`, options);
    this.name = 'ConfigError';
    this.code = code;
    this.file = file;
    this.problems = problems;
  }
}

/** `a.b[0].c` from zod's path array. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(part))) out += (out ? '.' : '') + String(part);
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

/** Turns zod issues into path + reason, picking the branch of a server entry the user meant. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown, base: readonly PropertyKey[] = []): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_union') {
      const value = valueAt(input, issue.path);
      const branches = issue.errors;
      let pick: readonly z.core.$ZodIssue[] | undefined;
      if (value && typeof value === 'object' && 'command' in value) pick = branches[0];
      else if (value && typeof value === 'object' && 'url' in value) pick = branches[1];
      if (pick) out.push(...describeIssues(pick, value, path));
      else out.push({ path: formatPath(path), reason: 'a server needs either "command" (a program to run) or "url" (a local HTTP MCP server)' });
    } else if (issue.code === 'invalid_key') {
      out.push({ path: formatPath(path), reason: issue.issues[0]?.message ?? issue.message });
    } else if (issue.code === 'unrecognized_keys') {
      out.push({ path: formatPath(path), reason: `unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}` });
    } else {
      out.push({ path: formatPath(path), reason: issue.message.replace(/^Invalid input: /, '') });
    }
  }
  return out;
}

/** Validates parsed JSON as a config, or throws ConfigError with every problem. */
export function parseConfig(data: unknown, file?: string): Config {
  const result = Config.safeParse(data);
  if (!result.success) throw new ConfigError('invalid_config', file, describeIssues(result.error.issues, data));
  return result.data;
}

/** Parses the text of a config file. JSON errors name the line and column. */
export function parseConfigText(text: string, file?: string): Config {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const pos = /position (\d+)/.exec(message);
    let where = '';
    if (pos) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split('\n').length;
      where = ` (line ${line}, column ${Number(pos[1]) - before.lastIndexOf('\n')})`;
    }
    throw new ConfigError('invalid_json', file, [{ path: '', reason: `not valid JSON${where}: ${message}` }], { cause: e });
  }
  return parseConfig(data, file);
}

/** Loads the config file; returns undefined when there is none. Never writes. */
export async function loadConfig(file: string): Promise<Config | undefined> {
  let text: string | undefined;
  try {
    text = await readFileIfExists(file);
  } catch (e) {
    throw new ConfigError('unreadable', file, [{ path: '', reason: `cannot read it: ${(e as Error).message}` }], { cause: e });
  }
  if (text === undefined) return undefined;
  return parseConfigText(text, file);
}

/** Validates and writes the config atomically, keeping the previous file as `.bak`. */
export async function saveConfig(file: string, config: unknown): Promise<Config> {
  const valid = parseConfig(config, file);
  await writeFileAtomic(file, JSON.stringify(config, null, 2) + '\n', { backup: true, mode: 0o600 });
  return valid;
}
