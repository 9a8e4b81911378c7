// Assembles sign-in for the composition root: the user directory, local accounts, upstream
// logins, per-user env, and the authorization server on the public issuer; and wires what must
// happen when a user is removed (sessions closed, children stopped) or changes their settings.
import type { Logger } from './logging/logger.ts';
import { isStdioServer, type Config, type ServerConfig } from './config/schema.ts';
import type { StateStore } from './state/state-store.ts';
import type { SecretStore } from './secrets/secret-store.ts';
import { UserDirectory, type UserRecord } from './identity/users.ts';
import { LocalAccounts, type ScryptParams } from './identity/local-accounts.ts';
import { PendingLogins } from './identity/login-provider.ts';
import { createLoginProviders } from './identity/login-setup.ts';
import { UserEnvStore } from './identity/user-env.ts';
import { loadAuthKeys } from './auth/keys.ts';
import { AuthorizationServer } from './auth/authorization-server.ts';
import { createSetupLink } from './auth/interactions.ts';
import { revokeUsers } from './auth/revocation.ts';
import type { LocalTool } from './sessions/local-tools.ts';

export interface SignInOptions {
  issuer: string;
  config: () => Config;
  servers: () => Record<string, ServerConfig>;
  state: StateStore;
  secrets: SecretStore;
  logger: Logger;
  /** A user lost access: end their sessions and children now. */
  onUserBlocked: (user: UserRecord) => void;
  /** Someone waits for the owner's approval. */
  onPending: (user: UserRecord) => void;
  /** A user's env for a server changed: restart their child. */
  onUserEnvSaved: (server: string, user: string) => void;
  /** TEST ONLY hooks of the authorization server, and cheaper password hashes for stories that try many passwords. */
  test?: { fetchOverride?: (url: string) => Response | undefined; allowPrivateMetadataDocuments?: boolean; scrypt?: ScryptParams };
}

export interface SignIn {
  /** The authorization server of the current issuer. */
  readonly auth: AuthorizationServer;
  users: UserDirectory;
  local?: LocalAccounts;
  userEnv: UserEnvStore;
  /** The `reconfigure` tool of servers with per-user env. */
  localTools: (server: string, user: string) => LocalTool[];
  /**
   * Moves the authorization server to another public origin (the tunnel's URL changed). Tokens of
   * the old issuer stop verifying: clients must sign in again.
   */
  setIssuer(issuer: string): void;
  /** Rebuilds the upstream logins after the owner changed `access.login`. */
  reloadLogins(): Promise<void>;
  close(): void;
}

export async function createSignIn(o: SignInOptions): Promise<SignIn> {
  const logger = o.logger.child({ component: 'auth' });
  const access = () => o.config().access;
  const keys = await loadAuthKeys(o.secrets);
  // Removing or denying someone ends what they hold, for good (src/auth/revocation.ts).
  const revoke = async (ids: Set<string>) => {
    const n = await revokeUsers(o.state, ids);
    if (n) logger.info({ users: [...ids], entries: n }, 'revoked what removed or denied people held');
  };
  const users = await UserDirectory.open(o.state, { logger, revoke: (user) => revoke(new Set([user.id])) });
  // The policy as it stands now applies to everyone (the config may have changed while stopped,
  // or the rules did: an unverified email no longer matches the allow list).
  await users.reevaluate(access());
  // Leftovers of people shut out before that rule existed.
  await revoke(new Set(users.list().filter((u) => u.status === 'removed' || u.status === 'denied').map((u) => u.id)));
  users.onChange(({ user, previous }) => {
    if (user.status !== 'allowed' && previous?.status === 'allowed') o.onUserBlocked(user);
  });
  const newLocal = () => new LocalAccounts(o.state, o.test?.scrypt ? { scrypt: o.test.scrypt } : {});
  let local = access().login.local ? newLocal() : undefined;
  let logins = await createLoginProviders(access(), { secrets: o.secrets, logger });
  const userEnv = new UserEnvStore(o.state, o.secrets);
  const pendingLogins = new PendingLogins(o.state);
  const build = (issuer: string) => {
    const tokens = access().tokens;
    return new AuthorizationServer({
      issuer, state: o.state, keys, logger, users, servers: o.servers,
      lifetimes: { accessTokenSeconds: tokens.accessTokenMinutes * 60, refreshTokenSeconds: tokens.refreshTokenDays * 86_400 },
      access, logins: () => logins, local: () => local, pendingLogins, userEnv,
      // Told after the policy decided (a new record starts pending before it does).
      onUserEnvSaved: o.onUserEnvSaved, onPending: o.onPending,
      fetchOverride: o.test?.fetchOverride, allowPrivateMetadataDocuments: o.test?.allowPrivateMetadataDocuments,
    });
  };
  let auth = build(o.issuer);
  const signIn: SignIn = {
    get auth() { return auth; },
    users, userEnv,
    get local() { return local; },
    localTools(server: string, user: string): LocalTool[] {
      const config = o.servers()[server];
      if (!config || !isStdioServer(config) || config.userEnv.length === 0) return [];
      return [{
        definition: {
          name: 'reconfigure',
          description: `Change your own settings for this server (${config.userEnv.map((f) => f.label ?? f.name).join(', ')}). Returns a one-time link to open in a browser; the server restarts with the new values.`,
          inputSchema: { type: 'object', properties: {} },
        },
        async call() {
          const link = await createSetupLink(o.state, auth.issuer, server, user);
          return { content: [{ type: 'text', text: `Open this link within 15 minutes to change your settings for "${server}": ${link}` }] };
        },
      }];
    },
    setIssuer(issuer: string) {
      if (issuer.replace(/\/+$/, '') === auth.issuer) return;
      auth.close();
      auth = build(issuer);
      logger.info({ issuer: auth.issuer }, 'authorization server moved to a new issuer');
    },
    async reloadLogins() {
      logins = await createLoginProviders(access(), { secrets: o.secrets, logger });
      local = access().login.local ? (local ?? newLocal()) : undefined;
    },
    close: () => auth.close(),
  };
  return signIn;
}
