// The other ways to a public URL, as far as this machine can run them: the owner's own URL (a
// real HTTP server answers the self-check), cloudflared (not installed here: the real "not on
// PATH" refusal, then a stand-in script that prints what cloudflared prints), and ngrok (the SDK
// loads, but there is no network: a clear reason, quickly).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CloudflaredProvider, findProgram } from '../../src/tunnel/cloudflared-provider.ts';
import { FixedUrlProvider } from '../../src/tunnel/fixed-url-provider.ts';
import { NgrokProvider } from '../../src/tunnel/ngrok-provider.ts';
import { createSelfCheck } from '../../src/tunnel/self-check.ts';
import type { TunnelError } from '../../src/tunnel/tunnel-error.ts';
import { within } from '../support/processes.ts';
import { isOnline, isReconnecting, watchStatus } from '../support/tunnel-status.ts';

let failHealth = false;
let server: http.Server;
let port: number;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpp-tunnel-'));

before(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(failHealth ? 502 : 200).end(failHealth ? 'bad gateway' : 'ok');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(tmp, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("the owner's own URL is online at once; a failing self-check is reported, and online again once it passes", async () => {
  const tunnel = new FixedUrlProvider({
    url: `http://127.0.0.1:${port}/`,
    selfCheck: createSelfCheck({ path: '/healthz' }), selfCheckIntervalMs: 300, backoff: { initialMs: 200, maxMs: 400 },
  });
  const log = watchStatus(tunnel);
  failHealth = true;
  try {
    const t0 = Date.now();
    await tunnel.start(port);
    assert.ok(Date.now() - t0 < 100, 'nothing to open: online at once');
    assert.deepEqual(tunnel.status, { state: 'online', url: `http://127.0.0.1:${port}` });

    const lost = await log.waitFor(isReconnecting, 3000, 'the failing self-check reported');
    assert.ok(isReconnecting(lost));
    assert.match(lost.reason, /self-check failed twice in a row: GET http:\/\/127\.0\.0\.1:\d+\/healthz answered 502 \(bad gateway\)/);

    failHealth = false;
    const back = await log.waitFor(isOnline, 3000, 'online again', log.seen.indexOf(lost));
    assert.deepEqual(back, { state: 'online', url: `http://127.0.0.1:${port}` });
  } finally {
    failHealth = false;
    await tunnel.stop();
  }
  assert.equal(tunnel.status.state, 'offline');
});

test('cloudflared: start() rejects with a clear message when it is not on PATH (a real lookup)', async () => {
  // This machine has no cloudflared; drop any PATH entry that has one so the story holds anywhere.
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => !fs.existsSync(path.join(d, 'cloudflared')));
  const env = { ...process.env, PATH: dirs.join(path.delimiter) };
  assert.equal(await findProgram('cloudflared', env), undefined);
  const tunnel = new CloudflaredProvider({ env });
  const log = watchStatus(tunnel);
  const t0 = Date.now();
  await assert.rejects(tunnel.start(port), (e: TunnelError) => {
    assert.equal(e.code, 'not-installed');
    assert.match(e.message, /^cloudflared is not installed: no "cloudflared" program on PATH\. Install it from https:\/\/developers\.cloudflare\.com\/.+, or choose another tunnel\.$/);
    return true;
  });
  assert.ok(Date.now() - t0 < 1000, 'refused at once, not retried');
  assert.equal(log.states(), 'connecting offline');
  assert.match((tunnel.status as { reason: string }).reason, /cloudflared is not installed/);
});

/** A shell script standing in for cloudflared: it prints what cloudflared prints and stays alive. */
function standInCloudflared(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const script = `#!/bin/sh
# Stand-in for cloudflared (the real binary cannot be downloaded here): records how it was run,
# prints cloudflared's quick-tunnel banner (or only the connection line for a named tunnel),
# and stays alive until signalled.
dir="$(dirname "$0")"
echo "$$" >> "$dir/pids"
echo "$*" >> "$dir/argv"
if [ -n "$TUNNEL_TOKEN" ]; then echo "$TUNNEL_TOKEN" >> "$dir/tokens"; fi
n=$(wc -l < "$dir/pids" | tr -d ' ')
ts=2026-11-27T12:00:00Z
case " $* " in
  *" --url "*)
    echo "$ts INF Requesting new quick Tunnel on trycloudflare.com..." >&2
    echo "$ts INF +--------------------------------------------------------------------------------------------+" >&2
    echo "$ts INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |" >&2
    echo "$ts INF |  https://stand-in-$n.trycloudflare.com                                                    |" >&2
    echo "$ts INF +--------------------------------------------------------------------------------------------+" >&2
    ;;
esac
echo "$ts INF Registered tunnel connection connIndex=0 connection=0000000$n-aaaa-bbbb-cccc-000000000000 event=0 ip=198.41.200.13 location=ams01 protocol=quic" >&2
exec sleep 600
`;
  fs.writeFileSync(path.join(dir, 'cloudflared'), script, { mode: 0o755 });
}

function pidsIn(dir: string): number[] {
  const file = path.join(dir, 'pids');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : [];
}

test('cloudflared quick tunnel, with a stand-in binary (the real one cannot be downloaded here): online with the trycloudflare URL it prints, restarted with backoff when it exits', async () => {
  const dir = path.join(tmp, 'quick');
  standInCloudflared(dir);
  const tunnel = new CloudflaredProvider({ env: { ...process.env, PATH: `${dir}${path.delimiter}${process.env.PATH}` }, backoff: { initialMs: 200 } });
  const log = watchStatus(tunnel);
  try {
    await tunnel.start(port);
    assert.deepEqual(tunnel.status, { state: 'online', url: 'https://stand-in-1.trycloudflare.com' });
    assert.equal(fs.readFileSync(path.join(dir, 'argv'), 'utf8').trim(), `tunnel --url http://127.0.0.1:${port} --no-autoupdate`);

    const [first] = pidsIn(dir);
    process.kill(first!, 'SIGTERM'); // cloudflared ends on its own
    const lost = await log.waitFor(isReconnecting, 3000, 'reconnecting after cloudflared exited');
    assert.ok(isReconnecting(lost));
    assert.match(lost.reason, /^dropped: cloudflared was ended by SIGTERM/);
    assert.equal(lost.retryInMs, 200);
    const back = await log.waitFor(isOnline, 3000, 'online with a new process', log.seen.indexOf(lost));
    assert.deepEqual(back, { state: 'online', url: 'https://stand-in-2.trycloudflare.com' }, 'a quick tunnel gets a new URL each start');
    assert.equal(log.states(), 'connecting online reconnecting online');
  } finally {
    await tunnel.stop();
  }
  const pids = pidsIn(dir);
  assert.equal(pids.length, 2);
  assert.deepEqual(pids.filter(alive), [], 'no cloudflared left running');
});

test('cloudflared named tunnel, with the stand-in binary: the token goes by environment (never argv) and the configured hostname is the URL', async () => {
  const dir = path.join(tmp, 'named');
  standInCloudflared(dir);
  const token = 'eyJhIjoiZmFrZS10dW5uZWwtdG9rZW4tZm9yLXRlc3RzIn0';
  const tunnel = new CloudflaredProvider({
    env: { ...process.env, PATH: `${dir}${path.delimiter}${process.env.PATH}` },
    named: { url: 'https://mcp.example.com/', token: async () => token },
  });
  try {
    await tunnel.start(port);
    assert.deepEqual(tunnel.status, { state: 'online', url: 'https://mcp.example.com' });
    assert.equal(fs.readFileSync(path.join(dir, 'argv'), 'utf8').trim(), 'tunnel --no-autoupdate run');
    assert.equal(fs.readFileSync(path.join(dir, 'tokens'), 'utf8').trim(), token);
  } finally {
    await tunnel.stop();
  }
  assert.deepEqual(pidsIn(dir).filter(alive), []);

  const missing = new CloudflaredProvider({ env: { ...process.env, PATH: `${dir}${path.delimiter}${process.env.PATH}` }, named: { url: 'https://mcp.example.com', token: async () => undefined } });
  await assert.rejects(missing.start(port), (e: TunnelError) => e.code === 'invalid-option' && /cloudflared tunnel token is not set/.test(e.message));
});

test('ngrok: the SDK loads here, but with no network (and a made-up authtoken) start() fails with a clear reason within seconds', async () => {
  const tunnel = new NgrokProvider({ authtoken: 'made-up-authtoken-for-the-test', startAttempts: 1, connectTimeoutMs: 15_000 });
  const log = watchStatus(tunnel);
  const t0 = Date.now();
  const error = await within(tunnel.start(port).then(() => undefined, (e: TunnelError) => e), 20_000, 'ngrok start');
  assert.ok(error, 'ngrok cannot connect from this machine');
  assert.ok(['unreachable', 'refused', 'timeout'].includes(error.code), error.code);
  assert.match(error.message, /ngrok/);
  assert.doesNotMatch(error.message, /made-up-authtoken/);
  assert.ok(Date.now() - t0 < 16_000);
  assert.equal(log.states(), 'connecting offline');
  assert.equal(tunnel.status.state, 'offline');

  const none = new NgrokProvider({ authtoken: async () => undefined });
  await assert.rejects(none.start(port), (e: TunnelError) => e.code === 'invalid-option' && /ngrok authtoken .* is not set/.test(e.message));
});
