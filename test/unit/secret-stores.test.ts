// The secret stores that need no keychain (encrypted file, memory), the backend choice when it is
// forced, and the persisted state store: round trips, persistence, refusal of damaged files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { EncryptedFileSecretStore, parseSecretKey } from '../../src/secrets/encrypted-file-store.ts';
import { MemorySecretStore } from '../../src/secrets/memory-store.ts';
import { SecretStoreError } from '../../src/secrets/secret-store.ts';
import { openSecretStore } from '../../src/secrets/select.ts';
import { openStateStore, StateStoreError } from '../../src/state/state-store.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { appPaths } from '../../src/config/paths.ts';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcp-publish-secrets-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

const modeOf = async (file: string) => (await fs.stat(file)).mode & 0o777;

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
  return { logger, lines };
}

test('a user without a keychain keeps secrets in an encrypted file that a second start can read', async (t) => {
  const paths = appPaths(await tempDir(t));
  const store = new EncryptedFileSecretStore({ file: paths.secretsFile, keyFile: paths.secretsKey });
  assert.equal(store.kind, 'encrypted-file');
  assert.equal(await store.get('tunnel/ngrok'), undefined);
  await assert.rejects(fs.stat(paths.secretsKey), { code: 'ENOENT' }, 'reading creates no key file');

  await store.set('tunnel/ngrok', 'tok-123');
  await store.set('idp/github/client-secret', 'gh-ß€✓');
  await store.set('user/alice/env/API_KEY', '');
  assert.equal(await store.get('idp/github/client-secret'), 'gh-ß€✓');
  assert.deepEqual(await store.list(), ['idp/github/client-secret', 'tunnel/ngrok', 'user/alice/env/API_KEY']);
  assert.deepEqual(await store.list('user/'), ['user/alice/env/API_KEY']);
  assert.equal(await store.delete('tunnel/ngrok'), true);
  assert.equal(await store.delete('tunnel/ngrok'), false);

  const text = await fs.readFile(paths.secretsFile, 'utf8');
  assert.ok(!text.includes('gh-'), 'no value in clear text');
  assert.equal(await modeOf(paths.secretsFile), 0o600);
  assert.equal(await modeOf(paths.secretsKey), 0o600);

  const again = new EncryptedFileSecretStore({ file: paths.secretsFile, keyFile: paths.secretsKey });
  assert.equal(await again.get('idp/github/client-secret'), 'gh-ß€✓');
  assert.equal(await again.get('user/alice/env/API_KEY'), '');
  assert.deepEqual(await again.list(), ['idp/github/client-secret', 'user/alice/env/API_KEY']);
});

test('every write uses a fresh IV', async (t) => {
  const paths = appPaths(await tempDir(t));
  const store = new EncryptedFileSecretStore({ file: paths.secretsFile, keyFile: paths.secretsKey });
  await store.set('a', 'same');
  const first = JSON.parse(await fs.readFile(paths.secretsFile, 'utf8'));
  await store.set('a', 'same');
  const second = JSON.parse(await fs.readFile(paths.secretsFile, 'utf8'));
  assert.equal(Buffer.from(first.iv, 'base64').length, 12);
  assert.notEqual(first.iv, second.iv);
  assert.notEqual(first.data, second.data);
});

test('MCP_PUBLISH_SECRET_KEY may be 32 bytes in hex or base64, or a passphrase', async (t) => {
  const dir = await tempDir(t);
  const key = randomBytes(32);
  assert.ok('raw' in parseSecretKey(key.toString('hex')));
  assert.ok('raw' in parseSecretKey(key.toString('base64')));
  assert.ok('raw' in parseSecretKey(key.toString('base64url')));
  assert.ok('passphrase' in parseSecretKey('correct horse battery staple'));

  const file = path.join(dir, 'raw.enc');
  const keyFile = path.join(dir, 'unused.key');
  await new EncryptedFileSecretStore({ file, keyFile, secretKey: key.toString('hex') }).set('k', 'v');
  assert.equal(await new EncryptedFileSecretStore({ file, keyFile, secretKey: key.toString('base64') }).get('k'), 'v');
  await assert.rejects(fs.stat(keyFile), { code: 'ENOENT' }, 'a given key means no key file');

  const pfile = path.join(dir, 'pass.enc');
  const pstore = new EncryptedFileSecretStore({ file: pfile, keyFile, secretKey: 'correct horse battery staple' });
  await pstore.set('k', 'v1');
  await pstore.set('k2', 'v2');
  const { kdf } = JSON.parse(await fs.readFile(pfile, 'utf8'));
  assert.equal(kdf.name, 'scrypt');
  assert.equal(typeof kdf.salt, 'string');
  const reopened = new EncryptedFileSecretStore({ file: pfile, keyFile, secretKey: 'correct horse battery staple' });
  assert.deepEqual([await reopened.get('k'), await reopened.get('k2')], ['v1', 'v2']);
});

