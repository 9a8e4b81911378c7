// The team's secret store on a real PostgreSQL: values encrypted with MCP_PUBLISH_SECRET_KEY
// before they reach the database, a replica with another key told so, and replicas starting
// together agreeing on one signing key set.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openPgStateStore, type PgStateStore } from '../../src/state/pg-state-store.ts';
import { PostgresSecretStore } from '../../src/secrets/postgres-store.ts';
import { SecretStoreError } from '../../src/secrets/secret-store.ts';
import { loadAuthKeys } from '../../src/auth/keys.ts';
import { postgresMissing, startPostgres, type TestPostgres } from '../support/postgres.ts';

describe('secrets in PostgreSQL', { skip: postgresMissing() }, () => {
  let server: TestPostgres;
  const stores: PgStateStore[] = [];
  before(async () => { server = await startPostgres(); });
  after(async () => {
    for (const s of stores) await s.close();
    await server?.stop();
  });
  const replicas = async (n: number) => {
    const url = await server.createDatabase();
    const out: PgStateStore[] = [];
    for (let i = 0; i < n; i++) out.push(await openPgStateStore({ url }));
    stores.push(...out);
    return out;
  };
  const KEY = randomBytes(32).toString('base64');

  test('a value is kept encrypted, read back by every replica, listed and deleted', async () => {
    const [a, b] = await replicas(2);
    const one = new PostgresSecretStore(a!.pool, KEY);
    const two = new PostgresSecretStore(b!.pool, KEY);
    assert.equal(one.kind, 'postgres');
    await one.set('user/ana/env/API_KEY', 'sk-live-ß€✓');
    await one.set('idp/github/client-secret', '');
    assert.equal(await two.get('user/ana/env/API_KEY'), 'sk-live-ß€✓');
    assert.equal(await two.get('idp/github/client-secret'), '');
    assert.deepEqual(await two.list('user/'), ['user/ana/env/API_KEY']);
    const raw = (await a!.pool.query<{ data: Buffer; iv: Buffer }>('SELECT data, iv FROM secrets')).rows;
    assert.ok(raw.every((r) => !r.data.toString('latin1').includes('sk-live')), 'no value in clear in the database');
    assert.equal(new Set(raw.map((r) => r.iv.toString('hex'))).size, raw.length, 'a fresh IV for each value');
    assert.equal(await two.delete('user/ana/env/API_KEY'), true);
    assert.equal(await one.get('user/ana/env/API_KEY'), undefined);
    assert.equal(await one.delete('user/ana/env/API_KEY'), false);
  });

  test('a replica given another key is told so, and changes nothing; no key at all is refused', async () => {
    const [a] = await replicas(1);
    await new PostgresSecretStore(a!.pool, KEY).set('auth.cookie-keys', '["c"]');
    const wrong = new PostgresSecretStore(a!.pool, 'a passphrase that is not the key');
    await assert.rejects(wrong.get('auth.cookie-keys'), (e: unknown) => e instanceof SecretStoreError && e.code === 'corrupt' && /another MCP_PUBLISH_SECRET_KEY/.test(e.message) && !e.message.includes(KEY));
    assert.equal(await new PostgresSecretStore(a!.pool, KEY).get('auth.cookie-keys'), '["c"]');
    assert.throws(() => new PostgresSecretStore(a!.pool, undefined), (e: unknown) => e instanceof SecretStoreError && e.code === 'unavailable');
  });

  test('a row moved under another name does not decrypt', async () => {
    const [a] = await replicas(1);
    const s = new PostgresSecretStore(a!.pool, KEY);
    await s.set('user/ana/env/TOKEN', 'ana-secret');
    await a!.pool.query("UPDATE secrets SET key = 'user/ben/env/TOKEN' WHERE key = 'user/ana/env/TOKEN'");
    await assert.rejects(s.get('user/ben/env/TOKEN'), (e: unknown) => e instanceof SecretStoreError && e.code === 'corrupt');
  });

  test('three replicas starting at once end up with one signing key set and one cookie key set', async () => {
    const rs = await replicas(3);
    const keys = await Promise.all(rs.map((r) => loadAuthKeys(new PostgresSecretStore(r.pool, KEY))));
    assert.equal(new Set(keys.map((k) => k.signing[0]!.kid)).size, 1, `kids: ${keys.map((k) => k.signing[0]!.kid).join(', ')}`);
    assert.equal(new Set(keys.map((k) => k.cookies[0])).size, 1);
    const again = await Promise.all(rs.map((r) => new PostgresSecretStore(r.pool, KEY).setIfAbsent('race', randomBytes(8).toString('hex'))));
    assert.equal(new Set(again).size, 1, 'setIfAbsent: every replica got the first value');
  });
});
