// A server's permissions as the Tools tab edits them (lists as text, one entry per line or comma),
// and back to the `permissions` setting the API saves (defaults left out).
export type Preset = 'everything' | 'read-only' | 'custom';
export type Everyone = 'everything' | 'read-only' | 'nothing';

export interface RuleDraft { who: string; preset: Preset; tools: string; prompts: string; resources: string }
export interface DenyDraft { who: string; tools: string; prompts: string; resources: string }
export interface PermissionsDraft { everyone: Everyone; allow: RuleDraft[]; deny: DenyDraft[] }

/** Entries of a text field: split on new lines and commas, trimmed, empty ones dropped. */
export function entries(text: string): string[] {
  return text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
}

const joined = (v: unknown) => (Array.isArray(v) ? (v as string[]).join(', ') : '');

export function permissionsDraftOf(permissions: unknown): PermissionsDraft {
  const p = (permissions ?? {}) as Record<string, unknown>;
  const list = (v: unknown) => (Array.isArray(v) ? (v as Record<string, unknown>[]) : []);
  return {
    everyone: (p.everyone as Everyone | undefined) ?? 'everything',
    allow: list(p.allow).map((r) => ({ who: joined(r.who), preset: (r.preset as Preset | undefined) ?? 'custom', tools: joined(r.tools), prompts: joined(r.prompts), resources: joined(r.resources) })),
    deny: list(p.deny).map((r) => ({ who: joined(r.who), tools: joined(r.tools), prompts: joined(r.prompts), resources: joined(r.resources) })),
  };
}

/** The setting to save; null when it says nothing beyond "everyone may use everything". */
export function permissionsOf(d: PermissionsDraft): Record<string, unknown> | null {
  const items = (r: { tools: string; prompts: string; resources: string }) => {
    const out: Record<string, string[]> = {};
    for (const k of ['tools', 'prompts', 'resources'] as const) if (entries(r[k]).length) out[k] = entries(r[k]);
    return out;
  };
  const allow = d.allow.map((r) => ({ who: entries(r.who), preset: r.preset, ...items(r) }));
  const deny = d.deny.map((r) => ({ who: entries(r.who), ...items(r) }));
  if (d.everyone === 'everything' && !allow.length && !deny.length) return null;
  return { ...(d.everyone !== 'everything' ? { everyone: d.everyone } : {}), ...(allow.length ? { allow } : {}), ...(deny.length ? { deny } : {}) };
}

export const PRESET_WORDS: Record<Preset | 'nothing', string> = {
  everything: 'Everything',
  'read-only': 'Read-only tools, every prompt and resource',
  custom: 'Only what is named below',
  nothing: 'Nothing',
};
