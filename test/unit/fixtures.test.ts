// Smoke test of the fixture servers in test/fixtures: each is spawned as the gateway would spawn
// it (`node --import tsx <file>`, cwd = repo root) and driven by the SDK's own stdio client.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  CreateMessageRequestSchema, EmptyResultSchema, ListRootsRequestSchema, McpError,
  ResourceUpdatedNotificationSchema, ToolListChangedNotificationSchema,
  type CallToolResult, type ClientCapabilities, type Progress,
} from '@modelcontextprotocol/sdk/types.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const open: Client[] = [];
after(async () => { await Promise.all(open.map((c) => c.close())); });

interface Started { client: Client; transport: StdioClientTransport; stderr: () => string }

async function start(fixture: string, opts: { env?: Record<string, string>; capabilities?: ClientCapabilities } = {}): Promise<Started> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', `test/fixtures/${fixture}.ts`],
    cwd: REPO_ROOT,
    env: { ...getDefaultEnvironment(), ...opts.env },
    stderr: 'pipe',
  });
  let stderr = '';
  let stderrBytes = 0;
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderrBytes += chunk.length;
    if (stderr.length < 4096) stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'fixtures-test', version: '1.0.0' }, { capabilities: opts.capabilities ?? {} });
  open.push(client);
  await client.connect(transport);
  return { client, transport, stderr: () => `${stderrBytes} bytes: ${stderr}` };
}

function textOf(result: unknown): string {
  const first = (result as CallToolResult).content[0];
  assert.equal(first?.type, 'text');
  return first.text;
}

describe('fixture servers', () => {
  it('conformance-server answers the suite\'s simple text tool over stdio', async () => {
    const { client } = await start('conformance-server');
    const tools = await client.listTools();
    assert.ok(tools.tools.some((t) => t.name === 'json_schema_2020_12_tool'));
    assert.equal(textOf(await client.callTool({ name: 'test_simple_text' })), 'This is a simple text response for testing.');
  });

  it('crashy-server echoes, then dies mid-call after sending progress', async () => {
    const { client, transport } = await start('crashy-server');
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'hi' } })), 'hi');
    assert.equal(Number(textOf(await client.callTool({ name: 'pid' }))), transport.pid);
    const progress: Progress[] = [];
    const closed = new Promise<void>((resolve) => { client.onclose = resolve; });
    await assert.rejects(client.callTool({ name: 'crash' }, undefined, { onprogress: (p) => progress.push(p) }));
    await closed;
    assert.equal(progress.length, 1);
  });

  it('noisy-server floods stderr and still answers', async () => {
    const { client, stderr } = await start('noisy-server');
    assert.equal(textOf(await client.callTool({ name: 'flood', arguments: { mb: 2 } })), 'done');
    assert.ok(Number(stderr().split(' ')[0]) >= 2 * 1024 * 1024, stderr().slice(0, 200));
  });

  it('env-server reports the environment it was given', async () => {
    const { client } = await start('env-server', { env: { FIXTURE_VALUE: 'from-test' } });
    const env = JSON.parse(textOf(await client.callTool({ name: 'env', arguments: { names: ['FIXTURE_VALUE', 'FIXTURE_UNSET'] } })));
    assert.deepEqual(env, { FIXTURE_VALUE: 'from-test' });
  });

  it('raw fixtures answer an unknown method with -32601', async () => {
    const { client } = await start('env-server');
    await assert.rejects(
      client.request({ method: 'no/such/method' } as never, EmptyResultSchema),
      (e: unknown) => e instanceof McpError && e.code === -32601,
    );
  });

  describe('slow-server', () => {
    it('stops a cancelled sleep, never answers it, and records the id', async () => {
      const { client } = await start('slow-server');
      const abort = new AbortController();
      const call = client.callTool({ name: 'sleep', arguments: { ms: 10_000 } }, undefined, { signal: abort.signal });
      setTimeout(() => abort.abort('test'), 50);
      await assert.rejects(call);
      const cancelled = JSON.parse(textOf(await client.callTool({ name: 'cancelled' })));
      assert.equal(cancelled.length, 1);
      assert.equal(textOf(await client.callTool({ name: 'sleep', arguments: { ms: 1 } })), 'slept 1');
    });

    // Read on the wire: the SDK Client handles a response at once but progress a microtask later,
    // so it drops a progress notification that arrives in the same chunk as the result.
    it('writes every progress notification before its result', async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/slow-server.ts'], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'ignore'] });
      const lines = createInterface({ input: child.stdout });
      const send = (m: object) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...m })}\n`);
      send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
      send({ method: 'notifications/initialized' });
      send({ id: 2, method: 'tools/call', params: { name: 'progress', arguments: { steps: 4, intervalMs: 1 }, _meta: { progressToken: 'p' } } });
      const seen: string[] = [];
      for await (const line of lines) {
        const m = JSON.parse(line);
        if (m.id === 1) assert.equal(m.result.protocolVersion, '2025-06-18');
        if (m.method === 'notifications/progress') seen.push(`${m.params.progressToken}:${m.params.progress}`);
        if (m.id === 2) { seen.push(textOf(m.result)); break; }
      }
      child.stdin.end();
      await once(child, 'close');
      assert.deepEqual(seen, ['p:1', 'p:2', 'p:3', 'p:4', 'progress done 4']);
    });

    it('asks the client for sampling and roots', async () => {
      const { client } = await start('slow-server', { capabilities: { sampling: {}, roots: { listChanged: true } } });
      client.setRequestHandler(CreateMessageRequestSchema, async () => ({
        role: 'assistant', model: 'test', content: { type: 'text', text: 'the answer' },
      }));
      client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///tmp', name: 'tmp' }] }));
      assert.equal(textOf(await client.callTool({ name: 'ask', arguments: { prompt: 'q' } })), 'the answer');
      assert.deepEqual(JSON.parse(textOf(await client.callTool({ name: 'roots' }))), { roots: [{ uri: 'file:///tmp', name: 'tmp' }] });
    });

    it('announces tool list changes and resource updates', async () => {
      const { client } = await start('slow-server');
      const listChanged = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
      const updated = new Promise<string>((resolve) => client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => resolve(n.params.uri)));
      await client.callTool({ name: 'change' });
      await listChanged;
      assert.ok((await client.listTools()).tools.some((t) => t.name === 'extra'));
      await client.subscribeResource({ uri: 'fixture://b' });
      assert.match(textOf(await client.callTool({ name: 'touch', arguments: { uri: 'fixture://b' } })), /\(subscribed\)/);
      assert.equal(await updated, 'fixture://b');
      const read = await client.readResource({ uri: 'fixture://b' });
      assert.deepEqual(read.contents[0], { uri: 'fixture://b', mimeType: 'text/plain', text: 'fixture://b version 1' });
    });
  });
});
