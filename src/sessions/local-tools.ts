// Tools the gateway itself adds to a server's tool list (the `reconfigure` tool of servers with
// per-user env): listed after the server's own tools and answered without the child.

export interface LocalTool {
  /** As it appears in tools/list. */
  definition: { name: string; description: string; inputSchema: Record<string, unknown>; [key: string]: unknown };
  /** The tools/call result. */
  call(args: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** The gateway's tools for a user on a server (none for most servers). */
export type LocalTools = (server: string, user: string) => LocalTool[];

/** Appends local tools to the last page of a tools/list result, skipping names the server uses. */
export function appendLocalTools(result: unknown, tools: readonly LocalTool[]): void {
  const r = result as { tools?: Array<{ name?: string }>; nextCursor?: unknown } | undefined;
  if (!r || !Array.isArray(r.tools) || r.nextCursor !== undefined) return;
  const taken = new Set(r.tools.map((t) => t.name));
  for (const t of tools) if (!taken.has(t.definition.name)) r.tools.push(t.definition);
}

/** The local tool a tools/call names, if any. */
export function findLocalTool(params: Record<string, unknown> | undefined, tools: readonly LocalTool[]): LocalTool | undefined {
  const name = params?.name;
  return typeof name === 'string' ? tools.find((t) => t.definition.name === name) : undefined;
}
