#!/usr/bin/env node
// `npm run dev -- <command>`: the mcp-publish command from the TypeScript sources through tsx (a
// devDependency), for working on the core without rebuilding dist/. `npm start` runs the build.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
