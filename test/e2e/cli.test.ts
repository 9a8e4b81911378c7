// The command a new user runs: `npm start` serves the built-in demo and prints its URL; a broken
// config is refused with the JSON path and reason and left untouched; doctor says what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT, alive, text } from '../support/gateway.ts';
import { Browser, TestOAuthProvider } from '../support/browser.ts';
import { connectWithOAuth } from '../support/signed-in.ts';
import { auditLog, rememberSecret } from '../support/log-audit.ts';

const BIN = path.join(ROOT, 'bin/mcp-publish.js');

function run(args: string[], home: string): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  let out = '', err = '';
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, MCP_PUBLISH_HOME: home, MCP_PUBLISH_SECRETS: 'memory' }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { err += d; });
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => out, err: () => err, exit };
}

async function waitFor(check: () => RegExpMatchArray | null, ms = 20_000): Promise<RegExpMatchArray> {
  const end = Date.now() + ms;
  for (;;) {
    const m = check();
    if (m) return m;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('serve with no config prints the demo URL and a one-time owner password; the owner signs in with the SDK client and calls a tool; Ctrl+C leaves no child', async () => {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-cli-'));
  const p = run(['serve', '--port', '0'], home);
  try {
    const [, url] = await waitFor(() => /demo\s+(http:\/\/\S+\/servers\/demo\/mcp)/.exec(p.out()));
    const [, email, password] = await waitFor(() => /Sign in as the owner with: (\S+) \/ (\S+)/.exec(p.out()));
    rememberSecret(password);
    const unauthenticated = await fetch(url!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(unauthenticated.status, 401, 'nothing is served without signing in');
    const provider = new TestOAuthProvider(new Browser(), { login: { email: email!, password: password! } });
    const client = await connectWithOAuth(url!, provider);
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'echo'));
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { message: 'hello' } })), 'Echo: hello');
    await client.close();
    const live = JSON.parse(await fs.readFile(path.join(home, 'children.json'), 'utf8')) as Array<{ pid: number }>;
    assert.equal(live.length, 1);
    assert.ok(alive(live[0]!.pid));
    // Someone unknown signs in and waits; the owner lets them in from the command line.
    const users = run(['users', 'add', 'zoe@example.com'], home);
    assert.equal(await users.exit, 0);
    const invite = /(http:\/\/\S+\/invite\/\S+)/.exec(users.out())![1]!;
    const set = await fetch(invite, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'password=zoe-password-1&confirm=zoe-password-1' });
    assert.match(await set.text(), /data-page="invite-done"/);
    const zoe = new TestOAuthProvider(new Browser(), {
      login: { email: 'zoe@example.com', password: 'zoe-password-1' },
      onPending: async (round) => {
        if (round !== 1) return;
        const listed = run(['users', 'pending'], home);
        assert.equal(await listed.exit, 0);
        assert.match(listed.out(), /zoe@example\.com\s+pending/);
        const approve = run(['users', 'approve', 'zoe@example.com'], home);
        assert.equal(await approve.exit, 0);
        assert.match(approve.out(), /zoe@example\.com is now allowed/);
      },
    });
    const zoeClient = await connectWithOAuth(url!, zoe);
    assert.equal(text(await zoeClient.callTool({ name: 'echo', arguments: { message: 'zoe' } })), 'Echo: zoe');
    await zoeClient.close();
    p.child.kill('SIGINT');
    assert.equal(await p.exit, 0);
    assert.equal(alive(live[0]!.pid), false, 'the demo server process ended with the gateway');
    await assert.rejects(fs.stat(path.join(home, 'admin.json')), 'admin.json is removed on exit');
  } finally {
    auditLog(p.err());
    p.child.kill('SIGKILL');
    await fs.rm(home, { recursive: true, force: true });
  }
});

test('a broken config file is refused with its JSON path and reason, and left byte-identical', async () => {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-cli-'));
  const file = path.join(home, 'config.json');
  const broken = '{\n  "mcpServers": {\n    "github": { "command": "npx", "args": "not-an-array" }\n  },\n  "gateway": { "port": "eighty" }\n}\n';
  await fs.writeFile(file, broken);
  try {
    const p = run(['serve'], home);
    assert.equal(await p.exit, 1);
    assert.match(p.err(), /mcpServers\.github\.args: expected array/);
    assert.match(p.err(), /gateway\.port: expected number/);
    assert.match(p.err(), /left as it is/);
    assert.equal(await fs.readFile(file, 'utf8'), broken);
    await assert.rejects(fs.stat(`${file}.bak`));

    await fs.writeFile(file, '{ "mcpServers": { ');
    const q = run(['serve'], home);
    assert.equal(await q.exit, 1);
    assert.match(q.err(), /not valid JSON/);
    assert.equal(await fs.readFile(file, 'utf8'), '{ "mcpServers": { ');
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
});

test('doctor names a server whose command is missing and one that does not start', async () => {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-cli-'));
  await fs.writeFile(path.join(home, 'config.json'), JSON.stringify({
    mcpServers: {
      missing: { command: 'no-such-mcp-server-binary' },
      dies: { command: process.execPath, args: ['-e', 'console.error("bad credentials"); process.exit(3)'] },
      good: { command: process.execPath, args: [path.join(ROOT, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js')], env: { MEMORY_FILE_PATH: path.join(home, 'm.jsonl') } },
    },
  }));
  try {
    const p = run(['doctor'], home);
    assert.equal(await p.exit, 1);
    assert.match(p.out(), /FAIL\s+missing: the command "no-such-mcp-server-binary" is not installed or not on PATH/);
    assert.match(p.out(), /FAIL\s+dies: does not start: .*exited \(code 3\)[\s\S]*bad credentials/);
    assert.match(p.out(), /ok\s+good: starts and answers \(memory-server/);
    assert.match(p.out(), /2 problem\(s\) found/);
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
});

test('import while serve runs on the same folder goes through the running instance: the servers are served at once and the file is written by one owner', async () => {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-import-running-'));
  const { startServe, adminCall } = await import('../support/serve-process.ts');
  const serve = startServe(home, ['--port', '0'], { MCP_PUBLISH_SECRETS: 'memory' });
  try {
    const info = await serve.ready();
    const claude = path.join(home, 'claude_desktop_config.json');
    await fs.writeFile(claude, JSON.stringify({ mcpServers: { notes: { command: process.execPath, args: ['--version'] } } }));
    const r = run(['import', claude], home);
    assert.equal(await r.exit, 0, r.err());
    assert.match(r.out(), /added notes/);
    assert.match(r.out(), /through the running MCP Publish/);
    const servers = await adminCall<{ name: string }[]>(info.admin, 'GET', '/api/servers');
    assert.ok(servers.some((s) => s.name === 'notes'), 'the running instance serves what was imported, without a restart');
    const file = JSON.parse(await fs.readFile(path.join(home, 'config.json'), 'utf8'));
    assert.ok(file.mcpServers.notes, 'and it is in the config file');
  } finally {
    await serve.kill('SIGTERM');
    await fs.rm(home, { recursive: true, force: true });
  }
});
