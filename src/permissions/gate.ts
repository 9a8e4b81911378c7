// Where permissions meet the traffic: the permit of a person on a server (from the current config
// and their user record, so a change takes effect at the next message), the refusal of a request
// outside it before it reaches the child, and the tool facts a read-only rule needs to decide a
// call (learnt from the lists that pass, fetched from the server when a call comes first).
import { ErrorCode, errorResponse, type JsonRpcRequest, type JsonRpcResponse } from '../jsonrpc/messages.ts';
import type { ServerPermissions } from '../config/schema.ts';
import type { Multiplexer, MuxClient } from '../upstream/multiplexer.ts';
import { permitFor, type PermissionPerson, type Permit, type Refusal, type ToolFacts } from './rules.ts';
import { filterList, requestTarget } from './lists.ts';

export interface PermissionGateOptions {
  /** A server's permissions now (undefined: none, everyone may use everything). */
  permissions: (server: string) => ServerPermissions | undefined;
  /** The person behind a user id (undefined for someone unknown: only `everyone` rules apply). */
  person: (user: string) => PermissionPerson | undefined;
  /** Whether emails the IdP did not verify count (`access.login.oidc.trustEmails`). */
  trustEmails?: () => boolean;
  /** How long fetching a server's tool list may take. */
  requestTimeoutMs: number;
}

/** Pages of tools/list fetched at most, when a call needs a tool's facts. */
const MAX_PAGES = 50;

/** The tool facts known of one upstream process. */
interface Catalogue { pid: number | undefined; tools: Map<string, ToolFacts>; complete: boolean; loading?: Promise<void> }

export class PermissionGate {
  private readonly catalogues = new WeakMap<Multiplexer, Catalogue>();
  private fetches = 0;

  constructor(private readonly options: PermissionGateOptions) {}

  /** What `user` may use on `server`, now. */
  permit(server: string, user: string): Permit {
    const permissions = this.options.permissions(server);
    if (!permissions) return permitFor(server, undefined, undefined);
    return permitFor(server, permissions, this.options.person(user), { trustEmails: this.options.trustEmails?.() });
  }

  /**
   * Undefined when `message` may go to the server, else the error answer. A call whose answer
   * depends on the tool's read-only hint may need the server's tool list first (a promise then).
   */
  check(server: string, user: string, message: JsonRpcRequest, mux: Multiplexer, via: MuxClient): JsonRpcResponse | undefined | Promise<JsonRpcResponse | undefined> {
    const target = requestTarget(message);
    if (!target) return undefined;
    const permit = this.permit(server, user);
    if (permit.everything) return undefined;
    const refuse = (r: Refusal | undefined) => (r ? refusal(message, r, server, target) : undefined);
    if (target.kind !== 'tool' || !permit.needsToolFacts) return refuse(permit.check(target.kind, target.name));
    // Named by a rule either way: no need for the tool's facts.
    const without = permit.check('tool', target.name, { annotations: { readOnlyHint: true } });
    if (without) return refuse(without);
    const known = this.known(mux, target.name);
    if (known || this.catalogue(mux).complete) return refuse(permit.check('tool', target.name, known));
    return this.load(mux, via).then(() => refuse(this.permit(server, user).check('tool', target.name, this.known(mux, target.name))));
  }

  /** Cuts a list result down to what `user` may use, learning the tools' facts on the way. */
  filter(server: string, user: string, method: string, result: unknown, mux: Multiplexer): void {
    if (method === 'tools/list') this.learn(mux, result, false);
    filterList(method, result, this.permit(server, user));
  }

  /** The server said its tools changed: what was learnt of them is forgotten. */
  forget(mux: Multiplexer): void {
    this.catalogues.delete(mux);
  }

  private catalogue(mux: Multiplexer): Catalogue {
    let c = this.catalogues.get(mux);
    // A restarted process may be another version of the server: start over.
    if (!c || c.pid !== mux.pid) this.catalogues.set(mux, c = { pid: mux.pid, tools: new Map(), complete: false });
    return c;
  }

  private known(mux: Multiplexer, name: string): ToolFacts | undefined {
    return this.catalogue(mux).tools.get(name);
  }

  private learn(mux: Multiplexer, result: unknown, complete: boolean): void {
    const tools = (result as { tools?: unknown } | undefined)?.tools;
    if (!Array.isArray(tools)) return;
    const c = this.catalogue(mux);
    for (const t of tools) if (t && typeof t === 'object' && typeof (t as { name?: unknown }).name === 'string') c.tools.set((t as { name: string }).name, t as ToolFacts);
    if (complete) c.complete = true;
  }

  /** Reads every page of the server's tool list through `via` (the client whose call needs it). */
  private load(mux: Multiplexer, via: MuxClient): Promise<void> {
    const c = this.catalogue(mux);
    return c.loading ??= (async () => {
      let cursor: string | undefined;
      try {
        for (let page = 0; page < MAX_PAGES; page++) {
          const response = await this.ask(mux, via, cursor);
          if (response.error) return;
          const result = response.result as { nextCursor?: unknown };
          this.learn(mux, result, false);
          if (typeof result.nextCursor !== 'string' || !result.nextCursor) return this.learn(mux, {}, true);
          cursor = result.nextCursor;
        }
      } finally {
        c.loading = undefined;
      }
    })();
  }

  private ask(mux: Multiplexer, via: MuxClient, cursor: string | undefined): Promise<JsonRpcResponse> {
    const id = `mcp-publish/permissions/${++this.fetches}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(errorResponse(id, ErrorCode.RequestTimeout, 'no answer to tools/list')), this.options.requestTimeoutMs);
      mux.request(via, { jsonrpc: '2.0', id, method: 'tools/list', params: cursor ? { cursor } : {} }, (r) => { clearTimeout(timer); resolve(r); });
    });
  }
}

/** The error a refused request gets: it names the server, what was refused and the rule. */
function refusal(message: JsonRpcRequest, r: Refusal, server: string, target: { kind: string; name: string }): JsonRpcResponse {
  return errorResponse(message.id, ErrorCode.PermissionDenied, r.message, { permission: { server, [target.kind]: target.name, rule: r.rule, setting: `mcpServers.${server}.permissions` } });
}
