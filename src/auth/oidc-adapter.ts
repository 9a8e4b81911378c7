// oidc-provider's persistence on our state store: one collection per model ("oidc.<Model>").
// Entries are keyed by the SHA-256 of their id, so the bearer values oidc-provider uses as ids
// (refresh tokens, codes) never reach the state file in clear. Sessions keep their id inside
// (findByUid must return it; it is the session cookie's value). Consuming a code or a refresh
// token is one atomic update, so of two requests presenting it at once (on one replica or two)
// exactly one wins and the other is a reuse.
import { createHash } from 'node:crypto';
import type { StateStore } from '../state/state-store.ts';

type Payload = Record<string, unknown> & { uid?: string; userCode?: string; grantId?: string; _id?: string };

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);
const KEEP_ID = new Set(['Session', 'DeviceCode']);
const hashId = (id: string) => createHash('sha256').update(id).digest('base64url');

export interface AdapterOptions {
  /**
   * A code or refresh token was consumed by another request between oidc-provider's read and its
   * consume (both presented it at once): end its grant, as oidc-provider does for a later reuse,
   * and reject with the protocol's error (`invalid_grant`).
   */
  reused(model: string, grantId: string | undefined): Promise<never>;
}

/** The adapter class oidc-provider instantiates once per model. */
export function stateStoreAdapter(store: StateStore, options: AdapterOptions) {
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
      const at = Math.floor(Date.now() / 1000);
      // oidc-provider read it unconsumed just before; if it is consumed (or gone) now, someone else won.
      let grantId: string | undefined;
      const won = await store.update<Payload>(this.collection, key, (v) => {
        grantId = typeof v.grantId === 'string' ? v.grantId : undefined;
        return v.consumed ? undefined : { ...v, consumed: at };
      });
      if (!won) await options.reused(this.model, grantId);
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
