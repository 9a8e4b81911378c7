// The optional OTLP export: a team's collector receives each call as a span (OTLP/HTTP JSON),
// in one batch; with no endpoint nothing is sent; a collector that is away costs one warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OtlpExporter } from '../../src/activity/otlp-export.ts';
import { silentLogger } from '../../src/logging/logger.ts';

const call = (i: number, over: Record<string, unknown> = {}) => ({ at: 1_700_000_000_000 + i, server: 'files', user: 'u1', session: 's1', method: 'tools/call', name: 'read_file', ms: 12.5, ok: true, ...over });

/** A collector on loopback that keeps what it is sent. */
async function collector(): Promise<{ url: string; posts: { path: string; type: string; body: any }[]; close(): Promise<void> }> {
  const posts: { path: string; type: string; body: any }[] = [];
  const server = http.createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    posts.push({ path: req.url!, type: req.headers['content-type'] ?? '', body: JSON.parse(text) });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, posts, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

test('calls reach the collector as spans, in one batch, with the tool, person, duration and error', async () => {
  const c = await collector();
  try {
    const exporter = new OtlpExporter(() => `${c.url}/`, silentLogger());
    exporter.record(call(1));
    exporter.record(call(2, { ok: false, error: 'no such file', name: 'write_file' }));
    await exporter.close();
    assert.equal(c.posts.length, 1);
    assert.equal(c.posts[0]!.path, '/v1/traces');
    assert.match(c.posts[0]!.type, /^application\/json/);
    const [resource] = c.posts[0]!.body.resourceSpans;
    assert.deepEqual(resource.resource.attributes, [{ key: 'service.name', value: { stringValue: 'mcp-publish' } }]);
    const spans = resource.scopeSpans[0].spans;
    assert.deepEqual(spans.map((s: any) => s.name), ['tools/call read_file', 'tools/call write_file']);
    const attrs = Object.fromEntries(spans[0].attributes.map((a: any) => [a.key, a.value.stringValue]));
    assert.deepEqual(attrs, { 'mcp.method.name': 'tools/call', 'mcp.session.id': 's1', 'mcp_publish.server': 'files', 'enduser.id': 'u1', 'gen_ai.tool.name': 'read_file' });
    assert.equal(BigInt(spans[0].endTimeUnixNano) - BigInt(spans[0].startTimeUnixNano), 12_500_000n, '12.5 ms');
    assert.equal(spans[0].endTimeUnixNano, '1700000000001000000');
    assert.deepEqual(spans[1].status, { code: 2, message: 'no such file' });
    assert.match(spans[0].traceId, /^[0-9a-f]{32}$/);
  } finally {
    await c.close();
  }
});

test('with no endpoint nothing is queued; a collector that is away is given up on without throwing', async () => {
  let endpoint: string | undefined;
  const warnings: string[] = [];
  const logger = silentLogger();
  logger.warn = ((_o: unknown, msg: string) => { warnings.push(msg); }) as typeof logger.warn;
  const exporter = new OtlpExporter(() => endpoint, logger);
  exporter.record(call(1));
  await exporter.close();
  assert.deepEqual(warnings, []);
  const c = await collector();
  endpoint = c.url;
  await c.close(); // the collector is gone
  exporter.record(call(2));
  exporter.record(call(3));
  await exporter.flush();
  exporter.record(call(4));
  await exporter.close();
  assert.equal(warnings.length, 1, 'one warning for a streak of failures');
  assert.equal(c.posts.length, 0);
});
