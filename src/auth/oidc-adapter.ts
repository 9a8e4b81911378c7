// oidc-provider's persistence on our state store: one collection per model ("oidc.<Model>").
// Entries are keyed by the SHA-256 of their id, so the bearer values oidc-provider uses as ids
// (refresh tokens, codes) never reach the state file in clear. Sessions keep their id inside
// (findByUid must return it; it is the session cookie's value).
import { createHash } from 'node:crypto';
import type { StateStore } from '../state/state-store.ts';

type Payload = Record<string, unknown> & { uid?: string; userCode?: string; grantId?: string; _id?: string };

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);
const KEEP_ID = new Set(['Session', 'DeviceCode']);
const hashId = (id: string) => createHash('sha256').update(id).digest('base64url');

/** The adapter class oidc-provider instantiates once per model. */
export function stateStoreAdapter(store: StateStore) {
  return class StateStoreAdapter {
    readonly collection: string;
    private readonly keepId: boolean;

    constructor(readonly model: string) {
      this.collection = `oidc.${model}`;
      this.keepId = KEEP_ID.has(model);
    }

    private out(id: string, value: Payload | undefined) {
      if (!value) return undefined;
      const { _id, ...rest } = value;
      return { ...rest, jti: id };
    }

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const { jti: _jti, ...rest } = payload;
      const value = this.keepId ? { ...rest, _id: id } : rest;
      await store.put(this.collection, hashId(id), value, expiresIn ? { expiresAt: Date.now() + expiresIn * 1000 } : {});
    }

    async find(id: string) {
      return this.out(id, await store.get<Payload>(this.collection, hashId(id)));
    }

    async findByUid(uid: string) {
      const [hit] = await store.find<Payload>(this.collection, (v) => v.uid === uid);
      return hit ? this.out(hit.value._id as string, hit.value) : undefined;
    }

    async findByUserCode(userCode: string) {
      const [hit] = await store.find<Payload>(this.collection, (v) => v.userCode === userCode);
      return hit ? this.out(hit.value._id as string, hit.value) : undefined;
    }

    async consume(id: string): Promise<void> {
      const key = hashId(id);
      const [hit] = await store.find<Payload>(this.collection, (_v, k) => k === key);
      if (!hit) return;
      await store.put(this.collection, key, { ...hit.value, consumed: Math.floor(Date.now() / 1000) }, hit.expiresAt ? { expiresAt: hit.expiresAt } : {});
    }

    async destroy(id: string): Promise<void> {
      await store.delete(this.collection, hashId(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      if (!GRANTABLE.has(this.model)) return;
      for (const hit of await store.find<Payload>(this.collection, (v) => v.grantId === grantId)) await store.delete(this.collection, hit.id);
    }
  };
}
