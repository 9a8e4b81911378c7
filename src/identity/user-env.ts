// Each user's own values for a server's `userEnv` fields (DESIGN §4 step 4): secret ones in the
// SecretStore, the others in the state store. Values never reach logs; only which fields are set.
import type { UserEnvField } from '../config/schema.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import type { StateStore } from '../state/state-store.ts';

const COLLECTION = 'user-env';

function secretKey(server: string, user: string, name: string): string {
  return `userenv.${encodeURIComponent(server)}.${encodeURIComponent(user)}.${name}`;
}

export class UserEnvStore {
  constructor(private readonly state: StateStore, private readonly secrets: SecretStore) {}

  /** Where secret values are kept, so the setup page can say so truthfully. */
  get secretsKind(): SecretStore['kind'] { return this.secrets.kind; }

  private id(server: string, user: string): string { return `${server}\u0000${user}`; }

  /** The environment a user's child of this server gets from their own values. */
  async values(server: string, user: string, fields: readonly UserEnvField[]): Promise<Record<string, string>> {
    const plain = (await this.state.get<Record<string, string>>(COLLECTION, this.id(server, user))) ?? {};
    const env: Record<string, string> = {};
    for (const f of fields) {
      const v = f.secret ? await this.secrets.get(secretKey(server, user, f.name)) : plain[f.name];
      if (v !== undefined && v !== '') env[f.name] = v;
    }
    return env;
  }

  /** Names of the fields this user has set (never the values). */
  async setFields(server: string, user: string, fields: readonly UserEnvField[]): Promise<string[]> {
    return Object.keys(await this.values(server, user, fields));
  }

  /** Required fields the user has not set yet: non-empty means the setup page must be shown. */
  async missing(server: string, user: string, fields: readonly UserEnvField[]): Promise<UserEnvField[]> {
    const have = await this.values(server, user, fields);
    return fields.filter((f) => !f.optional && have[f.name] === undefined);
  }

  /** Saves the values given; an empty string clears a field, a field not given is kept. */
  async save(server: string, user: string, fields: readonly UserEnvField[], input: Record<string, string | undefined>): Promise<void> {
    const id = this.id(server, user);
    const plain = { ...((await this.state.get<Record<string, string>>(COLLECTION, id)) ?? {}) };
    for (const f of fields) {
      const v = input[f.name];
      if (v === undefined) continue;
      if (f.secret) {
        if (v === '') await this.secrets.delete(secretKey(server, user, f.name));
        else await this.secrets.set(secretKey(server, user, f.name), v);
      } else if (v === '') delete plain[f.name];
      else plain[f.name] = v;
    }
    await this.state.put(COLLECTION, id, plain);
  }

  /** Forgets everything of a user (removed user). */
  async forgetUser(user: string, servers: Record<string, readonly UserEnvField[]>): Promise<void> {
    for (const [server, fields] of Object.entries(servers)) {
      for (const f of fields) if (f.secret) await this.secrets.delete(secretKey(server, user, f.name));
      await this.state.delete(COLLECTION, this.id(server, user));
    }
  }
}
