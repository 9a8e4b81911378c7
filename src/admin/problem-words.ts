// Config problems in the owner's words (issue 12 #2): each problem keeps its JSON path (so the
// settings window puts it beside its field), and its reason becomes a sentence about that field
// that says what to enter ("Enter the program to run, for example npx"), instead of the schema's
// own words ("Too small: expected string to have >=1 characters"). Also the checks of emails and
// domains in the access lists, which the schema takes as plain strings.
import type { ProblemView } from './api.ts';

/** The last segment of a path: `mcpServers["my server"].userEnv[0].name` → `name`. */
function field(path: string): string {
  return /(?:\.|^)([A-Za-z_$][\w$]*)(?:\[\d+\])?$/.exec(path)?.[1] ?? '';
}

const EMPTY = /expected string to have >=1 character|Too small: expected string/i;

/** Sentences by the field a problem is about (under mcpServers, access.tokens, access.login…). */
const BY_FIELD: { test: RegExp; field: string; say: (reason: string) => string | undefined }[] = [
  { test: /^mcpServers/, field: 'command', say: () => 'Enter the program to run, for example npx, uvx or node' },
  { test: /^mcpServers/, field: 'url', say: () => 'Enter the address of a local MCP server, for example http://127.0.0.1:8080/mcp' },
  { test: /^mcpServers.*\.args\[\d+\]$/, field: 'args', say: () => 'Each argument must be text' },
  { test: /^mcpServers.*\.cwd$/, field: 'cwd', say: () => 'Enter a folder, or leave it empty for your home folder' },
  { test: /^mcpServers.*\.userEnv\[\d+\]\.name$/, field: 'name', say: (r) => EMPTY.test(r) || /environment variable/.test(r)
    ? 'Enter a variable name: letters, digits and _, not starting with a digit (for example GITHUB_TOKEN)' : undefined },
  { test: /^mcpServers/, field: 'isolation', say: () => 'Choose how processes are shared: automatic, one per person, one per session or one for everyone' },
  { test: /^access\.tokens/, field: 'accessTokenMinutes', say: () => 'Enter a whole number of minutes from 1 to 10080 (a week)' },
  { test: /^access\.tokens/, field: 'refreshTokenDays', say: () => 'Enter a whole number of days from 1 to 365' },
  { test: /^access\.login\.oidc/, field: 'issuer', say: () => "Enter your provider's issuer URL, for example https://accounts.google.com" },
  { test: /^access\.login\./, field: 'clientId', say: () => 'Enter the client ID your provider gave you' },
  { test: /^access\.login\.github/, field: 'baseUrl', say: () => 'Enter the address of GitHub, for example https://github.com' },
  { test: /^access\.login\.github/, field: 'apiUrl', say: () => "Enter the address of GitHub's API, for example https://api.github.com" },
];

/** Words for the schema's generic messages, when no sentence for the field is known. */
function generic(reason: string): string {
  if (EMPTY.test(reason)) return 'This cannot be empty';
  if (/Invalid URL|invalid url/i.test(reason)) return 'Enter a full address, starting with https:// (or http:// on this computer)';
  let m = /Too small: expected number to be >=(\d+)/.exec(reason);
  if (m) return `Enter ${m[1]} or more`;
  m = /Too big: expected number to be <=(\d+)/.exec(reason);
  if (m) return `Enter at most ${m[1]}`;
  if (/expected number/.test(reason)) return 'Enter a number';
  if (/expected int/.test(reason)) return 'Enter a whole number';
  if (/expected boolean/.test(reason)) return 'Choose yes or no';
  return reason.charAt(0).toUpperCase() + reason.slice(1);
}

/** A server name the schema refused. */
const NAME_REASON = /server names use/;

export function inPlainWords(problems: readonly ProblemView[]): ProblemView[] {
  return problems.map((p) => {
    if (NAME_REASON.test(p.reason)) return { path: p.path, reason: 'Use letters, digits, ".", "_" and "-" (at most 64), starting with a letter or digit: the name becomes part of its URL' };
    const f = field(p.path);
    for (const rule of BY_FIELD) {
      if (rule.field !== f || !rule.test.test(p.path)) continue;
      const said = rule.say(p.reason);
      if (said) return { path: p.path, reason: said };
    }
    return { path: p.path, reason: generic(p.reason) };
  });
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** Why `value` cannot be in an access list of `kind`, or undefined when it can. */
export function listValueProblem(kind: 'emails' | 'domains', value: string): string | undefined {
  if (kind === 'emails' && !EMAIL.test(value)) return `"${value}" is not an email address: write it as name@example.com`;
  if (kind === 'domains' && !DOMAIN.test(value.replace(/^@/, ''))) return `"${value}" is not a domain: write it as example.com, without @ or https://`;
  return undefined;
}

/** Every email and domain of the allow and deny lists that cannot match anyone, with its path. */
export function accessListProblems(access: unknown): ProblemView[] {
  const out: ProblemView[] = [];
  const a = (access ?? {}) as Record<string, Record<string, unknown> | undefined>;
  for (const list of ['allow', 'deny'] as const) {
    for (const kind of ['emails', 'domains'] as const) {
      const values = a[list]?.[kind];
      if (!Array.isArray(values)) continue;
      values.forEach((v, i) => {
        const problem = typeof v === 'string' ? listValueProblem(kind, v) : undefined;
        if (problem) out.push({ path: `access.${list}.${kind}[${i}]`, reason: problem });
      });
    }
  }
  return out;
}
