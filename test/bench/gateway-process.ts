// Our gateway in a process of its own, so the benchmark can read its CPU and memory from /proc:
// a Publisher serving `everything` (server-everything) and `tiny` (test/bench/tiny-server.mjs)
// with the app's own logger (info, to stderr). Two modes:
//   --sign-in  sign-in on, as people run it: our authorization server, a state file, local
//              accounts for the people named in BENCH_PEOPLE (a JSON list of emails; each
//              password is BENCH_PASSWORD + "-" + the email), everyone at @bench.example allowed.
//   (default)  sign-in off: the user is taken from the `x-bench-user` header.
// Prints one JSON line `{ "url", "everything", "tiny", "issuer"? }` on stdout when ready; stops
// every child on SIGTERM, SIGINT or stdin EOF.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { Publisher } from '../../src/publisher.ts';
import { openStateStore, type StateStore } from '../../src/state/state-store.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const everything = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');
const signInOn = process.argv.includes('--sign-in');

/** The domain of the benchmark's people (test/bench/setups.ts), allowed by the access policy. */
const BENCH_DOMAIN = 'bench.example';

const config = parseConfig({
  mcpServers: {
    everything: { command: process.execPath, args: [everything, 'stdio'] },
    tiny: { command: process.execPath, args: [path.join(here, 'tiny-server.mjs')] },
  },
  // The memory phase holds 100 idle sessions per person (the default limit is 32).
  gateway: { port: 0, host: '127.0.0.1', limits: { sessionsPerPerson: 256 } },
  access: signInOn ? { login: { local: true }, allow: { domains: [BENCH_DOMAIN] }, unknownUsers: 'deny' } : {},
});

const logger = createLogger();
let home: string | undefined;
let state: StateStore | undefined;
if (signInOn) {
  home = mkdtempSync(path.join(os.tmpdir(), 'mcp-publish-bench-'));
  state = await openStateStore({ file: path.join(home, 'state.json'), logger: logger.child({ component: 'state' }) });
}

const publisher = new Publisher({
  config, logger, state,
  ...(signInOn
    // Cheap password hashes: sign-in happens before timing, and a hundred people sign in.
    ? { authTest: { scrypt: { N: 1024, r: 8, p: 1 } } }
    : { identify: (req) => ({ user: String(req.headers['x-bench-user'] ?? 'local') }) }),
});

let stopping: Promise<void> | undefined;
function stop(): Promise<void> {
  stopping ??= publisher.stop().then(() => state?.close()).then(
    () => { if (home) rmSync(home, { recursive: true, force: true }); process.exit(0); },
    (e: Error) => { process.stderr.write(`stop failed: ${e.message}\n`); process.exit(1); },
  );
  return stopping;
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();

const url = await publisher.start();
if (signInOn) {
  const local = publisher.signIn!.local!;
  const password = process.env.BENCH_PASSWORD ?? '';
  for (const email of JSON.parse(process.env.BENCH_PEOPLE ?? '[]') as string[]) {
    await local.createAccount({ email });
    await local.setPassword(email, `${password}-${email}`);
  }
  await state!.flush();
}
process.stdout.write(JSON.stringify({ url, everything: publisher.serverUrl('everything'), tiny: publisher.serverUrl('tiny'), issuer: publisher.issuer }) + '\n');
