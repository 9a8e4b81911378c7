// npm's "prepare" step after npm install / npm ci: compiles the core (dist/, scripts/build.mjs) and
// builds the settings UI (renderer/dist). An install without devDependencies has neither esbuild
// nor Vite: say so instead of failing the install.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
try {
  const { buildCore } = await import('./build.mjs');
  await buildCore();
} catch (e) {
  console.log(`mcp-publish: the core was not compiled (${e.message}); run "npm run build" after installing the devDependencies.`);
}
try {
  require.resolve('vite/package.json');
} catch {
  console.log('mcp-publish: Vite is not installed (devDependencies omitted), so the settings UI was not built; run "npm run build:ui" after installing it.');
  process.exit(0);
}
const vite = path.join(path.dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
const r = spawnSync(process.execPath, [vite, 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
