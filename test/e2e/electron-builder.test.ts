// Packaging, offline: electron-builder packs the Linux app directory from build/electron-builder.yml.
// The Electron binary cannot be downloaded here, so `electronDist` points at a folder with a stub
// executable named `electron` that carries Electron's fuse wire (sentinel, version, default
// states); everything else (the beforePack bundle, files, asar, native modules unpacked, the
// package.json `main`, the afterPack hook flipping the fuses) is the real thing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../support/gateway.ts';
import { fusesFor, readFuses } from '../../scripts/electron-fuses.mjs';

const require = createRequire(import.meta.url);
const asar = require('@electron/asar') as { listPackage(archive: string, options?: object): string[]; extractFile(archive: string, file: string): Buffer };

/** Longer than this and the test skips: packaging is meant to take seconds here. */
const LIMIT_MS = 90_000;
const NETWORK = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|getaddrinfo|socket hang up/;

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }, timeoutMs);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, output, timedOut }); });
  });
}

/** @electron/fuses' marker in every Electron binary; the fuse wire follows it. */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron 41's defaults: RunAsNode on, cookie encryption off, NODE_OPTIONS on, --inspect on, asar integrity off, only-asar off, V8 snapshot off, file:// privileges on. */
const DEFAULT_WIRE = '10110001';

test('electron-builder packs linux-unpacked with app.asar from build/electron-builder.yml, fuses flipped (Electron binary is a stub: it cannot be downloaded here)', async (t) => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-builder-'));
  t.after(() => fs.rm(tmp, { recursive: true, force: true }));
  const dist = path.join(tmp, 'electron-stub');
  await fs.mkdir(dist);
  const wire = Buffer.concat([Buffer.from(`# ${FUSE_SENTINEL}`), Buffer.from([1, DEFAULT_WIRE.length]), Buffer.from(DEFAULT_WIRE), Buffer.from('\n')]);
  await fs.writeFile(path.join(dist, 'electron'), Buffer.concat([Buffer.from('#!/bin/sh\n'), wire, Buffer.from('echo "stub: the real Electron binary cannot be downloaded here" >&2\nexit 1\n')]), { mode: 0o755 });
  const out = path.join(tmp, 'out');

  const started = Date.now();
  const r = await run(path.join(ROOT, 'node_modules', '.bin', 'electron-builder'), [
    '--linux', '--dir', '--config', 'build/electron-builder.yml', `-c.electronDist=${dist}`, `-c.directories.output=${out}`,
  ], LIMIT_MS);
  if (r.timedOut) return t.skip(`skipped: electron-builder took more than ${LIMIT_MS / 1000} s (it should take seconds offline)`);
  if (r.code !== 0 && NETWORK.test(r.output)) return t.skip(`skipped: electron-builder needed the network, which this machine does not have (${NETWORK.exec(r.output)![0]})`);
  assert.equal(r.code, 0, r.output);
  t.diagnostic(`packed in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const app = path.join(out, 'linux-unpacked');
  const archive = path.join(app, 'resources', 'app.asar');
  await fs.access(archive);
  assert.ok((await fs.stat(path.join(app, 'mcp-publish'))).isFile(), 'the executable is named mcp-publish (linux.executableName)');

  const files = new Set(asar.listPackage(archive).map((f) => f.split(path.sep).join('/')));
  for (const f of ['/package.json', '/electron/dist/main.mjs', '/electron/dist/preload.cjs', '/build/icons/tray/published-32.png', '/build/icons/tray/mac/publishedTemplate@2x.png']) {
    assert.ok(files.has(f), `app.asar has ${f}`);
  }
  assert.ok(![...files].some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.includes('/node_modules/')), 'no TypeScript sources: the core is bundled');
  assert.ok(![...files].some((f) => f.endsWith('.map')), 'no source maps');
  for (const dep of ['pino', 'oidc-provider', 'express', '@modelcontextprotocol/server-everything']) {
    assert.ok(files.has(`/node_modules/${dep}/package.json`), `the production dependency ${dep} ships`);
  }
  assert.ok(!files.has('/node_modules/electron/package.json'), 'electron itself is not a dependency of the app');

  const pkg = JSON.parse(asar.extractFile(archive, 'package.json').toString()) as { main?: string; type?: string; homepage?: string };
  assert.equal(pkg.main, 'electron/dist/main.mjs', 'extraMetadata.main points at the bundle');
  assert.equal(pkg.type, 'module');
  const main = asar.extractFile(archive, 'electron/dist/main.mjs').toString();
  assert.doesNotMatch(main, /from ["'][./]+src\//, 'the bundle does not import src/ at run time');
  assert.match(main, /from ["']electron["']/);

  // Native N-API modules load from the real file system (asarUnpack).
  const unpacked = path.join(app, 'resources', 'app.asar.unpacked', 'node_modules', '@napi-rs');
  const natives = (await fs.readdir(unpacked, { recursive: true })).filter((f) => String(f).endsWith('.node'));
  assert.ok(natives.length > 0, 'the keychain module is unpacked');

  // The fuses of the packed executable: nobody can start it as Node or push code into it.
  assert.deepEqual(await readFuses(path.join(app, 'mcp-publish')), {
    RunAsNode: 'disabled',
    EnableCookieEncryption: 'enabled',
    EnableNodeOptionsEnvironmentVariable: 'disabled',
    EnableNodeCliInspectArguments: 'disabled',
    EnableEmbeddedAsarIntegrityValidation: 'disabled', // Linux has no asar integrity check (see the next test)
    OnlyLoadAppFromAsar: 'enabled',
    LoadBrowserProcessSpecificV8Snapshot: 'disabled',
    GrantFileProtocolExtraPrivileges: 'disabled',
  });
  assert.match(r.output, /electron fuses {2}linux: RunAsNode=off/);
});

test('the fuse wiring per platform: asar integrity where Electron checks it (macOS, Windows), the rest alike everywhere', () => {
  const names = (platform: string) => Object.fromEntries(Object.entries(fusesFor(platform)).filter(([k]) => /^\d+$/.test(k)).map(([k, v]) => [Number(k), v]));
  for (const platform of ['darwin', 'mas', 'win32', 'linux']) {
    const f = names(platform);
    assert.equal(f[0], false, `${platform}: RunAsNode off`);
    assert.equal(f[1], true, `${platform}: cookie encryption on`);
    assert.equal(f[2], false, `${platform}: NODE_OPTIONS off`);
    assert.equal(f[3], false, `${platform}: --inspect off`);
    assert.equal(f[4], platform === 'linux' ? undefined : true, `${platform}: embedded asar integrity`);
    assert.equal(f[5], true, `${platform}: only app.asar`);
  }
  assert.equal(fusesFor('darwin').resetAdHocDarwinSignature, true);
});
