// Our gateway in a process of its own, so the benchmark can read its CPU and memory from /proc:
// a Publisher serving `everything` (server-everything) and `tiny` (test/bench/tiny-server.mjs),
// a silent logger, and the user taken from the `x-bench-user` header. Prints one JSON line
// `{ "url": … }` on stdout when listening; stops every child on SIGTERM, SIGINT or stdin EOF.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { Publisher } from '../../src/publisher.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const everything = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');

const config = parseConfig({
  mcpServers: {
    everything: { command: process.execPath, args: [everything, 'stdio'] },
    tiny: { command: process.execPath, args: [path.join(here, 'tiny-server.mjs')] },
  },
  gateway: { port: 0, host: '127.0.0.1' },
});

const publisher = new Publisher({
  config,
  logger: silentLogger(),
  identify: (req) => ({ user: String(req.headers['x-bench-user'] ?? 'local') }),
});

let stopping: Promise<void> | undefined;
function stop(): Promise<void> {
  stopping ??= publisher.stop().then(
    () => process.exit(0),
    (e: Error) => { process.stderr.write(`stop failed: ${e.message}\n`); process.exit(1); },
  );
  return stopping;
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();

const url = await publisher.start();
process.stdout.write(JSON.stringify({ url, everything: publisher.serverUrl('everything'), tiny: publisher.serverUrl('tiny') }) + '\n');
