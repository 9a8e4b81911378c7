// Real MCP servers from npm behind the gateway, used by the SDK client as a remote user would:
// tools, resources, prompts, progress, sampling answered by the client, filesystem and memory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { npmServer, startGateway, text, type TestGateway } from '../support/gateway.ts';

let gw: TestGateway;
let dir: string;

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-npm-'));
  await fs.writeFile(path.join(dir, 'hello.txt'), 'hello from disk\n');
  gw = await startGateway({
    everything: npmServer('@modelcontextprotocol/server-everything', ['stdio']),
    files: npmServer('@modelcontextprotocol/server-filesystem', [dir]),
    memory: npmServer('@modelcontextprotocol/server-memory', [], { env: { MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') } }),
  });
});

after(async () => {
  await gw.close();
  await fs.rm(dir, { recursive: true, force: true });
});

test('a user lists and calls server-everything tools through the gateway', async () => {
  const client = await gw.connect('everything');
  const { tools } = await client.listTools();
  assert.ok(tools.some((t) => t.name === 'echo'));
  const echo = tools.find((t) => t.name === 'echo')!;
  // The tool's JSON Schema passes through untouched (no typed re-serialisation).
  assert.equal((echo.inputSchema as { properties: Record<string, unknown> }).properties.message !== undefined, true);
  assert.equal(text(await client.callTool({ name: 'echo', arguments: { message: 'through the gateway' } })), 'Echo: through the gateway');
  const sum = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } });
  assert.match(text(sum), /42/);
  assert.equal(client.getServerVersion()?.name, 'mcp-servers/everything');
});

test('resources and prompts work through the gateway', async () => {
  const client = await gw.connect('everything');
  const { resources } = await client.listResources();
  assert.ok(resources.length > 0, 'server-everything lists resources');
  const read = await client.readResource({ uri: resources[0]!.uri });
  assert.equal(read.contents[0]!.uri, resources[0]!.uri);
  const { resourceTemplates } = await client.listResourceTemplates();
  assert.ok(resourceTemplates.length > 0);
  const { prompts } = await client.listPrompts();
  assert.ok(prompts.some((p) => p.name === 'simple-prompt'));
  const prompt = await client.getPrompt({ name: 'args-prompt', arguments: { city: 'Lisbon' } });
  assert.match(JSON.stringify(prompt.messages), /Lisbon/);
});

test('progress notifications reach the caller before the result', async () => {
  const client = await gw.connect('everything');
  const seen: number[] = [];
  const result = await client.callTool(
    { name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
    undefined,
    { onprogress: (p) => seen.push(p.progress) },
  );
  assert.deepEqual(seen, [1, 2, 3], 'every progress step, the last one included, arrives before the result');
  assert.match(text(result), /completed/i);
});

test('a sampling request from the server is answered by the client session that called', async () => {
  const client = await gw.connect('everything', { capabilities: { sampling: {} } });
  let asked = '';
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    asked = JSON.stringify(req.params.messages);
    return { role: 'assistant', content: { type: 'text', text: 'sampled answer' }, model: 'test-model' };
  });
  const result = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'capital of Portugal?' } });
  assert.match(asked, /capital of Portugal/);
  assert.match(JSON.stringify(result.content), /sampled answer/);
});

test('server-filesystem reads and writes files in its allowed directory', async () => {
  const client = await gw.connect('files');
  const read = await client.callTool({ name: 'read_text_file', arguments: { path: path.join(dir, 'hello.txt') } });
  assert.match(text(read), /hello from disk/);
  await client.callTool({ name: 'write_file', arguments: { path: path.join(dir, 'out.txt'), content: 'written via MCP' } });
  assert.equal(await fs.readFile(path.join(dir, 'out.txt'), 'utf8'), 'written via MCP');
  const outside = await client.callTool({ name: 'read_text_file', arguments: { path: '/etc/hostname' } });
  assert.equal(outside.isError, true, 'paths outside the allowed directory are refused by the server');
});

test('server-memory keeps a knowledge graph across calls', async () => {
  const client = await gw.connect('memory');
  await client.callTool({ name: 'create_entities', arguments: { entities: [{ name: 'Ana', entityType: 'person', observations: ['likes MCP'] }] } });
  const graph = await client.callTool({ name: 'read_graph', arguments: {} });
  assert.match(text(graph), /likes MCP/);
});

test('a server that asks for roots as it starts (no call in flight) still gets one process per person with isolation auto', async (t) => {
  const gw = await startGateway({ everything: npmServer('@modelcontextprotocol/server-everything', ['stdio']) });
  t.after(() => gw.close());
  const a = await gw.connect('everything', { user: 'roots-at-start' });
  await a.callTool({ name: 'echo', arguments: { message: 'one' } });
  await new Promise((r) => setTimeout(r, 300)); // server-everything asks roots/list after initialized
  const b = await gw.connect('everything', { user: 'roots-at-start' });
  await b.callTool({ name: 'echo', arguments: { message: 'two' } });
  const mine = gw.publisher.pool.list().filter((u) => u.server === 'everything' && u.user === 'roots-at-start');
  assert.equal(mine.length, 1, `one process for both sessions (${mine.length})`);
});
