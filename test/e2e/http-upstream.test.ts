// A local HTTP MCP server (`url` in the config) published through the gateway: proxied with the
// SDK's client transport, one upstream session per gateway session, and none of the client's
// headers (its token above all) passed on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startGateway, text, type TestGateway } from '../support/gateway.ts';

let upstream: http.Server;
let gw: TestGateway;
const seenHeaders: http.IncomingHttpHeaders[] = [];
const sessions = new Map<string, StreamableHTTPServerTransport>();

before(async () => {
  upstream = http.createServer(async (req, res) => {
    seenHeaders.push(req.headers);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
    const sid = req.headers['mcp-session-id'] as string | undefined;
    let transport = sid ? sessions.get(sid) : undefined;
    if (!transport) {
      if (sid) { res.writeHead(404).end(); return; }
      const server = new McpServer({ name: 'local-http', version: '1.0.0' });
      server.registerTool('whoami', { inputSchema: { note: z.string().optional() } }, async (_args, extra) => ({
        content: [{ type: 'text', text: `session ${extra.sessionId}` }],
      }));
      const t = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (id) => { sessions.set(id, t); } });
      t.onclose = () => { if (t.sessionId) sessions.delete(t.sessionId); };
      await server.connect(t);
      transport = t;
    }
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const port = (upstream.address() as AddressInfo).port;
  gw = await startGateway({ notes: { url: `http://127.0.0.1:${port}/mcp`, headers: { 'x-configured': 'yes' } } });
});

after(async () => {
  await gw.close();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

test('a local HTTP server is published; each gateway session gets its own upstream session', async () => {
  const connect = async () => {
    const c = new Client({ name: 'remote', version: '1' });
    await c.connect(new StreamableHTTPClientTransport(new URL(gw.mcpUrl('notes')), {
      requestInit: { headers: { authorization: 'Bearer client-secret-token', cookie: 'sid=abc', 'x-test-user': 'ana' } },
    }));
    return c;
  };
  const a = await connect();
  const b = await connect();
  const { tools } = await a.listTools();
  assert.deepEqual(tools.map((t) => t.name), ['whoami']);
  const sa = text(await a.callTool({ name: 'whoami', arguments: {} }));
  const sb = text(await b.callTool({ name: 'whoami', arguments: {} }));
  assert.match(sa, /^session /);
  assert.notEqual(sa, sb, 'two gateway sessions, two upstream sessions');
  assert.ok(seenHeaders.length > 0);
  for (const h of seenHeaders) {
    assert.equal(h.authorization, undefined, 'the client token never reaches the upstream');
    assert.equal(h.cookie, undefined);
    assert.equal(h['x-test-user'], undefined);
    assert.equal(h['x-configured'], 'yes', 'configured headers are sent');
  }
  await (a.transport as StreamableHTTPClientTransport).terminateSession();
  await a.close();
  await b.close();
});