test('the wrong key is reported as corrupt and the file is never overwritten', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'secrets.enc');
  const keyFile = path.join(dir, 'secrets.key');
  await new EncryptedFileSecretStore({ file, keyFile, secretKey: 'right passphrase' }).set('k', 'v');
  const before = await fs.readFile(file);

  for (const secretKey of ['wrong passphrase', randomBytes(32).toString('hex'), undefined]) {
    const wrong = new EncryptedFileSecretStore({ file, keyFile, secretKey });
    await assert.rejects(wrong.get('k'), (e: unknown) => e instanceof SecretStoreError && e.code === 'corrupt' && e.message.includes('left untouched'));
    await assert.rejects(wrong.set('k', 'overwrite'), { code: 'corrupt' });
    await assert.rejects(wrong.delete('k'), { code: 'corrupt' });
    await assert.rejects(wrong.list(), { code: 'corrupt' });
  }
  assert.deepEqual(await fs.readFile(file), before);
  await assert.rejects(fs.stat(keyFile), { code: 'ENOENT' }, 'no key file is invented for an existing secrets file');
  assert.equal(await new EncryptedFileSecretStore({ file, keyFile, secretKey: 'right passphrase' }).get('k'), 'v');
});

test('a damaged or swapped secrets file is refused and left as it is', async (t) => {
  const paths = appPaths(await tempDir(t));
  const store = new EncryptedFileSecretStore({ file: paths.secretsFile, keyFile: paths.secretsKey });
  await store.set('k', 'v');
  const good = JSON.parse(await fs.readFile(paths.secretsFile, 'utf8'));
  const data = Buffer.from(good.data, 'base64');
  data[0] ^= 1;
  const variants = ['{ not json', JSON.stringify({ hello: 1 }), JSON.stringify({ ...good, data: data.toString('base64') }), JSON.stringify({ ...good, version: 2 })];
  for (const text of variants) {
    await fs.writeFile(paths.secretsFile, text);
    await assert.rejects(store.set('k', 'v2'), { code: 'corrupt' });
    assert.equal(await fs.readFile(paths.secretsFile, 'utf8'), text);
  }
});

test('keys starting with "__" are reserved in every store', async () => {
  const store = new MemorySecretStore();
  await assert.rejects(store.set('__index__', 'x'), TypeError);
  await assert.rejects(store.get(''), TypeError);
});

test('the memory store keeps secrets for the life of the process only', async () => {
  const store = new MemorySecretStore({ seeded: 'yes' });
  assert.equal(store.kind, 'memory');
  assert.equal(await store.get('seeded'), 'yes');
  await store.set('b/1', 'one');
  await store.set('a/1', 'uno');
  assert.deepEqual(await store.list(), ['a/1', 'b/1', 'seeded']);
  assert.deepEqual(await store.list('b/'), ['b/1']);
  assert.equal(await store.delete('b/1'), true);
  assert.equal(await store.delete('b/1'), false);
  assert.equal(await new MemorySecretStore().get('a/1'), undefined);
});

test('MCP_PUBLISH_SECRETS forces a backend and one info line names it, without values', async (t) => {
  const paths = appPaths(await tempDir(t));
  const mem = capturingLogger();
  const memory = await openSecretStore({ paths, logger: mem.logger, env: { MCP_PUBLISH_SECRETS: 'memory' } });
  assert.equal(memory.kind, 'memory');

  const file = capturingLogger();
  const store = await openSecretStore({ paths, logger: file.logger, env: { MCP_PUBLISH_SECRETS: 'file', MCP_PUBLISH_SECRET_KEY: 'a passphrase' } });
  assert.equal(store.kind, 'encrypted-file');
  await store.set('k', 'do-not-log-me');
  for (const { lines } of [mem, file]) {
    const info = lines.filter((l) => l.level === 30 && l.component === 'secrets');
    assert.equal(info.length, 1, JSON.stringify(lines));
    assert.match(String(info[0]!.msg), /memory|encrypted file/);
  }
  assert.ok(!JSON.stringify(file.lines).includes('do-not-log-me'));
  assert.ok(!JSON.stringify(file.lines).includes('a passphrase'));

  await assert.rejects(openSecretStore({ paths, logger: mem.logger, env: { MCP_PUBLISH_SECRETS: 'vault' } }), SecretStoreError);
});

test('state survives a restart, and values come back as copies', async (t) => {
  const file = appPaths(await tempDir(t)).state;
  const state = await openStateStore({ file });
  await state.put('users', 'u1', { email: 'alice@example.com', roles: ['owner'] });
  await state.put('users', 'u2', { email: 'bob@example.com', roles: [] });
  await state.put('clients', 'c1', { name: 'Claude' });
  const alice = await state.get<{ roles: string[] }>('users', 'u1');
  alice!.roles.push('mutated');
  assert.deepEqual(await state.get('users', 'u1'), { email: 'alice@example.com', roles: ['owner'] });
  assert.deepEqual((await state.find<{ email: string }>('users', (u) => u.email.startsWith('bob'))).map((e) => e.id), ['u2']);
  assert.equal(await state.delete('users', 'u2'), true);
  assert.equal(await state.delete('users', 'u2'), false);
  await state.close();
  assert.equal(await modeOf(file), 0o600);

  const again = await openStateStore({ file });
  assert.deepEqual(await again.list('users'), [{ id: 'u1', value: { email: 'alice@example.com', roles: ['owner'] } }]);
  assert.deepEqual(await again.get('clients', 'c1'), { name: 'Claude' });
  assert.deepEqual(await again.list('nothing-here'), []);
  await again.close();
});

