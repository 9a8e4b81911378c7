// A load client on plain node:http, beside the SDK client (which costs about a millisecond of CPU
// per call and so hides the server's own cost): one MCP session over a keep-alive connection
// pool, POSTs of `tools/call` echo with the session id, protocol version and any auth header,
// and each answer parsed (JSON or SSE) and checked. Also opens idle sessions for the memory phase.
import http from 'node:http';

/** The protocol revision the raw client asks for (every setup serves it). */
export const RAW_PROTOCOL_VERSION = '2025-06-18';
const MESSAGE = 'hello from the benchmark';
const TIMEOUT_MS = 30_000;

/** One HTTP exchange, read to its end. */
export interface RawAnswer { status: number; headers: http.IncomingHttpHeaders; body: string }

/** POSTs (or DELETEs) through `agent`; resolves once the whole response has been read. */
export function request(agent: http.Agent, url: URL, method: 'POST' | 'DELETE', headers: Record<string, string>, body?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent, method, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`${method} ${url.pathname}: no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The JSON-RPC messages of a response body: one JSON value, or the `data:` of each SSE event
 * (events end at a blank line; several `data:` lines of one event are joined with newlines).
 */
export function messagesOf(contentType: string | undefined, body: string): unknown[] {
  if (!body) return [];
  if (contentType?.toLowerCase().startsWith('application/json')) return [JSON.parse(body)];
  if (!contentType?.toLowerCase().startsWith('text/event-stream')) throw new Error(`unexpected content type ${contentType ?? '(none)'}: ${body.slice(0, 200)}`);
  const out: unknown[] = [];
  for (const event of body.split(/\r?\n\r?\n/)) {
    const data = event.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
    if (data.length && data.join('')) out.push(JSON.parse(data.join('\n')));
  }
  return out;
}

/** The response to request `id` in an answer; throws with what came instead. */
export function responseTo(answer: RawAnswer, id: number): { result?: any; error?: any } {
  const found = messagesOf(answer.headers['content-type'], answer.body).find((m) => (m as { id?: unknown }).id === id) as { result?: unknown; error?: unknown } | undefined;
  if (answer.status !== 200 || !found) throw new Error(`request ${id} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
  return found;
}

const BASE_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

export interface RawSessionOptions {
  /** Sent with every request (e.g. `authorization`, `x-bench-user`). */
  headers?: Record<string, string>;
  /** Shared connection pool; default a keep-alive agent of the session's own. */
  agent?: http.Agent;
  /** Connections of the session's own agent; default 16. */
  maxSockets?: number;
  clientName?: string;
}

/** A Streamable HTTP session driven with raw POSTs. */
export class RawMcpSession {
  private nextId = 2;
  private readonly withSession: Record<string, string>;

  private constructor(readonly url: URL, readonly agent: http.Agent, private readonly ownAgent: boolean, headers: Record<string, string>, readonly id: string, readonly protocolVersion: string) {
    this.withSession = { ...BASE_HEADERS, ...headers, 'mcp-session-id': id, 'mcp-protocol-version': protocolVersion };
  }

  /** initialize, then notifications/initialized; resolves with the open session. */
  static async open(url: string | URL, o: RawSessionOptions = {}): Promise<RawMcpSession> {
    const u = new URL(url);
    const own = !o.agent;
    const agent = o.agent ?? new http.Agent({ keepAlive: true, maxSockets: o.maxSockets ?? 16 });
    try {
      const init = await request(agent, u, 'POST', { ...BASE_HEADERS, ...o.headers }, JSON.stringify({
        jsonrpc: '2.0', id: 1, method: 'initialize',
        params: { protocolVersion: RAW_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: o.clientName ?? 'bench-raw', version: '1.0.0' } },
      }));
      const sid = init.headers['mcp-session-id'];
      const r = responseTo(init, 1);
      if (typeof sid !== 'string' || !r.result) throw new Error(`initialize answered ${init.status}: ${init.body.slice(0, 200)}`);
      const session = new RawMcpSession(u, agent, own, o.headers ?? {}, sid, String(r.result.protocolVersion ?? RAW_PROTOCOL_VERSION));
      const note = await request(agent, u, 'POST', session.withSession, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
      if (note.status >= 300) throw new Error(`notifications/initialized answered ${note.status}: ${note.body.slice(0, 200)}`);
      return session;
    } catch (e) {
      if (own) agent.destroy();
      throw e;
    }
  }

  /** One `tools/call` of echo; throws unless the answer is the echo. */
  async echo(): Promise<void> {
    const id = this.nextId++;
    const answer = await request(this.agent, this.url, 'POST', this.withSession, JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { message: MESSAGE } } }));
    const r = responseTo(answer, id);
    const text = (r.result?.content as Array<{ type: string; text?: string }> | undefined)?.find((c) => c.type === 'text')?.text;
    if (text !== `Echo: ${MESSAGE}`) throw new Error(`echo answered ${JSON.stringify(r).slice(0, 200)}`);
  }

  /** DELETE (ends the session), then closes the session's own connections. */
  async close(): Promise<void> {
    await request(this.agent, this.url, 'DELETE', this.withSession).catch(() => undefined);
    if (this.ownAgent) this.agent.destroy();
  }
}
