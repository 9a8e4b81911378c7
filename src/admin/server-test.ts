// "Test" in the settings window: starts a server once on a throwaway multiplexer (never the pool
// that serves clients), as the owner with the owner's userEnv, asks initialize and tools/list,
// stops it, and says what happened: its tools, or why it failed with the last of its stderr.
import { isStdioServer, type ServerConfig } from '../config/schema.ts';
import type { JsonRpcMessage, JsonRpcResponse } from '../jsonrpc/messages.ts';
import { silentLogger } from '../logging/logger.ts';
import { Multiplexer, type MuxClient } from '../upstream/multiplexer.ts';
import { StdioChild } from '../upstream/stdio-child.ts';
import { HttpUpstream } from '../upstream/http-upstream.ts';
import { childEnvironment } from '../upstream/command.ts';
import { UPSTREAM_PROTOCOL_VERSION } from '../upstream/child-pool.ts';
import type { Upstream } from '../upstream/upstream.ts';
import type { ChildRegistry } from '../upstream/child-registry.ts';
import type { Publisher } from '../publisher.ts';
import type { ServerTestResult, ToolView } from './api.ts';

export interface ServerTestOptions {
  /** The owner's own values for the server's userEnv fields. */
  userEnv?: Record<string, string>;
  /** Names of required userEnv fields the owner has not set (the test runs without them). */
  missingUserEnv?: string[];
  /** The record of live children, so a crash of ours cannot leave this one running. */
  registry?: ChildRegistry;
  env?: NodeJS.ProcessEnv;
  /** For starting and for each request; default 30 s. */
  timeoutMs?: number;
  clientInfo: { name: string; version: string };
}

const STDERR_BYTES = 16 * 1024;

/** Tests `entry` (saved as `name` or not) as the owner: with the owner's own userEnv values, when set. */
export async function testAsOwner(publisher: Publisher, name: string, entry: ServerConfig, clientInfo: ServerTestOptions['clientInfo'], timeoutMs?: number): Promise<ServerTestResult & { missingUserEnv: string[] }> {
  const signIn = publisher.signIn;
  const owner = signIn?.users.list().find((u) => u.owner);
  let userEnv: Record<string, string> = {};
  let missing: string[] = [];
  if (isStdioServer(entry) && entry.userEnv.length) {
    userEnv = signIn && owner ? await signIn.userEnv.values(name, owner.id, entry.userEnv) : {};
    missing = entry.userEnv.filter((f) => !f.optional && userEnv[f.name] === undefined).map((f) => f.name);
  }
  const result = await testServer(entry, { userEnv, missingUserEnv: missing, registry: publisher.registry, clientInfo, timeoutMs });
  return { ...result, missingUserEnv: missing };
}
const MAX_TOOL_PAGES = 20;

export async function testServer(config: ServerConfig, o: ServerTestOptions): Promise<ServerTestResult> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  const notes: string[] = [];
  if (o.missingUserEnv?.length) notes.push(`it asks each user for ${o.missingUserEnv.join(', ')}; you have not set ${o.missingUserEnv.length === 1 ? 'it' : 'them'}, so it was started without`);
  let upstream: Upstream | undefined;
  const mux = new Multiplexer({
    createUpstream: () => (upstream = isStdioServer(config)
      ? new StdioChild({
        command: config.command, args: config.args, cwd: config.cwd, registry: o.registry,
        env: childEnvironment(o.env ?? process.env, config.env, o.userEnv ?? {}),
        stderrBytes: STDERR_BYTES, logger: silentLogger(),
      })
      : new HttpUpstream({ url: config.url, headers: config.headers, logger: silentLogger() })),
    logger: silentLogger(),
    protocolVersion: UPSTREAM_PROTOCOL_VERSION,
    clientInfo: o.clientInfo,
    requestTimeoutMs: timeoutMs,
    startTimeoutMs: timeoutMs,
  });
  const started = Date.now();
  try {
    const init = await mux.start();
    const toolDetails = init.capabilities?.tools ? await listTools(mux, timeoutMs) : [];
    if (!init.capabilities?.tools) notes.push('it offers no tools');
    return { ok: true, serverInfo: init.serverInfo ?? {}, protocolVersion: init.protocolVersion, tools: toolDetails.map((t) => t.name), toolDetails, ms: Date.now() - started, notes };
  } catch (e) {
    const exit = mux.lastExit;
    const error = exit && !exit.expected ? `${exit.reason} before it was ready` : (e as Error).message.split('\n')[0]!;
    return { ok: false, error, stderr: upstream?.stderr?.tail(20) ?? '', ms: Date.now() - started, notes };
  } finally {
    await mux.close();
  }
}

/** tools/list through the multiplexer as a one-off client, following `nextCursor`. */
async function listTools(mux: Multiplexer, timeoutMs: number): Promise<ToolView[]> {
  const waiting = new Map<number, (r: JsonRpcResponse) => void>();
  const client: MuxClient = {
    id: 'admin-test',
    deliver(message: JsonRpcMessage) {
      // Requests from the server (sampling, roots) have no one to answer them here: refuse.
      if (!('id' in message) || 'method' in message) return false;
      waiting.get(message.id as number)?.(message);
      return true;
    },
  };
  mux.attach(client);
  const tools: ToolView[] = [];
  let cursor: string | undefined;
  try {
    for (let page = 1; page <= MAX_TOOL_PAGES; page++) {
      const response = await new Promise<JsonRpcResponse>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to tools/list after ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
        waiting.set(page, (r) => { clearTimeout(timer); resolve(r); });
        mux.request(client, { jsonrpc: '2.0', id: page, method: 'tools/list', params: cursor ? { cursor } : {} });
      });
      if (response.error) throw new Error(`tools/list failed: ${response.error.message}`);
      const result = response.result as { tools?: Record<string, unknown>[]; nextCursor?: unknown };
      for (const t of result.tools ?? []) if (t && typeof t.name === 'string') tools.push(toolView(t));
      if (typeof result.nextCursor !== 'string' || !result.nextCursor) break;
      cursor = result.nextCursor;
    }
  } finally {
    mux.detach(client);
  }
  return tools;
}

/** What the Tools tab shows of a tool: its names and what it says of its behaviour. */
function toolView(t: Record<string, unknown>): ToolView {
  const annotations = t.annotations && typeof t.annotations === 'object' ? t.annotations as Record<string, unknown> : undefined;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { name: t.name as string, title: text(t.title) ?? text(annotations?.title), description: text(t.description), ...(annotations ? { annotations } : {}) };
}
