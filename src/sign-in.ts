// Assembles sign-in for the composition root: the user directory, local accounts, upstream
// logins, per-user env, the bearer check and the authorization server on the public issuer; and
// wires what must happen when a user is removed (sessions closed, children stopped) or changes
// their settings. What a request needs to be let in (the bearer check: public keys and grants in
// the state store) is ready at once; the authorization server (oidc-provider, big to load), the
// keys in the secret store and the upstream logins come in the background, and the sign-in pages
// wait for them (issue: ready in half a second).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from './logging/logger.ts';
import { isStdioServer, type Config, type ServerConfig } from './config/schema.ts';
import type { StateStore } from './state/state-store.ts';
import type { SecretStore } from './secrets/secret-store.ts';
import { UserDirectory, type UserRecord } from './identity/users.ts';
import { LocalAccounts, type ScryptParams } from './identity/local-accounts.ts';
import { PendingLogins } from './identity/login-provider.ts';
import { createLoginProviders } from './identity/login-setup.ts';
import { UserEnvStore } from './identity/user-env.ts';
import { loadAuthKeys, publicJwks, type AuthKeys } from './auth/keys.ts';
import type { AuthorizationServer } from './auth/authorization-server.ts';
import { createSetupLink } from './auth/setup-links.ts';
import { revokeUsers } from './auth/revocation.ts';
import { BearerCheck, grantKey } from './auth/bearer.ts';
import type { LoginProvider } from './identity/login-provider.ts';
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
  /** The bearer check of every MCP request, ready as soon as sign-in is created. */
  readonly bearer: BearerCheck;
  /** The OAuth issuer now: the public origin, byte-identical everywhere. */
  readonly issuer: string;
  /** The authorization server of the current issuer, once loaded (see `ready`). */
  readonly auth: AuthorizationServer | undefined;
  /** Starts loading the authorization server (at most once); resolves once it can answer (rejects if it cannot start). */
  prepare(): Promise<void>;
  /** Answers a sign-in page or OAuth request, waiting for the authorization server if need be. */
  handle(req: IncomingMessage, res: ServerResponse): void;
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

/** The public signing keys, kept beside the state (they are public) so the bearer check needs no secret store. */
const PUBLIC_KEYS = { collection: 'auth', id: 'public-keys' } as const;

export async function createSignIn(o: SignInOptions): Promise<SignIn> {
  const logger = o.logger.child({ component: 'auth' });
  const access = () => o.config().access;
  const users = await UserDirectory.open(o.state, { logger, revoke: (user) => revoke(new Set([user.id])) });
  // Keys: the public ones from the state (at once), the private ones from the secret store (later).
  let keysLoading: Promise<AuthKeys> | undefined;
  const keysLoaded = () => keysLoading ??= loadAuthKeys(o.secrets).then(async (keys) => {
    const jwks = publicJwks(keys);
    if (JSON.stringify(await o.state.get(PUBLIC_KEYS.collection, PUBLIC_KEYS.id)) !== JSON.stringify(jwks)) await o.state.put(PUBLIC_KEYS.collection, PUBLIC_KEYS.id, jwks);
    return keys;
  });
  const knownJwks = await o.state.get<ReturnType<typeof publicJwks>>(PUBLIC_KEYS.collection, PUBLIC_KEYS.id) ?? publicJwks(await keysLoaded());
  const bearer = new BearerCheck({
    issuer: o.issuer, jwks: knownJwks,
    userActive: (id) => users.isActive(id),
    // The grant is read where our adapter keeps it (oidc.Grant, by the SHA-256 of its id).
    grantAlive: async (grantId) => (await o.state.get('oidc.Grant', grantKey(grantId))) !== undefined,
  });
  // Every path that ends a grant ends in the state store: the bearer check hears of each at once.
  const stopWatchingGrants = o.state.watch('oidc.Grant', (key) => bearer.forgetGrant(key));
  // Removing or denying someone ends what they hold, for good (src/auth/revocation.ts).
  async function revoke(ids: Set<string>): Promise<void> {
    for (const id of ids) bearer.forgetUser(id);
    const n = await revokeUsers(o.state, ids);
    if (n) logger.info({ users: [...ids], entries: n }, 'revoked what removed or denied people held');
  }
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
  let logins: LoginProvider[] = [];
  const userEnv = new UserEnvStore(o.state, o.secrets);
  const pendingLogins = new PendingLogins(o.state);
  let keys: AuthKeys;
  let AuthServer: typeof AuthorizationServer;
  const build = (issuer: string) => {
    const tokens = access().tokens;
    return new AuthServer({
      issuer, state: o.state, keys, logger, users, servers: o.servers,
      lifetimes: { accessTokenSeconds: tokens.accessTokenMinutes * 60, refreshTokenSeconds: tokens.refreshTokenDays * 86_400 },
      access, logins: () => logins, local: () => local, pendingLogins, userEnv,
      // Told after the policy decided (a new record starts pending before it does).
      onUserEnvSaved: o.onUserEnvSaved, onPending: o.onPending,
      fetchOverride: o.test?.fetchOverride, allowPrivateMetadataDocuments: o.test?.allowPrivateMetadataDocuments,
    });
  };
  let issuer = o.issuer;
  let auth: AuthorizationServer | undefined;
  let closed = false;
  let ready: Promise<void> | undefined;
  const prepare = () => ready ??= (async () => {
    const [k, l, m] = await Promise.all([keysLoaded(), createLoginProviders(access(), { secrets: o.secrets, logger }), import('./auth/authorization-server.ts')]);
    keys = k;
    logins = l;
    AuthServer = m.AuthorizationServer;
    bearer.setKeys(publicJwks(keys));
    if (!closed) auth = build(issuer);
  })().catch((e: Error) => {
    logger.error({ err: e.message }, 'the authorization server could not start: sign-in pages answer with an error');
    throw e;
  });
  const signIn: SignIn = {
    bearer, prepare,
    get issuer() { return issuer; },
    get auth() { return auth; },
    handle(req, res) {
      if (auth) return auth.app(req as never, res as never);
      prepare().then(
        () => (auth ? auth.app(req as never, res as never) : res.writeHead(503).end()),
        () => { res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' }).end('Sign-in is not available right now: the authorization server could not start. The owner can see why in the gateway\'s log.'); },
      );
    },
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
          const link = await createSetupLink(o.state, issuer, server, user);
          return { content: [{ type: 'text', text: `Open this link within 15 minutes to change your settings for "${server}": ${link}` }] };
        },
      }];
    },
    setIssuer(next: string) {
      next = next.replace(/\/+$/, '');
      if (next === issuer) return;
      issuer = next;
      // Tokens of the old issuer stop verifying: clients must sign in again.
      bearer.setIssuer(issuer);
      if (auth) {
        auth.close();
        auth = build(issuer);
      }
      logger.info({ issuer }, 'authorization server moved to a new issuer');
    },
    async reloadLogins() {
      logins = await createLoginProviders(access(), { secrets: o.secrets, logger });
      local = access().login.local ? (local ?? newLocal()) : undefined;
    },
    close: () => { closed = true; auth?.close(); users.close(); stopWatchingGrants(); },
  };
  return signIn;
}
