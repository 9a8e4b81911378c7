#!/usr/bin/env node
// Compiles the core for `npm start` and the `mcp-publish` command: src/cli.ts → dist/ (ESM, one
// bundle plus a chunk per lazily imported part, source maps beside them). npm packages stay
// external (they ship in node_modules; some are native), except the pure-JS ones every start
// needs, made of many small files (zod, jose): bundled, they load as one. Run by `prepare` after npm install, and
// by `npm test` before the suites, so a start never compiles anything (issue: ready in half a second).
//
// `import.meta.url` keeps meaning "this source file" (as under tsx): each module's is rewritten to
// its path under the app root, resolved against the bundle's location, so `../package.json` from
// src/publisher.ts still finds package.json.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Bundled into dist/ instead of loaded from node_modules file by file. */
const BUNDLED = ['zod', 'jose'];

/** esbuild plugin: `import.meta.url` of each app source file → its own URL under the app root. */
export function sourceImportMetaUrl(root) {
  return {
    name: 'source-import-meta-url',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => {
        if (args.path.split(path.sep).includes('node_modules')) return undefined;
        const rel = path.relative(root, args.path).split(path.sep).join('/');
        const text = await fs.readFile(args.path, 'utf8');
        return { contents: text.replace(/\bimport\.meta\.url\b/g, `new URL(${JSON.stringify(rel)}, __appRoot).href`), loader: 'ts' };
      });
    },
  };
}

/** Builds dist/; resolves with the entry file. */
export async function buildCore({ root = ROOT, outdir = path.join(root, 'dist'), logLevel = 'warning' } = {}) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error('esbuild is not installed (devDependencies omitted): the core cannot be built');
  }
  await fs.rm(outdir, { recursive: true, force: true });
  const pkg = JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8'));
  const external = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.devDependencies })
    .filter((name) => !BUNDLED.includes(name)).flatMap((name) => [name, `${name}/*`]);
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: { cli: path.join(root, 'src', 'cli.ts') },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external,
    sourcemap: 'linked',
    legalComments: 'none',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    logLevel,
    // Chunks sit one level deeper than the entry: each finds the app root from its own URL.
    banner: { js: "const __appRoot = new URL(import.meta.url.includes('/dist/chunks/') ? '../../' : '../', import.meta.url);" },
    plugins: [sourceImportMetaUrl(root)],
  });
  return path.join(outdir, 'cli.mjs');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const entry = await buildCore({ logLevel: 'warning' });
  console.log(`built ${path.relative(process.cwd(), entry)} in ${Date.now() - started} ms`);
}
