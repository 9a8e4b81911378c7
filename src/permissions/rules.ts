// Who may use which tools, prompts and resources of a server (issue 14): the `permissions` rules
// of a server as a pure function of the person. The owner sees everything; an allow rule grants,
// a deny rule takes away and wins, as in `access`; someone no allow rule names gets `everyone`.
import type { PermissionRule, ServerPermissions } from '../config/schema.ts';
import { subjectMatches } from '../identity/policy.ts';
import { emailDomain, normalizeEmail, type LoginMethod } from '../identity/profile.ts';

/** What the rules read of a person (a user record has all of it). */
export interface PermissionPerson {
  /** Our user id (`u_…`). */
  id: string;
  owner?: boolean;
  email?: string;
  emailVerified?: boolean;
  groups?: string[];
  githubOrgs?: string[];
  githubTeams?: string[];
  logins?: { provider: LoginMethod; subject: string }[];
}

/** The three kinds of things a server offers. */
export type ItemKind = 'tool' | 'prompt' | 'resource';

/** What a tool says of itself in tools/list (only its annotations matter here). */
export interface ToolFacts {
  annotations?: { readOnlyHint?: unknown };
}

/** Why something is refused: one sentence, and the rule that decided (for the error's data). */
export interface Refusal {
  message: string;
  rule: string;
}

/** What one person may use on one server. */
export interface Permit {
  /** True when nothing is filtered (the owner, or a server without rules that limit this person). */
  readonly everything: boolean;
  /** Undefined when allowed, else why not. `tool` is the tool's own description, when known. */
  check(kind: ItemKind, name: string, tool?: ToolFacts): Refusal | undefined;
  /** Whether a tool's read-only hint decides for this person (then a call needs the tool's facts). */
  readonly needsToolFacts: boolean;
  /** False when no rule could let this person use anything of `kind` (its capability is hidden). */
  mayUseAny(kind: ItemKind): boolean;
}

const EVERYTHING: Permit = { everything: true, needsToolFacts: false, check: () => undefined, mayUseAny: () => true };

const PLURAL = { tool: 'tools', prompt: 'prompts', resource: 'resources' } as const;

/** "*" matches any run of characters; everything else is literal. */
export function globMatches(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const parts = pattern.split('*');
  if (!value.startsWith(parts[0]!) || !value.endsWith(parts.at(-1)!)) return false;
  let at = parts[0]!.length;
  const end = value.length - parts.at(-1)!.length;
  if (at > end) return false;
  for (const middle of parts.slice(1, -1)) {
    const i = value.indexOf(middle, at);
    if (i < 0 || i + middle.length > end) return false;
    at = i + middle.length;
  }
  return true;
}

/** Whether a `who` entry names this person. Emails and domains match only when verified (or `trustEmails`). */
export function whoMatches(entry: string, person: PermissionPerson, trustEmails = false): boolean {
  if (entry === '*') return true;
  const email = person.email && (person.emailVerified === true || trustEmails) ? normalizeEmail(person.email) : undefined;
  if (entry.startsWith('@')) return email !== undefined && emailDomain(email) === entry.slice(1).toLowerCase();
  if (entry.includes('@') && !entry.includes(':')) return email !== undefined && normalizeEmail(entry) === email;
  const colon = entry.indexOf(':');
  const kind = entry.slice(0, colon);
  const value = entry.slice(colon + 1);
  const lower = (list?: string[]) => (list ?? []).map((v) => v.toLowerCase());
  switch (kind) {
    case 'user': return person.id === value;
    case 'group': return (person.groups ?? []).includes(value);
    case 'github-org': return lower(person.githubOrgs).includes(value.toLowerCase());
    case 'github-team': return lower(person.githubTeams).includes(value.toLowerCase());
    default: return (person.logins ?? []).some((l) => subjectMatches(entry, l));
  }
}

