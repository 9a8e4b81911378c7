// Life cycle of children and sessions: idle children are stopped and come back on next use, idle
// sessions expire (404, so clients re-initialize), children die with a killed gateway, and the
// next start ends any that survived a crash without touching a process that reused the pid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ChildRegistry, processStartTime } from '../../src/upstream/child-registry.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { ROOT, alive, fixture, rawPost, startGateway, text } from '../support/gateway.ts';
import { Browser, TestOAuthProvider } from '../support/browser.ts';
import { connectWithOAuth } from '../support/signed-in.ts';

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  return check();
};

test('an idle child is stopped after childIdleSeconds and restarts on next use', async () => {
  const gw = await startGateway({ slow: fixture('slow-server') }, { childIdleSeconds: 1 });
  try {
    const client = await gw.connect('slow');
    const pid = Number(text(await client.callTool({ name: 'pid', arguments: {} })));
    await (client.transport as StreamableHTTPClientTransport).terminateSession(); // DELETE: no session left
    await client.close();
    assert.ok(await until(() => !alive(pid)), 'the idle child was stopped');
    const again = await gw.connect('slow');
    assert.notEqual(Number(text(await again.callTool({ name: 'pid', arguments: {} }))), pid);
  } finally {
    await gw.close();
  }
});

test('an idle session expires: its next request gets 404 and a new session works', async () => {
  const gw = await startGateway({ slow: fixture('slow-server') }, { sessionIdleSeconds: 1 });
  try {
    const init = await rawPost(gw.mcpUrl('slow'), JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }));
    const sid = init.headers.get('mcp-session-id')!;
    const list = () => rawPost(gw.mcpUrl('slow'), JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }), { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' });
    assert.equal((await list()).status, 200);
    await new Promise((r) => setTimeout(r, 2300));
    const expired = await list();
    assert.equal(expired.status, 404);
    const client = await gw.connect('slow');
    assert.ok((await client.listTools()).tools.length > 0);
  } finally {
    await gw.close();
  }
});

test('children die with a gateway that is killed outright (parent-death signal)', { skip: process.platform !== 'linux' ? 'Linux only (setpriv --pdeathsig)' : false }, async () => {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-kill-'));
  const gwp = spawn(process.execPath, [path.join(ROOT, 'bin/mcp-publish.js'), 'serve', '--port', '0'], {
    env: { ...process.env, MCP_PUBLISH_HOME: home, MCP_PUBLISH_SECRETS: 'memory' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  gwp.stdout!.on('data', (d) => { out += d; });
  try {
    assert.ok(await until(() => /Sign in as the owner with/.test(out), 20_000));
    const url = /(http:\/\/\S+\/servers\/demo\/mcp)/.exec(out)![1]!;
    const [, email, password] = /Sign in as the owner with: (\S+) \/ (\S+)/.exec(out)!;
    const client = await connectWithOAuth(url, new TestOAuthProvider(new Browser(), { login: { email: email!, password: password! } }));
    await client.listTools();
    const live = JSON.parse(await fs.readFile(path.join(home, 'children.json'), 'utf8')) as Array<{ pid: number }>;
    assert.equal(live.length, 1);
    gwp.kill('SIGKILL');
    assert.ok(await until(() => !alive(live[0]!.pid)), 'the child ended with its parent');
  } finally {
    gwp.kill('SIGKILL');
    await fs.rm(home, { recursive: true, force: true });
  }
});

test('the next start ends children a crashed run left behind, and never a process that reused the pid', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-reg-'));
  const file = path.join(dir, 'children.json');
  const orphan = spawn('sleep', ['60'], { stdio: 'ignore' });
  const innocent = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    await until(() => processStartTime(orphan.pid!) !== undefined && processStartTime(innocent.pid!) !== undefined);
    await fs.writeFile(file, JSON.stringify([
      { pid: orphan.pid, startTime: processStartTime(orphan.pid!) },
      // Same pid, other start time: a different process now holds it.
      { pid: innocent.pid, startTime: '1' },
    ]));
    const registry = new ChildRegistry(file, silentLogger());
    assert.equal(registry.reapOrphans(), 1);
    assert.ok(await until(() => orphan.exitCode !== null || orphan.signalCode !== null));
    assert.equal(orphan.signalCode, 'SIGKILL');
    assert.ok(alive(innocent.pid!), 'a process with a reused pid is left alone');
    assert.deepEqual(JSON.parse(await fs.readFile(file, 'utf8')), []);
  } finally {
    orphan.kill('SIGKILL');
    innocent.kill('SIGKILL');
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('the next start ends only children whose owner is dead: a running instance\'s children are left alone', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-reg-'));
  const file = path.join(dir, 'children.json');
  const deadOwner = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  const orphan = spawn('sleep', ['60'], { stdio: 'ignore' });
  const kept = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    await until(() => [deadOwner, orphan, kept].every((c) => processStartTime(c.pid!) !== undefined));
    const dead = { pid: deadOwner.pid!, startTime: processStartTime(deadOwner.pid!)! };
    deadOwner.kill('SIGKILL');
    assert.ok(await until(() => processStartTime(dead.pid) === undefined), 'the owner is gone');
    await fs.writeFile(file, JSON.stringify([
      { pid: orphan.pid, startTime: processStartTime(orphan.pid!), owner: dead },
      // Started by this very process, which runs: it is not an orphan.
      { pid: kept.pid, startTime: processStartTime(kept.pid!), owner: { pid: process.pid, startTime: processStartTime(process.pid) } },
    ]));
    const registry = new ChildRegistry(file, silentLogger());
    assert.equal(registry.reapOrphans(), 1);
    assert.ok(await until(() => orphan.signalCode !== null), 'the dead owner\'s child was ended');
    assert.equal(orphan.signalCode, 'SIGKILL');
    assert.ok(alive(kept.pid!), 'the running owner\'s child is left alone');
  } finally {
    for (const c of [deadOwner, orphan, kept]) c.kill('SIGKILL');
    await fs.rm(dir, { recursive: true, force: true });
  }
});
