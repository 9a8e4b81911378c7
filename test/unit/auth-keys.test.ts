// Token-signing keys (DESIGN §7): created once and kept in the SecretStore, rotated when old,
// and a token signed with the previous key still verifies after a rotation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import { MemorySecretStore } from '../../src/secrets/memory-store.ts';
import { ROTATE_AFTER_DAYS, keyCreated, loadAuthKeys, publicJwks, rotateSigningKey } from '../../src/auth/keys.ts';

test('keys are made once, kept, and carry a kid', async () => {
  const secrets = new MemorySecretStore();
  const a = await loadAuthKeys(secrets);
  const b = await loadAuthKeys(secrets);
  assert.equal(a.signing.length, 1);
  assert.deepEqual(b, a);
  assert.match(a.signing[0]!.kid!, /^es256-\d{4}-\d{2}-\d{2}-[0-9a-f]{8}$/);
  assert.ok(a.signing[0]!.d, 'the private part is kept in the secret store');
  assert.equal(publicJwks(a).keys[0]!.d, undefined, 'the published set has no private part');
});

test('an old key is rotated at start; tokens signed with it still verify, new ones use the new kid', async () => {
  const secrets = new MemorySecretStore();
  const first = await loadAuthKeys(secrets);
  const old = first.signing[0]!;
  const token = await new jose.SignJWT({ sub: 'u' }).setProtectedHeader({ alg: 'ES256', kid: old.kid! }).setExpirationTime('1h').sign(await jose.importJWK(old, 'ES256'));
  const later = keyCreated(old)! + (ROTATE_AFTER_DAYS + 1) * 86_400_000;
  const rotated = await loadAuthKeys(secrets, later);
  assert.equal(rotated.signing.length, 2);
  assert.notEqual(rotated.signing[0]!.kid, old.kid);
  assert.equal(rotated.signing[1]!.kid, old.kid);
  const { payload } = await jose.jwtVerify(token, jose.createLocalJWKSet(publicJwks(rotated)));
  assert.equal(payload.sub, 'u');
  const third = await rotateSigningKey(secrets);
  assert.equal(third.signing.length, 2, 'only the current and the previous key are kept');
  assert.ok(!third.signing.some((k) => k.kid === old.kid));
});
