// The MCP side of permissions: what a request names (a tool, a prompt, a resource), lists cut
// down to what a person may use, and the capabilities that say lists can change. Pure functions
// over JSON-RPC messages as they pass (DESIGN §5: rewrite what is needed, nothing else).
import type { JsonRpcRequest } from '../jsonrpc/messages.ts';
import type { ItemKind, Permit, ToolFacts } from './rules.ts';

/** What a client request names, when it names something a permission governs. */
export function requestTarget(message: JsonRpcRequest): { kind: ItemKind; name: string } | undefined {
  const p = message.params;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  switch (message.method) {
    case 'tools/call': { const name = text(p?.name); return name === undefined ? undefined : { kind: 'tool', name }; }
    case 'prompts/get': { const name = text(p?.name); return name === undefined ? undefined : { kind: 'prompt', name }; }
    case 'resources/read':
    case 'resources/subscribe': { const uri = text(p?.uri); return uri === undefined ? undefined : { kind: 'resource', name: uri }; }
    case 'completion/complete': {
      const ref = p?.ref as { type?: unknown; name?: unknown; uri?: unknown } | undefined;
      if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') return { kind: 'prompt', name: ref.name };
      if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') return { kind: 'resource', name: ref.uri };
      return undefined;
    }
    default: return undefined;
  }
}

/** The list each list method answers with, and what names an item of it. */
const LISTS: Record<string, { field: string; kind: ItemKind; key: (item: Record<string, unknown>) => unknown }> = {
  'tools/list': { field: 'tools', kind: 'tool', key: (i) => i.name },
  'prompts/list': { field: 'prompts', kind: 'prompt', key: (i) => i.name },
  'resources/list': { field: 'resources', kind: 'resource', key: (i) => i.uri },
  'resources/templates/list': { field: 'resourceTemplates', kind: 'resource', key: (i) => i.uriTemplate },
};

/** Whether `method` answers with a list that permissions cut down. */
export function isListMethod(method: string): boolean {
  return method in LISTS;
}

/**
 * Removes from a list result (one page of it; `nextCursor` is left as it is) what `permit` does
 * not let its person use. Changes `result` in place.
 */
export function filterList(method: string, result: unknown, permit: Permit): void {
  const list = LISTS[method];
  if (!list || permit.everything || !result || typeof result !== 'object') return;
  const r = result as Record<string, unknown>;
  const items = r[list.field];
  if (!Array.isArray(items)) return;
  r[list.field] = items.filter((item: Record<string, unknown>) => {
    const key = item && typeof item === 'object' ? list.key(item) : undefined;
    return typeof key === 'string' && permit.check(list.kind, key, item as ToolFacts) === undefined;
  });
}

const CAPABILITY_OF: Record<ItemKind, string> = { tool: 'tools', prompt: 'prompts', resource: 'resources' };

/**
 * A server's capabilities as the gateway offers them: every list it has can change (permissions
 * change without a restart, and the gateway then sends list_changed itself).
 */
export function announceListChanges<T extends { capabilities?: Record<string, unknown> }>(init: T): T {
  const capabilities = { ...init.capabilities };
  for (const name of Object.values(CAPABILITY_OF)) {
    const c = capabilities[name];
    if (c && typeof c === 'object') capabilities[name] = { ...c, listChanged: true };
  }
  return { ...init, capabilities };
}

/** Capabilities with the kinds a person may use nothing of left out. */
export function capabilitiesFor(capabilities: Record<string, unknown> | undefined, permit: Permit): Record<string, unknown> {
  const out = { ...capabilities };
  if (permit.everything) return out;
  for (const [kind, name] of Object.entries(CAPABILITY_OF)) if (!permit.mayUseAny(kind as ItemKind)) delete out[name];
  return out;
}

/** The notifications that tell a client what it may use changed. */
export function listChangedNotifications(capabilities: Record<string, unknown> | undefined): { jsonrpc: '2.0'; method: string }[] {
  return Object.entries(CAPABILITY_OF)
    .filter(([, name]) => capabilities?.[name] !== undefined)
    .map(([, name]) => ({ jsonrpc: '2.0' as const, method: `notifications/${name}/list_changed` }));
}

/** After a config change: the sessions of every server whose permissions changed are told to list again. */
export function announcePermissionChanges(before: { mcpServers: Record<string, { permissions?: unknown }> }, after: { mcpServers: Record<string, { permissions?: unknown }> }, pool: { muxesOf(server: string): { initializeResult?: { capabilities?: Record<string, unknown> }; broadcast(m: { jsonrpc: '2.0'; method: string }): void }[] }): void {
  for (const name of Object.keys(after.mcpServers)) {
    if (JSON.stringify(before.mcpServers[name]?.permissions) === JSON.stringify(after.mcpServers[name]?.permissions)) continue;
    for (const mux of pool.muxesOf(name)) for (const n of listChangedNotifications(mux.initializeResult?.capabilities)) mux.broadcast(n);
  }
}
