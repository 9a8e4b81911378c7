// Slow clients (DESIGN §5 "headers and bodies are bounded in time as well as size"): a request
// whose body trickles in, or never comes, or whose headers never end is cut after
// requestReadSeconds, with or without a token; thousands of idle connections do not stop new
// clients being served.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { fixture, startGateway, text, type TestGateway } from '../support/gateway.ts';
import { startSignedInGateway, type SignedInGateway } from '../support/signed-in.ts';

let gw: TestGateway;
let signed: SignedInGateway;
before(async () => {
  gw = await startGateway({ slow: fixture('slow-server', { isolation: 'per-user' }) }, { requestReadSeconds: 2 });
  signed = await startSignedInGateway({ slow: fixture('slow-server') }, { gateway: { requestReadSeconds: 2 } });
});
after(async () => { await gw.close(); await signed.close(); });

/** Opens a raw connection, writes `head`, then drips `drip` one byte every `everyMs`; resolves with how long until the server closed it. */
function slowRequest(url: string, head: string, drip = '', everyMs = 1000): Promise<{ ms: number; response: string }> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(Number(u.port), u.hostname, () => socket.write(head));
    let response = '';
    let i = 0;
    const timer = setInterval(() => { if (i < drip.length && !socket.destroyed) socket.write(drip[i++]!); }, everyMs);
    socket.on('data', (d) => { response += d; });
    socket.on('error', () => {});
    socket.on('close', () => { clearInterval(timer); resolve({ ms: Date.now() - started, response }); });
    setTimeout(() => socket.destroy(), 30_000).unref();
  });
}

function post(url: string, length: number, extra = ''): string {
  const u = new URL(url);
  return `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nX-Test-User: slow\r\n${extra}Content-Length: ${length}\r\n\r\n`;
}

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'slow', version: '1' } } });

test('a body that trickles in a byte a second is cut after requestReadSeconds', { timeout: 30_000 }, async () => {
  const r = await slowRequest(gw.mcpUrl('slow'), post(gw.mcpUrl('slow'), INIT.length), INIT);
  assert.ok(r.ms < 8_000, `cut after ${r.ms} ms`);
  assert.doesNotMatch(r.response, /"result"/, 'the request was never served');
});

test('a body that declares 100 bytes and sends 1 is cut; so are headers that never end', { timeout: 30_000 }, async () => {
  const short = await slowRequest(gw.mcpUrl('slow'), `${post(gw.mcpUrl('slow'), 100)}{`);
  assert.ok(short.ms < 8_000, `short body cut after ${short.ms} ms`);
  const u = new URL(gw.mcpUrl('slow'));
  const headers = await slowRequest(gw.mcpUrl('slow'), `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\n`, 'X-Slow: aaaaaaaaaaaaaaaaaaaa', 500);
  assert.ok(headers.ms < 8_000, `slow headers cut after ${headers.ms} ms`);
});

test('with sign-in on, a trickling body is cut whether or not it carries a token', { timeout: 30_000 }, async () => {
  const url = signed.mcpUrl('slow').replace(signed.issuer, signed.url);
  const anonymous = await slowRequest(url, post(url, INIT.length), INIT);
  assert.ok(anonymous.ms < 8_000, `without a token: cut after ${anonymous.ms} ms`);
  const forged = await slowRequest(url, post(url, INIT.length, 'Authorization: Bearer not-a-token\r\n'), INIT);
  assert.ok(forged.ms < 8_000, `with a token: cut after ${forged.ms} ms`);
});

test('2,000 idle connections do not stop a new client being served', { timeout: 60_000 }, async () => {
  const u = new URL(gw.url);
  const idle: net.Socket[] = [];
  await Promise.all(Array.from({ length: 2000 }, (_, i) => new Promise<void>((resolve) => {
    const s = net.connect(Number(u.port), u.hostname, () => { if (i % 2) s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'); resolve(); });
    s.on('error', () => resolve());
    idle.push(s);
  })));
  try {
    const client = await gw.connect('slow', { user: 'newcomer' });
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'served' } })), 'served');
  } finally {
    for (const s of idle) s.destroy();
  }
});
