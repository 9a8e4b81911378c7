// The admin API serves the settings UI's built files (renderer/dist) to anyone on this computer
// without the token, since they hold no data: the right content types, index.html revalidated on
// every load, nothing outside the folder, and a page saying how to build it when it is missing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startGateway, type TestGateway } from '../support/gateway.ts';
import { rememberSecret } from '../support/log-audit.ts';
import { AdminServer } from '../../src/admin/admin-server.ts';
import { DEFAULT_UI_DIR } from '../../src/admin/ui-files.ts';

let tmp: string;
let gw: TestGateway;
let served: AdminServer;
let missing: AdminServer;
let url: string;
let missingUrl: string;

/** Raw HTTP, for paths fetch would tidy up (`/../`) and a foreign Host. */
function raw(target: string, pathname: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const { hostname, port } = new URL(target);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path: pathname, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-ui-files-'));
  const dist = path.join(tmp, 'dist');
  await fs.mkdir(path.join(dist, 'assets'), { recursive: true });
  await fs.writeFile(path.join(dist, 'index.html'), '<!doctype html><title>MCP Publish</title><script type="module" src="./assets/app-1a2b.js"></script>');
  await fs.writeFile(path.join(dist, 'assets', 'app-1a2b.js'), 'console.log("settings")');
  await fs.writeFile(path.join(dist, 'assets', 'app-1a2b.css'), 'body{}');
  await fs.writeFile(path.join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await fs.writeFile(path.join(dist, '.env'), 'NOT=served');
  await fs.writeFile(path.join(tmp, 'secret.txt'), 'outside the UI folder');
  gw = await startGateway({});
  served = new AdminServer({ publisher: gw.publisher, logger: gw.publisher.logger, uiDir: dist });
  url = (await served.start()).url;
  rememberSecret(served.token);
  missing = new AdminServer({ publisher: gw.publisher, logger: gw.publisher.logger, uiDir: path.join(tmp, 'not-built') });
  missingUrl = (await missing.start()).url;
  rememberSecret(missing.token);
});
after(async () => {
  await served?.stop();
  await missing?.stop();
  await gw?.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

test('GET / is the built index.html, without the token, revalidated on every load and held to its own origin', async () => {
  const res = await fetch(url + '/');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  assert.match(res.headers.get('content-security-policy')!, /default-src 'self'.*frame-ancestors 'none'/);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.match(await res.text(), /<title>MCP Publish<\/title>/);
  assert.equal((await fetch(url + '/index.html')).status, 200);
  const head = await raw(url, '/', {}, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
});

test('assets come with their content types; hashed ones may be cached for good', async () => {
  const js = await fetch(url + '/assets/app-1a2b.js');
  assert.equal(js.status, 200);
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(await js.text(), 'console.log("settings")');
  assert.equal((await fetch(url + '/assets/app-1a2b.css')).headers.get('content-type'), 'text/css; charset=utf-8');
  const icon = await fetch(url + '/favicon.svg');
  assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
  assert.equal(icon.headers.get('cache-control'), 'no-cache');
});

test('nothing outside the UI folder, no dot files, no directories; Host is still checked; the API still needs its token', async () => {
  for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/.env', '/assets', '/assets/', '/nothing.js', '/%E0%A4%A']) {
    const res = await raw(url, p);
    assert.equal(res.status, 404, p);
    assert.doesNotMatch(res.body, /outside the UI folder|NOT=served/, p);
  }
  assert.equal((await raw(url, '/', { host: 'evil.example' })).status, 403, 'DNS rebinding: a foreign Host');
  assert.equal((await fetch(url + '/', { headers: { origin: 'https://evil.example' } })).status, 403, 'a foreign Origin');
  assert.equal((await fetch(url + '/api/status')).status, 403, 'the API needs the token');
  assert.equal((await fetch(url + '/api/status', { headers: { authorization: `Bearer ${served.token}` } })).status, 200);
  assert.equal((await fetch(url + '/', { method: 'POST' })).status, 403, 'only GET and HEAD reach the files');
});

test('without a build, GET / says to run npm run build:ui', async () => {
  const res = await fetch(missingUrl + '/');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.match(await res.text(), /npm run build:ui/);
  assert.equal((await fetch(missingUrl + '/assets/app.js')).status, 404);
});

test('by default the files come from renderer/dist next to the sources', () => {
  assert.equal(path.relative(ROOT, DEFAULT_UI_DIR).split(path.sep).join('/'), 'renderer/dist');
});
