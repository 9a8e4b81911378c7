// The tunnel's pure rules: the install's stable subdomain, which subdomains are accepted, the
// backoff, the reminder-page notice, what the self-check sends and counts as passing, which
// provider a config gets, and the supervisor's reconnect story told with a scripted network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemorySecretStore } from '../../src/secrets/memory-store.ts';
import { CloudflaredProvider } from '../../src/tunnel/cloudflared-provider.ts';
import { createTunnel, type PublishSettings } from '../../src/tunnel/create.ts';
import { FixedUrlProvider } from '../../src/tunnel/fixed-url-provider.ts';
import { LocaltunnelProvider, isPublicLocaltunnel, localtunnelBrowserNotice, subdomainFor } from '../../src/tunnel/localtunnel-provider.ts';
import { NgrokProvider } from '../../src/tunnel/ngrok-provider.ts';
import { createSelfCheck, type SelfCheckRequest } from '../../src/tunnel/self-check.ts';
import { backoffDelay } from '../../src/tunnel/supervisor.ts';
import { TunnelError } from '../../src/tunnel/tunnel-error.ts';
import { isOnline, isReconnecting, watchStatus } from '../support/tunnel-status.ts';

test('an installation gets one stable localtunnel subdomain the servers accept', () => {
  const a = subdomainFor('install-1');
  assert.match(a, /^mcpp[0-9a-f]{12}$/);
  assert.equal(subdomainFor('install-1'), a, 'the same id gives the same subdomain');
  assert.notEqual(subdomainFor('install-2'), a);
  assert.doesNotThrow(() => new LocaltunnelProvider({ subdomain: a }));
});

test('a subdomain localtunnel servers refuse (and the client would hang on) is refused up front', () => {
  for (const bad of ['mcp', 'Upper1', 'with-hyphen', 'under_score', 'x'.repeat(64), '']) {
    assert.throws(() => new LocaltunnelProvider({ subdomain: bad }), (e: TunnelError) => e instanceof TunnelError && e.code === 'invalid-option' && /4 to 63 lowercase/.test(e.message), bad);
  }
  for (const good of ['abcd', 'mcpp0123456789ab', 'a'.repeat(63)]) assert.doesNotThrow(() => new LocaltunnelProvider({ subdomain: good }), good);
  assert.throws(() => new LocaltunnelProvider({ host: 'localhost:1234' }), (e: TunnelError) => e.code === 'invalid-option');
});

test('reconnect delays double from 1 s up to 60 s', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n)), [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  assert.deepEqual([1, 2, 3].map((n) => backoffDelay(n, 200, 500)), [200, 400, 500]);
});

