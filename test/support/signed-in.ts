// Starts a gateway with sign-in on (our authorization server on loopback), local accounts for
// the people in a test, and connects SDK clients that go through the whole OAuth flow.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { parseConfig } from '../../src/config/load.ts';
import { REDACT_PATHS } from '../../src/logging/logger.ts';
import { Publisher } from '../../src/publisher.ts';
import { openStateStore, type StateStore } from '../../src/state/state-store.ts';
import { MemorySecretStore } from '../../src/secrets/memory-store.ts';
import type { SecretStore } from '../../src/secrets/secret-store.ts';
import { Browser, TestOAuthProvider, type Person } from './browser.ts';
import { auditLog, rememberSecret } from './log-audit.ts';

export interface SignedInGateway {
  publisher: Publisher;
  url: string;
  issuer: string;
  mcpUrl(server: string): string;
  logs: string[];
  state: StateStore;
  secrets: SecretStore;
  /** Creates a local account with this password. */
  addLocalUser(email: string, password: string): Promise<void>;
  /** A client signed in as `person` (a fresh browser unless one is given). */
  connect(server: string, person: Person, options?: { browser?: Browser; provider?: TestOAuthProvider }): Promise<{ client: Client; provider: TestOAuthProvider }>;
  close(): Promise<void>;
}

export interface SignedInOptions {
  access?: Record<string, unknown>;
  gateway?: Record<string, unknown>;
  state?: StateStore;
  secrets?: SecretStore;
  port?: number;
  logs?: string[];
  authTest?: ConstructorParameters<typeof Publisher>[0]['authTest'];
  /** Where the publisher saves the owner's config changes (admin API). */
  configFile?: string;
  /** Makes the tunnel for `publish()` (tests: an in-process one). */
  createTunnel?: ConstructorParameters<typeof Publisher>[0]['createTunnel'];
}

export async function startSignedInGateway(servers: Record<string, unknown>, o: SignedInOptions = {}): Promise<SignedInGateway> {
  const config = parseConfig({ mcpServers: servers, access: o.access ?? {}, gateway: { port: o.port ?? 0, ...o.gateway } });
  const logs = o.logs ?? [];
  const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); auditLog(String(chunk)); cb(); } });
  const logger = pino({ level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
  const state = o.state ?? await openStateStore({});
  const secrets = o.secrets ?? new MemorySecretStore();
  const publisher = new Publisher({ config, logger, state, secrets, authTest: o.authTest, configFile: o.configFile, createTunnel: o.createTunnel });
  const url = await publisher.start();
  const clients: Client[] = [];
  const gw: SignedInGateway = {
    publisher, url, issuer: publisher.issuer!, logs, state, secrets,
    mcpUrl: (server) => `${publisher.issuer}/servers/${server}/mcp`,
    async addLocalUser(email, password) {
      rememberSecret(password);
      const local = publisher.signIn!.local!;
      if (!(await local.get(email))) await local.createAccount({ email });
      await local.setPassword(email, password);
    },
    async connect(server, person, options = {}) {
      const provider = options.provider ?? new TestOAuthProvider(options.browser ?? new Browser(), person);
      const client = await connectWithOAuth(gw.mcpUrl(server), provider);
      clients.push(client);
      return { client, provider };
    },
    async close() {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      await publisher.stop();
    },
  };
  return gw;
}

/** The SDK's own OAuth dance: connect, 401, authorize (the browser), finish, connect again. */
export async function connectWithOAuth(url: string, provider: TestOAuthProvider): Promise<Client> {
  const client = new Client({ name: 'oauth-test-client', version: '1.0.0' });
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: provider }));
    return client;
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
  }
  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
  await transport.finishAuth(provider.code);
  await client.connect(transport);
  return client;
}
