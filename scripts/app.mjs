#!/usr/bin/env node
// `npm run app`: runs the desktop app from the checkout. Fetches the Electron binary on first
// use (npm install skips it: "allowScripts": {"electron": false}), bundles the main process
// (scripts/bundle-electron.mjs) and starts Electron on it. Arguments after `--` go to the app.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { bundleElectron } from './bundle-electron.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const ELECTRON_PKG = path.join(ROOT, 'node_modules', 'electron');

/** The Electron binary, or undefined when it was never downloaded. */
function electronBinary() {
  try {
    // index.js throws "Electron failed to install correctly" without path.txt.
    const bin = require('electron');
    return typeof bin === 'string' && fs.existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

function fetchElectron() {
  const { version } = JSON.parse(fs.readFileSync(path.join(ELECTRON_PKG, 'package.json'), 'utf8'));
  console.log(`Electron ${version} is not downloaded yet; fetching it (once) with node_modules/electron/install.js…`);
  const env = { ...process.env };
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  const r = spawnSync(process.execPath, [path.join(ELECTRON_PKG, 'install.js')], { cwd: ELECTRON_PKG, env, stdio: 'inherit' });
  const bin = r.status === 0 ? electronBinary() : undefined;
  if (!bin) {
    console.error([
      '',
      `Could not download Electron ${version} (install.js exited with ${r.status ?? r.signal}).`,
      'It comes from github.com/electron/electron/releases, so this machine needs to reach github.com',
      '(or a mirror: set ELECTRON_MIRROR, see https://www.electronjs.org/docs/latest/tutorial/installation).',
      'With an Electron already on disk, point ELECTRON_OVERRIDE_DIST_PATH at its folder instead.',
      'The headless gateway needs no Electron: npm start (mcp-publish serve).',
    ].join('\n'));
    process.exit(1);
  }
  return bin;
}

const bin = electronBinary() ?? fetchElectron();
await bundleElectron();
const args = process.argv.slice(2);
const child = spawn(bin, [path.join(ROOT, 'electron', 'dist', 'main.mjs'), ...args], { cwd: ROOT, stdio: 'inherit' });
// Ctrl+C reaches Electron too (same process group); TERM from a supervisor is passed on.
process.on('SIGTERM', () => child.kill('SIGTERM'));
process.on('SIGINT', () => {});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