test('only the public localtunnel service has a reminder page; its notice names the tunnel password', () => {
  assert.equal(isPublicLocaltunnel('https://localtunnel.me'), true);
  assert.equal(isPublicLocaltunnel('https://loca.lt'), true);
  assert.equal(isPublicLocaltunnel('https://lt.example.com'), false);
  assert.equal(new LocaltunnelProvider().host, 'https://localtunnel.me', 'the public service is the default');
  assert.equal(localtunnelBrowserNotice('198.51.100.4'),
    'A person opening the sign-in page in a browser first sees a localtunnel reminder page; they enter the tunnel password 198.51.100.4 once');
  assert.match(localtunnelBrowserNotice(undefined), /tunnel password \(this computer's public IP address\) once$/);
});

test('the self-check asks as a program (past reminder and warning pages) and passes only on a 2xx', async () => {
  const asked: SelfCheckRequest[] = [];
  let answer: { status: number; body?: string } | Error = { status: 200 };
  const check = createSelfCheck({
    path: () => '/.well-known/oauth-protected-resource/servers/notes/mcp',
    timeoutMs: 1234,
    transport: async (request) => {
      asked.push(request);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  });
  assert.deepEqual(await check('https://mcpp0123.loca.lt/'), { ok: true, status: 200 });
  assert.equal(asked[0]!.url, 'https://mcpp0123.loca.lt/.well-known/oauth-protected-resource/servers/notes/mcp');
  assert.equal(asked[0]!.timeoutMs, 1234);
  assert.equal(asked[0]!.headers['bypass-tunnel-reminder'], 'true');
  assert.equal(asked[0]!.headers['ngrok-skip-browser-warning'], 'true');
  assert.doesNotMatch(asked[0]!.headers['user-agent']!, /Mozilla/);

  answer = { status: 503, body: '<html>\n  Tunnel Unavailable </html>' };
  assert.deepEqual(await check('https://mcpp0123.loca.lt'), {
    ok: false, status: 503,
    reason: 'GET https://mcpp0123.loca.lt/.well-known/oauth-protected-resource/servers/notes/mcp answered 503 (<html> Tunnel Unavailable </html>)',
  });
  answer = { status: 404 };
  assert.equal((await check('https://mcpp0123.loca.lt')).ok, false, 'a tunnel that lost us answers 404');
  answer = new Error('getaddrinfo ENOTFOUND mcpp0123.loca.lt');
  assert.deepEqual(await check('https://mcpp0123.loca.lt'), {
    ok: false, reason: 'GET https://mcpp0123.loca.lt/.well-known/oauth-protected-resource/servers/notes/mcp failed: getaddrinfo ENOTFOUND mcpp0123.loca.lt',
  });
});

test('the config picks the provider: localtunnel (subdomain from the install id), cloudflared, ngrok, or the own URL', () => {
  const deps = { secrets: new MemorySecretStore(), installId: 'install-xyz' };
  const base: PublishSettings = { tunnel: 'localtunnel', subdomain: 'auto', publicUrl: null };

  const lt = createTunnel(base, deps);
  assert.ok(lt instanceof LocaltunnelProvider);
  assert.equal(lt.kind, 'localtunnel');
  assert.equal(lt.subdomain, subdomainFor('install-xyz'));
  assert.equal(lt.host, 'https://localtunnel.me');
  assert.deepEqual(lt.status, { state: 'offline', reason: 'not started' });

  const own = createTunnel({ ...base, subdomain: 'myteamtools', host: 'https://lt.example.com/' }, deps);
  assert.ok(own instanceof LocaltunnelProvider);
  assert.equal(own.subdomain, 'myteamtools');
  assert.equal(own.host, 'https://lt.example.com');
  const random = (createTunnel({ ...base, subdomain: 'random' }, deps) as LocaltunnelProvider).subdomain;
  assert.match(random, /^mcpp[0-9a-f]{12}$/);
  assert.notEqual(random, subdomainFor('install-xyz'));
  assert.throws(() => createTunnel({ ...base, subdomain: 'My Team' }, deps), (e: TunnelError) => e.code === 'invalid-option');

  assert.ok(createTunnel({ ...base, tunnel: 'cloudflared' }, deps) instanceof CloudflaredProvider);
  assert.ok(createTunnel({ ...base, tunnel: 'cloudflared', hostname: 'https://mcp.example.com' }, deps) instanceof CloudflaredProvider);
  assert.throws(() => createTunnel({ ...base, tunnel: 'cloudflared', hostname: 'http://mcp.example.com' }, deps), (e: TunnelError) => e.code === 'invalid-option');
  assert.ok(createTunnel({ ...base, tunnel: 'ngrok', ngrokDomain: 'me.ngrok-free.app' }, deps) instanceof NgrokProvider);

  const url = createTunnel({ ...base, tunnel: 'none', publicUrl: 'https://mcp.example.com' }, deps);
  assert.ok(url instanceof FixedUrlProvider);
  assert.equal(url.kind, 'url');
  assert.throws(() => createTunnel({ ...base, tunnel: 'none' }, deps), (e: TunnelError) => e.code === 'invalid-option' && /no public URL/.test(e.message));
  assert.throws(() => createTunnel({ ...base, tunnel: 'none', publicUrl: 'https://example.com/mcp' }, deps), /without a path/);
});

test('a URL that keeps failing its self-check backs off further each time, and stop() ends the wait at once', async () => {
  let healthy = false;
  const checks: number[] = [];
  const tunnel = new FixedUrlProvider({
    url: 'https://mcp.example.com',
    selfCheck: createSelfCheck({ path: '/healthz', transport: async () => { checks.push(Date.now()); return { status: healthy ? 200 : 502 }; } }),
    selfCheckIntervalMs: 50,
    backoff: { initialMs: 40, maxMs: 100 },
  });
  const log = watchStatus(tunnel);
  await tunnel.start(1);
  await log.waitFor((s) => isReconnecting(s) && s.attempt === 4, 3000, 'four reconnect attempts');
  const attempts = log.seen.filter(isReconnecting);
  assert.deepEqual(attempts.map((s) => s.retryInMs), [40, 80, 100, 100]);
  assert.match(attempts[0]!.reason, /^self-check failed twice in a row: .* answered 502$/);
  assert.match(attempts[1]!.reason, /^self-check: .* answered 502$/);
  assert.equal(log.states(), 'connecting online reconnecting reconnecting reconnecting reconnecting', 'no "online" while the URL is known broken');

  healthy = true;
  await log.waitFor(isOnline, 3000, 'online again', log.seen.length);
  healthy = false;
  const lostAgain = await log.waitFor(isReconnecting, 3000, 'lost again', log.seen.length);
  assert.ok(isReconnecting(lostAgain));
  assert.equal(lostAgain.attempt, 1, 'the attempts count from 1 again after being online');

  const t0 = Date.now();
  await tunnel.stop();
  assert.ok(Date.now() - t0 < 100, 'stop() does not wait for the backoff');
  assert.deepEqual(tunnel.status, { state: 'offline', reason: 'stopped' });
  const after = checks.length;
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(checks.length, after, 'no check after stop()');
});

test('start() twice is refused; stop() before start() and twice is harmless; a stopped tunnel starts again', async () => {
  const tunnel = new FixedUrlProvider({ url: 'https://mcp.example.com' });
  await tunnel.stop();
  await tunnel.start(1);
  await assert.rejects(tunnel.start(1), /already started/);
  await tunnel.stop();
  await tunnel.stop();
  await tunnel.start(1);
  assert.equal(tunnel.status.state, 'online');
  await tunnel.stop();
});
