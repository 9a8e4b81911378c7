// The keychain SecretStore against a real Secret Service (gnome-keyring under dbus-run-session,
// started by scripts/keychain-test.sh), and the backend choice with and without a usable keychain.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { AsyncEntry, findCredentialsAsync } from '@napi-rs/keyring';
import { KeychainSecretStore } from '../../src/secrets/keychain-store.ts';
import { openSecretStore } from '../../src/secrets/select.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { appPaths } from '../../src/config/paths.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const inKeyring = process.env.MCP_PUBLISH_KEYCHAIN_TEST === '1';
const SKIP_REASON = ' (skipped: needs gnome-keyring under dbus-run-session; run via npm test as root)';
/** A test that needs the Secret Service the runner script provides; otherwise skipped, saying why. */
const keyringTest = (name: string, fn: () => Promise<void>) => (inKeyring ? test(name, fn) : test.skip(name + SKIP_REASON, fn));

/** A service name of our own, so the tests never touch a real `mcp-publish` entry. */
const service = `mcp-publish-test-${randomBytes(4).toString('hex')}`;
const linux = { linux: { store: 'secret-service' as const } };

const scratchDirs: string[] = [];
after(async () => {
  for (const dir of scratchDirs) await fs.rm(dir, { recursive: true, force: true });
  if (!inKeyring) return;
  for (const c of await findCredentialsAsync(service).catch(() => [])) await new AsyncEntry(service, c.account, linux).deletePassword();
});

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcp-publish-keychain-'));
  scratchDirs.push(dir);
  return dir;
}

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, logger: createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } }) };
}

keyringTest('a user with an unlocked keyring keeps secrets there, and a restart still lists them', async () => {
  await KeychainSecretStore.probe({ service });
  const store = await KeychainSecretStore.open({ service });
  assert.equal(store.kind, 'keychain');
  assert.equal(await store.get('idp/github/client-secret'), undefined);

  await store.set('idp/github/client-secret', 'gh-ß€✓');
  await store.set('tunnel/ngrok', 'tok-1');
  await store.set('tunnel/ngrok', 'tok-2');
  await Promise.all(['user/a/env/K', 'user/b/env/K', 'user/c/env/K'].map((k) => store.set(k, k)));
  assert.equal(await store.get('tunnel/ngrok'), 'tok-2');
  assert.deepEqual(await store.list('user/'), ['user/a/env/K', 'user/b/env/K', 'user/c/env/K']);

  const accounts = (await findCredentialsAsync(service)).map((c) => c.account).sort();
  assert.ok(accounts.includes('idp/github/client-secret') && accounts.includes('__index__'), 'entries live in the Secret Service');

  const restarted = new KeychainSecretStore({ service });
  assert.deepEqual(await restarted.list(), ['idp/github/client-secret', 'tunnel/ngrok', 'user/a/env/K', 'user/b/env/K', 'user/c/env/K']);
  assert.equal(await restarted.get('idp/github/client-secret'), 'gh-ß€✓');
  assert.equal(await restarted.delete('tunnel/ngrok'), true);
  assert.equal(await restarted.delete('tunnel/ngrok'), false);
  assert.equal(await store.get('tunnel/ngrok'), undefined);
  assert.deepEqual(await store.list('tunnel/'), []);
});

keyringTest('a damaged key index is rebuilt from the keyring', async () => {
  const store = new KeychainSecretStore({ service });
  await store.set('rebuild/me', 'v');
  await new AsyncEntry(service, '__index__', linux).setPassword('{ not a json array');
  assert.ok((await store.list()).includes('rebuild/me'));
  assert.ok(JSON.parse((await new AsyncEntry(service, '__index__', linux).getPassword())!).includes('rebuild/me'));
});

keyringTest('openSecretStore picks the keychain when it works and says so in one info line', async () => {
  const { logger, lines } = capturingLogger();
  const paths = appPaths(await tempDir());
  const store = await openSecretStore({ paths, logger, env: {}, keychainService: service });
  assert.equal(store.kind, 'keychain');
  await store.set('picked', 'do-not-log-me');
  assert.equal(lines.length, 1, JSON.stringify(lines));
  assert.equal(lines[0]!.level, 30);
  assert.equal(lines[0]!.backend, 'keychain');
  assert.ok(!JSON.stringify(lines).includes('do-not-log-me'));
  await assert.rejects(fs.stat(paths.secretsKey), { code: 'ENOENT' }, 'no key file when the keychain is used');
});