test('each change is on disk when its put resolves, and close refuses later use', async (t) => {
  const file = appPaths(await tempDir(t)).state;
  const state = await openStateStore({ file });
  for (let i = 0; i < 50; i++) await state.put('approvals', `a${i}`, { i });
  assert.equal(Object.keys(JSON.parse(await fs.readFile(file, 'utf8')).collections.approvals).length, 50);

  await state.put('approvals', 'last', { i: 'last' });
  await state.close();
  assert.deepEqual(JSON.parse(await fs.readFile(file, 'utf8')).collections.approvals.last, { value: { i: 'last' } });
  await assert.rejects(state.get('approvals', 'a1'), (e: unknown) => e instanceof StateStoreError && e.code === 'closed');
  await state.close();
});

test('expired entries are invisible and purged from the file', async (t) => {
  const file = appPaths(await tempDir(t)).state;
  let now = 1_000_000;
  const state = await openStateStore({ file, now: () => now });
  await state.put('refresh-families', 'f1', { user: 'u1' }, { expiresAt: now + 1000 });
  await state.put('refresh-families', 'f2', { user: 'u1' }, { expiresAt: new Date(now + 5000) });
  await state.put('refresh-families', 'forever', { user: 'u2' });
  assert.deepEqual((await state.list('refresh-families')).map((e) => [e.id, e.expiresAt]), [['f1', 1_001_000], ['f2', 1_005_000], ['forever', undefined]]);

  now += 1000;
  assert.equal(await state.get('refresh-families', 'f1'), undefined);
  assert.deepEqual((await state.find('refresh-families', () => true)).map((e) => e.id), ['f2', 'forever']);
  await state.close();
  assert.deepEqual(Object.keys(JSON.parse(await fs.readFile(file, 'utf8')).collections['refresh-families']), ['f2', 'forever']);

  now += 10_000;
  const later = await openStateStore({ file, now: () => now });
  assert.deepEqual((await later.list('refresh-families')).map((e) => e.id), ['forever']);
  await later.close();
  assert.deepEqual(Object.keys(JSON.parse(await fs.readFile(file, 'utf8')).collections['refresh-families']), ['forever']);
});

test('a broken state file is refused with a clear error and left unchanged', async (t) => {
  const file = appPaths(await tempDir(t)).state;
  const broken = ['{"version": 1, "collections": {', '', '[]', '{"version": 9, "collections": {}}', '{"version": 1, "collections": {"users": {"u1": {"noValue": true}}}}'];
  for (const text of broken) {
    await fs.writeFile(file, text);
    await assert.rejects(openStateStore({ file }), (e: unknown) => {
      assert.ok(e instanceof StateStoreError);
      assert.equal(e.code, 'corrupt');
      assert.equal(e.file, file);
      assert.match(e.message, /left untouched/);
      return true;
    });
    assert.equal(await fs.readFile(file, 'utf8'), text);
  }
});

test('the in-memory state store writes nothing and refuses values JSON cannot carry', async () => {
  const state = await openStateStore();
  await state.put('grants', 'g1', { scope: 'mcp', at: new Date(0) });
  assert.deepEqual(await state.get('grants', 'g1'), { scope: 'mcp', at: '1970-01-01T00:00:00.000Z' });
  await assert.rejects(state.put('grants', 'g2', 10n), { code: 'invalid_value' });
  await assert.rejects(state.put('grants', 'g3', undefined), { code: 'invalid_value' });
  await assert.rejects(state.put('grants', '', {}), { code: 'invalid_value' });
  await assert.rejects(state.put('grants', 'g4', {}, { expiresAt: Number.NaN }), { code: 'invalid_value' });
  await state.flush();
  await state.close();
});

test('state store: a flush with nothing to write does not stop later changes from reaching the file', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-state-'));
  const file = path.join(dir, 'state.json');
  const store = await openStateStore({ file });
  try {
    await store.put('c', 'a', 1);
    await store.flush();
    await store.flush(); // nothing dirty: must not leave the writer stuck
    await store.put('c', 'b', 2);
    const onDisk = JSON.parse(await fs.readFile(file, 'utf8')) as { collections: Record<string, Record<string, unknown>> };
    assert.deepEqual(Object.keys(onDisk.collections.c!).sort(), ['a', 'b']);
  } finally {
    await store.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
});
