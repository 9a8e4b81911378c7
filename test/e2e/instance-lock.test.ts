// One owner per data folder (STYLE 17), told as the owner meets it: `serve` started while another
// `serve` (or the desktop app) runs on the same folder names the running one and exits, leaving
// its server processes and its state alone; a folder whose holder was killed is taken over; and
// starts racing for one folder end with exactly one owner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT, alive, fixture, text } from '../support/gateway.ts';
import { Browser, TestOAuthProvider } from '../support/browser.ts';
import { connectWithOAuth } from '../support/signed-in.ts';
import { within } from '../support/processes.ts';
import { startServe } from '../support/serve-process.ts';

async function tempHome(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-lock-'));
  t.after(() => fs.rm(home, { recursive: true, force: true }));
  return home;
}

test('a second serve on the same data folder names the running one and exits; the running one\'s children and state are left alone', async (t) => {
  const home = await tempHome(t);
  await fs.writeFile(path.join(home, 'config.json'), JSON.stringify({ mcpServers: { slow: fixture('slow-server') }, gateway: { port: 0 } }));
  const env = { MCP_PUBLISH_SECRETS: 'file' };
  const first = startServe(home, [], env);
  t.after(() => first.kill('SIGKILL'));
  const info = await first.ready();
  const client = await connectWithOAuth(`${info.url}/servers/slow/mcp`, new TestOAuthProvider(new Browser(), { login: info.owner! }));
  t.after(() => client.close());
  const child = Number(text(await client.callTool({ name: 'pid', arguments: {} })));
  assert.ok(alive(child));
  const stateBefore = await fs.readFile(path.join(home, 'state.json'), 'utf8');
  const childrenBefore = await fs.readFile(path.join(home, 'children.json'), 'utf8');

  const second = startServe(home, [], env);
  t.after(() => second.kill('SIGKILL'));
  const outcome = await within(Promise.race([second.exited.then((e) => ({ exited: e })), second.ready().then(() => ({ exited: undefined }), () => ({ exited: undefined }))]), 30_000, 'the second serve');
  assert.ok(outcome.exited, `the second serve started beside the first instead of exiting (the first one's child is ${alive(child) ? 'alive' : 'gone'})`);
  assert.equal(outcome.exited.code, 1);
  assert.match(second.stderr(), new RegExp(`already runs on the data folder .*: pid ${first.pid} \\(mcp-publish serve\\), running since`));
  assert.doesNotMatch(second.stdout(), /MCP Publish is running/);

  assert.ok(alive(child), 'the running instance\'s server process was not ended');
  assert.equal(await fs.readFile(path.join(home, 'state.json'), 'utf8'), stateBefore, 'the state file was not touched');
  assert.equal(await fs.readFile(path.join(home, 'children.json'), 'utf8'), childrenBefore, 'the record of children was not touched');
  assert.equal(Number(text(await client.callTool({ name: 'pid', arguments: {} }))), child, 'the first one goes on serving with the same child');
});

test('the folder of a serve killed outright (SIGKILL) is taken over by the next start', async (t) => {
  const home = await tempHome(t);
  const env = { MCP_PUBLISH_SECRETS: 'memory' };
  const first = startServe(home, ['--port', '0'], env);
  await first.ready();
  await first.kill('SIGKILL');
  const locks = (await fs.readdir(home)).filter((f) => /^instance-\d+\.lock$/.test(f));
  assert.equal(locks.length, 1, 'the killed one left its lock behind');
  const next = startServe(home, ['--port', '0'], env);
  t.after(() => next.kill('SIGKILL'));
  await next.ready();
  await next.kill('SIGTERM');
  assert.equal((await next.exited).code, 0);
  assert.deepEqual((await fs.readdir(home)).filter((f) => /^instance-\d+\.lock$|\.tmp$/.test(f)), [], 'a clean stop leaves no lock');
});

interface Taker { child: ChildProcess; answer: Promise<{ got: boolean; pid: number; holder?: number; error?: string }> }

function take(dir: string): Taker {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/support/instance-lock-taker.ts'), dir], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const answer = new Promise<{ got: boolean; pid: number; holder?: number }>((resolve, reject) => {
    lines.once('line', (l) => resolve(JSON.parse(l)));
    child.once('exit', (code) => reject(new Error(`the taker exited (${code}) without answering`)));
  });
  return { child, answer };
}

test('eight starts racing for one folder, fresh and then with a killed holder\'s lock: each time exactly one gets it and the others name it', async (t) => {
  const dir = await tempHome(t);
  const all: ChildProcess[] = [];
  t.after(() => { for (const c of all) c.kill('SIGKILL'); });
  for (const round of ['a fresh folder', 'the lock of a killed holder']) {
    const takers = Array.from({ length: 8 }, () => take(dir));
    all.push(...takers.map((x) => x.child));
    const answers = await within(Promise.all(takers.map((x) => x.answer)), 60_000, `round on ${round}`);
    const winners = answers.filter((a) => a.got);
    assert.equal(winners.length, 1, `${round}: ${JSON.stringify(answers)}`);
    for (const a of answers.filter((x) => !x.got)) assert.equal(a.holder, winners[0]!.pid, `${round}: the others name the winner`);
    // The winner dies without releasing: the next round starts from its stale lock.
    const winner = takers.find((x) => x.child.pid === winners[0]!.pid)!.child;
    const gone = new Promise((r) => winner.once('exit', r));
    winner.kill('SIGKILL');
    await gone;
  }
});