/** What a fresh process sees from the probe and from openSecretStore, auto and forced. */
const CHILD = `
  import { openSecretStore } from ${JSON.stringify(pathToFileURL(path.join(root, 'src/secrets/select.ts')).href)};
  import { KeychainSecretStore } from ${JSON.stringify(pathToFileURL(path.join(root, 'src/secrets/keychain-store.ts')).href)};
  import { createLogger } from ${JSON.stringify(pathToFileURL(path.join(root, 'src/logging/logger.ts')).href)};
  const { CHILD_DIR: dir, CHILD_SERVICE: service } = process.env;
  const paths = { secretsFile: dir + '/secrets.enc', secretsKey: dir + '/secrets.key' };
  const lines = [];
  const logger = createLogger({ level: 'info', destination: { write: (s) => void lines.push(JSON.parse(s)) } });
  const out = { lines };
  try { await KeychainSecretStore.probe({ service, timeoutMs: 5000 }); out.probe = 'ok'; } catch (e) { out.probe = e.code; }
  out.kind = (await openSecretStore({ paths, logger, env: {}, keychainService: service })).kind;
  try { await openSecretStore({ paths, logger: createLogger({ level: 'silent' }), env: { MCP_PUBLISH_SECRETS: 'keychain' }, keychainService: service }); out.forced = 'ok'; }
  catch (e) { out.forced = e.code; }
  console.log(JSON.stringify(out));
`;

interface ChildResult { probe: string; kind: string; forced: string; lines: Array<Record<string, unknown>> }

async function childSees(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<ChildResult> {
  const { stdout } = await run(command, args, { cwd: root, env: { ...env, CHILD_DIR: await tempDir(), CHILD_SERVICE: service }, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildResult;
}

function assertFellBack(seen: ChildResult, code: 'unavailable' | 'locked'): void {
  assert.equal(seen.probe, code);
  assert.equal(seen.kind, 'encrypted-file');
  assert.equal(seen.forced, code, 'MCP_PUBLISH_SECRETS=keychain does not fall back');
  const warn = seen.lines.filter((l) => l.level === 40);
  const info = seen.lines.filter((l) => l.level === 30);
  assert.equal(warn.length, 1, JSON.stringify(seen.lines));
  assert.match(String(warn[0]!.msg), /NOT IN THE OS KEYCHAIN/);
  assert.equal(info.length, 1);
  assert.equal(info[0]!.backend, 'encrypted-file');
  assert.match(String(info[0]!.msg), new RegExp(`fell back: keychain ${code}`));
}

const nodeArgs = ['--import', 'tsx', '--input-type=module', '-e', CHILD];
const linuxOnly = process.platform === 'linux' ? test : test.skip;

linuxOnly('without a session bus the keychain is unavailable and secrets go to the encrypted file, loudly', async () => {
  const env = { ...process.env };
  delete env.DBUS_SESSION_BUS_ADDRESS;
  delete env.XDG_RUNTIME_DIR;
  delete env.MCP_PUBLISH_LOG_LEVEL;
  assertFellBack(await childSees(process.execPath, nodeArgs, env), 'unavailable');
});

keyringTest('a locked keyring nobody can unlock counts as locked, and secrets go to the encrypted file', async () => {
  // A second private session whose gnome-keyring loads a copy of our login keyring, locked:
  // its unlock prompt cannot be shown, so every call fails like a user who dismissed it.
  const scratch = await tempDir();
  await fs.mkdir(path.join(scratch, 'data'), { mode: 0o700 });
  await fs.mkdir(path.join(scratch, 'run'), { mode: 0o700 });
  await fs.cp(path.join(process.env.XDG_DATA_HOME!, 'keyrings'), path.join(scratch, 'data', 'keyrings'), { recursive: true });
  const script = `"$@"; status=$?
    pid=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null | awk '/uint32/ {print $2}')
    [ -n "$pid" ] && kill "$pid"; exit $status`;
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_DATA_HOME: path.join(scratch, 'data'), XDG_RUNTIME_DIR: path.join(scratch, 'run') };
  delete env.MCP_PUBLISH_LOG_LEVEL;
  assertFellBack(await childSees('dbus-run-session', ['--', 'bash', '-c', script, 'child', process.execPath, ...nodeArgs], env), 'locked');
});
