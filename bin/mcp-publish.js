#!/usr/bin/env node
// Entry point of the `mcp-publish` command: runs the compiled core (dist/, built by `npm install`
// through `prepare`, or by `npm run build`), so a start compiles nothing. Stack traces point at src/.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli.mjs', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('mcp-publish: the compiled core is missing (dist/cli.mjs). Run "npm run build" (it needs the devDependencies).\n');
  process.exit(1);
}
process.setSourceMapsEnabled(true);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
