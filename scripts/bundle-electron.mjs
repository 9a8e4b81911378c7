#!/usr/bin/env node
// Bundles the Electron main process for `npm run app` and packaging: electron/main.ts with the
// core from src/ → electron/dist/main.mjs (ESM, as the core is), and electron/preload.ts →
// electron/dist/preload.cjs (a sandboxed preload must be CommonJS). npm packages stay external
// (they ship in node_modules; @napi-rs/keyring is native). Also the electron-builder beforePack
// hook, so `npm run dist` always packs a fresh bundle.
//
// `import.meta.url` keeps meaning "this source file": each module's is rewritten to its path
// under the app root, resolved against the bundle's location at run time. So `../package.json`
// from src/publisher.ts, and module-relative paths from electron/main.ts, resolve as they do
// under tsx, in a checkout and inside app.asar alike.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceImportMetaUrl } from './build.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Builds electron/dist; resolves with the files written. */
export async function bundleElectron({ root = ROOT, outdir = path.join(root, 'electron', 'dist'), logLevel = 'warning' } = {}) {
  const esbuild = await import('esbuild');
  await fs.rm(outdir, { recursive: true, force: true });
  const common = { absWorkingDir: root, bundle: true, platform: 'node', target: 'node22', sourcemap: 'linked', logLevel, legalComments: 'none' };
  await esbuild.build({
    ...common,
    entryPoints: [path.join(root, 'electron', 'main.ts')],
    outfile: path.join(outdir, 'main.mjs'),
    format: 'esm',
    packages: 'external',
    external: ['electron'],
    // The bundle lives in <root>/electron/dist/: two levels below the app root.
    banner: { js: "const __appRoot = new URL('../../', import.meta.url);" },
    plugins: [sourceImportMetaUrl(root)],
  });
  await esbuild.build({
    ...common,
    entryPoints: [path.join(root, 'electron', 'preload.ts')],
    outfile: path.join(outdir, 'preload.cjs'),
    format: 'cjs',
    external: ['electron'],
  });
  return [path.join(outdir, 'main.mjs'), path.join(outdir, 'preload.cjs')];
}

/** electron-builder `beforePack` hook. */
export async function beforePack() {
  await bundleElectron();
}
export default beforePack;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = await bundleElectron({ logLevel: 'info' });
  console.log(`bundled ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
}
