// A Streamable HTTP session driven by hand (fetch), for what the SDK client hides: when an HTTP
// exchange ends, what its body holds, Last-Event-ID, a client that stops reading.

export interface RawSession {
  id: string;
  url: string;
  /** POSTs one message on the session; the response is returned unread. */
  post(message: Record<string, unknown>, headers?: Record<string, string>): Promise<Response>;
  /** A tools/call request body. */
  call(id: number | string, name: string, args?: Record<string, unknown>, meta?: Record<string, unknown>): Record<string, unknown>;
  /** Sends notifications/cancelled for `requestId` (answered 202). */
  cancel(requestId: number | string): Promise<number>;
  /** DELETE: ends the session. */
  close(): Promise<number>;
}

export async function openRawSession(url: string, headers: Record<string, string> = {}, init: { capabilities?: Record<string, unknown>; protocolVersion?: string } = {}): Promise<RawSession> {
  const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers };
  const res = await fetch(url, {
    method: 'POST', headers: base,
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: init.protocolVersion ?? '2025-11-25', capabilities: init.capabilities ?? {}, clientInfo: { name: 'raw', version: '1' } } }),
  });
  const id = res.headers.get('mcp-session-id');
  const body = await res.text();
  if (!id) throw new Error(`initialize failed: ${res.status} ${body}`);
  const version = init.protocolVersion ?? '2025-11-25';
  const withSession = { ...base, 'mcp-session-id': id, 'mcp-protocol-version': version };
  const post = (message: Record<string, unknown>, extra: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { ...withSession, ...extra }, body: JSON.stringify({ jsonrpc: '2.0', ...message }) });
  await (await post({ method: 'notifications/initialized' })).text();
  return {
    id, url, post,
    call: (rpcId, name, args = {}, meta) => ({ id: rpcId, method: 'tools/call', params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) } }),
    async cancel(requestId) {
      const r = await post({ method: 'notifications/cancelled', params: { requestId, reason: 'test' } });
      await r.text();
      return r.status;
    },
    async close() {
      const r = await fetch(url, { method: 'DELETE', headers: withSession });
      await r.text();
      return r.status;
    },
  };
}

/** Every JSON-RPC message in a response body, whether it was sent as JSON or as SSE events. */
export function messagesOf(contentType: string | null, body: string): Array<Record<string, any>> {
  if (contentType?.startsWith('application/json')) return body ? [JSON.parse(body)] : [];
  const out: Array<Record<string, any>> = [];
  for (const event of body.split(/\n\n/)) {
    const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
    if (data) out.push(JSON.parse(data));
  }
  return out;
}

/** The SSE event ids in a body, in order. */
export function eventIdsOf(body: string): string[] {
  return [...body.matchAll(/^id: ?(.*)$/gm)].map((m) => m[1]!);
}

/** Resolves with `p`, or rejects after `ms` saying what did not happen. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); }),
  ]);
}
