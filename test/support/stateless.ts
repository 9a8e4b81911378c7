// A raw client of the stateless 2026-07-28 revision: the _meta envelope, the headers that must
// agree with the body, and subscriptions/listen streams read event by event.
import { rawPost } from './gateway.ts';

export const STATELESS = '2026-07-28';

export function envelope(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': STATELESS,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { name: 'raw-2026', version: '1' },
    ...extra,
  };
}

/** One request of the revision, with the Mcp-Method (and Mcp-Name) headers it requires. */
export function statelessCall(url: string, method: string, params: Record<string, unknown> = {}, headers: Record<string, string> = {}, meta = envelope()) {
  const named = typeof params.name === 'string' ? params.name : typeof params.uri === 'string' ? params.uri : undefined;
  return rawPost(url, JSON.stringify({ jsonrpc: '2.0', id: 9, method, params: { ...params, _meta: meta } }), {
    'mcp-protocol-version': STATELESS, 'mcp-method': method, ...(named !== undefined && ['tools/call', 'prompts/get', 'resources/read'].includes(method) ? { 'mcp-name': named } : {}), ...headers,
  });
}

/** Opens a subscriptions/listen stream; its messages arrive in `events` as they come. */
export async function openListen(url: string, notifications: Record<string, unknown>, id = 77, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(url, {
    method: 'POST', signal: abort.signal,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': STATELESS, 'mcp-method': 'subscriptions/listen', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'subscriptions/listen', params: { notifications, _meta: envelope() } }),
  });
  const events: Array<Record<string, any>> = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let i: number;
        while ((i = buffer.indexOf('\n\n')) !== -1) {
          const data = buffer.slice(0, i).split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('');
          buffer = buffer.slice(i + 2);
          if (data) events.push(JSON.parse(data));
        }
      }
    } catch { /* aborted */ }
  })();
  const until = async (check: () => boolean, ms = 3000) => {
    const end = Date.now() + ms;
    while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return check();
  };
  return { res, events, until, close: () => abort.abort() };
}