function named(rule: { tools: string[]; prompts: string[]; resources: string[] }, kind: ItemKind, name: string): boolean {
  return rule[PLURAL[kind]].some((p) => globMatches(p, name));
}

/** Whether a preset (with the names a rule adds) lets `name` of `kind` be used. */
function grants(preset: PermissionRule['preset'] | 'nothing', rule: Pick<PermissionRule, 'tools' | 'prompts' | 'resources'>, kind: ItemKind, name: string, tool?: ToolFacts): boolean {
  switch (preset) {
    case 'everything': return true;
    case 'nothing': return false;
    case 'read-only': return kind !== 'tool' || tool?.annotations?.readOnlyHint === true || named(rule, kind, name);
    case 'custom': return named(rule, kind, name);
  }
}

const NO_ITEMS = { tools: [], prompts: [], resources: [] };

/** How a refusal names the rules that applied to the person. */
function describeRules(rules: PermissionRule[], everyone: string): string {
  if (!rules.length) return `the rule for everyone else ("${everyone}")`;
  return rules.map((r) => `"${r.preset}" for ${r.who.join(', ')}`).join('; ');
}

/**
 * What `person` may use on `server`, by its `permissions`. Undefined permissions, the owner, or
 * rules that grant this person everything with nothing denied: no filtering at all.
 */
export function permitFor(server: string, permissions: ServerPermissions | undefined, person: PermissionPerson | undefined, options: { trustEmails?: boolean } = {}): Permit {
  if (!permissions || person?.owner) return EVERYTHING;
  const matches = (who: string[]) => person !== undefined && who.some((w) => whoMatches(w, person, options.trustEmails));
  const allow = permissions.allow.filter((r) => matches(r.who));
  const deny = permissions.deny.filter((r) => matches(r.who));
  const presets = allow.length ? allow : [{ who: ['*'], preset: permissions.everyone, ...NO_ITEMS }];
  if (!deny.length && presets.some((r) => r.preset === 'everything')) return EVERYTHING;
  const who = person?.email ?? person?.id ?? 'this person';
  const applied = describeRules(allow, permissions.everyone);
  return {
    everything: false,
    needsToolFacts: presets.some((r) => r.preset === 'read-only'),
    check(kind, name, tool) {
      const denied = deny.find((r) => named(r, kind, name));
      if (denied) {
        return { rule: `deny ${denied.who.join(', ')}`, message: `The permissions of "${server}" do not let ${who} use the ${kind} "${name}": a deny rule for ${denied.who.join(', ')} names it.` };
      }
      if (presets.some((r) => grants(r.preset as PermissionRule['preset'] | 'nothing', r, kind, name, tool))) return undefined;
      const why = kind === 'tool' && presets.some((r) => r.preset === 'read-only') ? ' (it is not marked read-only)' : '';
      return { rule: applied, message: `The permissions of "${server}" do not let ${who} use the ${kind} "${name}"${why}: ${applied}.` };
    },
    mayUseAny(kind) {
      return presets.some((r) => r.preset === 'everything' || r.preset === 'read-only' || (r.preset === 'custom' && r[PLURAL[kind]].length > 0));
    },
  };
}

/** Who the rules let use `name` of `kind` (each allow rule that grants it, and everyone else), and the deny rules that name it. */
export function explain(permissions: ServerPermissions | undefined, kind: ItemKind, name: string, tool?: ToolFacts): { grantedBy: string[]; deniedBy: string[] } {
  if (!permissions) return { grantedBy: ['everyone'], deniedBy: [] };
  const grantedBy = permissions.allow.filter((r) => grants(r.preset, r, kind, name, tool)).map((r) => `${r.who.join(', ')} (${r.preset})`);
  if (grants(permissions.everyone, NO_ITEMS, kind, name, tool)) grantedBy.push(`everyone else (${permissions.everyone})`);
  return { grantedBy, deniedBy: permissions.deny.filter((r) => named(r, kind, name)).map((r) => r.who.join(', ')) };
}
