// The composition root (STYLE 2): builds every part from the config, owns their life cycle
// (start, stop) and emits typed events for the tray and the UI. No module-level state, so a
// test can run two publishers in one process.
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import { createRequire } from 'node:module';
import type { Logger } from './logging/logger.ts';
import type { Config, ServerConfig } from './config/schema.ts';
import { parseConfig, saveConfig } from './config/load.ts';
import type { TunnelProvider, TunnelStatus } from './tunnel/tunnel-provider.ts';
import type { TunnelDeps } from './tunnel/create.ts';
import { PublicUrl } from './tunnel/public-url.ts';
import { UpstreamPool } from './upstream/child-pool.ts';
import { ChildRegistry } from './upstream/child-registry.ts';
import { SessionRouter } from './sessions/session-router.ts';
import { RequestBudget } from './sessions/limits.ts';
import type { ActivityRecord } from './sessions/session.ts';
import { RequestGuard } from './gateway/request-guard.ts';
import { createMcpHandler, type Identify } from './gateway/mcp-endpoint.ts';
import { closeServer, createGatewayServer, listen } from './gateway/app.ts';
import { ReplicaRouter } from './gateway/replica-forward.ts';
import { isStdioServer } from './config/schema.ts';
import { PermissionGate } from './permissions/gate.ts';
import { announcePermissionChanges } from './permissions/lists.ts';
import type { StateStore } from './state/state-store.ts';
import { openStateStore } from './state/state-store.ts';
import type { SecretStore } from './secrets/secret-store.ts';
import { MemorySecretStore } from './secrets/memory-store.ts';
import type { UserRecord } from './identity/users.ts';
import { createSignIn, type SignIn, type SignInOptions } from './sign-in.ts';

const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export interface PublisherOptions {
  config: Config;
  logger: Logger;
  /** The record of live children (pid + start time); default none (tests). */
  liveChildrenFile?: string;
  /**
   * Replaces sign-in with a fixed rule (the core's own tests, benchmarks). Without it every MCP
   * request needs one of our access tokens.
   */
  identify?: Identify;
  /** Users, clients, grants; default in memory. */
  state?: StateStore;
  /** Signing keys, IdP client secrets, users' secrets; default in memory. */
  secrets?: SecretStore;
  env?: NodeJS.ProcessEnv;
  /** TEST ONLY hooks of the authorization server. */
  authTest?: SignInOptions['test'];
  /** Where the config is saved when the owner changes it (admin API); default: not saved. */
  configFile?: string;
  /**
   * One of several replicas on shared state (`state` on PostgreSQL): sessions of the others are
   * passed on to them. `url`: where the others reach this one; default from the listen address.
   */
  replica?: { url?: string };
  /** Makes the tunnel for `publish()`; default by `publish.tunnel`. */
  createTunnel?: (publish: Config['publish'], deps: TunnelDeps) => TunnelProvider;
}

export interface PublisherEvents {
  activity: [ActivityRecord];
  status: [PublisherStatus];
  /** Someone signed in and waits for the owner's approval. */
  approval: [UserRecord];
}

export interface PublisherStatus {
  state: 'stopped' | 'running';
  /** The gateway on this computer. */
  gatewayUrl?: string;
  /** True while the owner wants the servers published (the tunnel may still be connecting). */
  published: boolean;
  tunnel: TunnelStatus;
  /** The URL people use, when there is one. */
  publicUrl?: string;
  /** The OAuth issuer: the public URL when published, else the local one. */
  issuer?: string;
  /** Set when the public URL differs from the one clients signed in with before: they must be re-added. */
  issuerChanged?: { from: string; to: string };
}

/** The built-in demo server: server-everything, shipped as a dependency. */
export function demoServer(): ServerConfig {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');
  return parseConfig({ mcpServers: { demo: { command: process.execPath, args: [entry, 'stdio'], title: 'Demo (server-everything)' } } }).mcpServers.demo!;
}

export class Publisher extends EventEmitter<PublisherEvents> {
  readonly logger: Logger;
  readonly registry: ChildRegistry;
  readonly pool: UpstreamPool;
  readonly sessions: SessionRouter;
  /** Each person's requests in flight, against their limit. */
  readonly budget: RequestBudget;
  /** The servers' permissions, applied to every request and list. */
  readonly gate: PermissionGate;
  private config: Config;
  private server?: http.Server;
  private url?: string;
  /** Sign-in, once started (absent when `identify` replaces it). */
  signIn?: SignIn;
  private state?: StateStore;
  /** The secret store every part uses (one instance: keys, IdP secrets, tunnel tokens, users' secrets). */
  readonly secrets: SecretStore;
  /** The public URL: the tunnel, its status, and whether the URL changed since clients signed in. */
  private readonly publicUrl: PublicUrl;
  private replicas?: ReplicaRouter;

  constructor(private readonly options: PublisherOptions) {
    super();
    this.config = options.config;
    this.logger = options.logger;
    this.secrets = options.secrets ?? new MemorySecretStore();
    this.registry = new ChildRegistry(options.liveChildrenFile, this.logger.child({ component: 'children' }));
    const g = this.config.gateway;
    this.pool = new UpstreamPool(this.enabledServers(), {
      logger: this.logger.child({ component: 'upstream' }),
      registry: this.registry,
      clientInfo: { name: 'mcp-publish', version: VERSION },
      idleMs: g.childIdleSeconds * 1000,
      requestTimeoutMs: g.requestTimeoutSeconds * 1000,
      startTimeoutMs: (g.startTimeoutSeconds ?? Math.min(60, g.requestTimeoutSeconds)) * 1000,
      maxMessageBytes: g.maxMessageBytes,
      stderrBytes: g.stderrBytes,
      userEnv: (server, user) => {
        const config = this.config.mcpServers[server];
        if (!this.signIn || !config || !isStdioServer(config)) return {};
        return this.signIn.userEnv.values(server, user, config.userEnv);
      },
      env: options.env,
      limits: () => this.config.gateway.limits,
    });
    this.sessions = new SessionRouter({
      idleMs: g.sessionIdleSeconds * 1000, logger: this.logger.child({ component: 'sessions' }), limits: () => this.config.gateway.limits,
      replay: { bytes: g.replayBufferBytes, windowMs: g.resumeWindowSeconds * 1000 },
    });
    this.budget = new RequestBudget(() => this.config.gateway.limits);
    this.gate = new PermissionGate({ permissions: (server) => this.config.mcpServers[server]?.permissions, person: (user) => (user === 'local' && !this.signIn /* without sign-in, the owner */ ? { id: user, owner: true } : this.signIn?.users.get(user)), trustEmails: () => this.config.access.login.oidc?.trustEmails === true, requestTimeoutMs: g.requestTimeoutSeconds * 1000 });
    this.publicUrl = new PublicUrl({
      logger: this.logger.child({ component: 'tunnel' }),
      secrets: this.secrets,
      settings: () => this.config.publish,
      state: async () => this.state ?? (this.state = this.options.state ?? await openStateStore({})),
      createTunnel: options.createTunnel,
      localPort: () => (this.server && this.url ? Number(new URL(this.url).port) : undefined),
      checkPath: () => {
        const first = this.serverNames()[0];
        return this.signIn && first ? `/.well-known/oauth-protected-resource/servers/${encodeURIComponent(first)}/mcp` : '/healthz';
      },
      onurl: () => this.signIn?.setIssuer(this.publicOrigins()[0] ?? this.url!),
      onstatus: () => this.emit('status', this.status()),
    });
  }

  private enabledServers(): Record<string, ServerConfig> {
    return Object.fromEntries(Object.entries(this.config.mcpServers).filter(([, s]) => s.enabled));
  }

  /** Public origins: the tunnel's URL while it is online, else the configured public URL. */
  publicOrigins(): string[] {
    const u = this.publicUrl.url ?? this.config.gateway.publicUrl ?? (this.config.publish.tunnel === 'none' ? this.config.publish.publicUrl : null);
    return u ? [new URL(u).origin] : [];
  }

  get currentConfig(): Config { return this.config; }

  /** The state store (users, clients, grants), once sign-in started. */
  get stateStore(): StateStore | undefined { return this.state; }

  /** Starts the gateway; resolves with its local URL. */
  async start(): Promise<string> {
    const { host, port } = this.config.gateway;
    // With sign-in replaced by a fixed identity (tests, benchmarks) anyone who reaches the
    // gateway is that identity: loopback only.
    if (this.options.identify && !['127.0.0.1', 'localhost', '::1'].includes(host)) {
      throw new Error(`gateway.host is "${host}", but sign-in is replaced by a fixed identity: it listens on 127.0.0.1 only`);
    }
    this.registry.reapOrphans();
    let opened!: () => void;
    const signInOpened = new Promise<void>((resolve) => { opened = resolve; });
    const replicas = this.replicas = this.options.replica && this.options.state ? new ReplicaRouter({ state: this.options.state, logger: this.logger.child({ component: 'replicas' }) }) : undefined;
    const guard = new RequestGuard({ publicOrigins: () => this.publicOrigins(), allowedOrigins: () => this.config.gateway.allowedOrigins });
    const mcp = createMcpHandler({
      hasServer: (name) => this.config.mcpServers[name]?.enabled === true,
      pool: this.pool,
      sessions: this.sessions,
      guard,
      // Sign-in on: a request waits until it is open (it is let in as nobody before that).
      identify: this.options.identify ?? (async (req, res, server) => {
        if (!this.signIn) await signInOpened;
        return this.signIn!.bearer.identify(req, res, server);
      }),
      localTools: (server, user) => this.signIn?.localTools(server, user) ?? [],
      maxBodyBytes: this.config.gateway.maxBodyBytes,
      budget: this.budget,
      gate: this.gate,
      slowClientMs: this.config.gateway.slowClientSeconds * 1000,
      logger: this.logger.child({ component: 'mcp' }),
      onactivity: (r) => this.emit('activity', r),
      sessionIdPrefix: replicas?.route,
      passOnParked: replicas && ((req, res, token, body) => replicas.passOnParked(req, res, token, body)),
    });
    this.server = createGatewayServer({
      mcp: replicas ? replicas.wrap(mcp) : mcp,
      readTimeoutMs: this.config.gateway.requestReadSeconds * 1000,
      health: () => ({ sessions: this.sessions.size, upstreams: this.pool.list().length }),
      fallback: (req, res) => {
        // DNS rebinding: sign-in pages and OAuth endpoints answer only our own hosts.
        if (!guard.hostAllowed(req)) {
          res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'forbidden', error_description: 'Host not allowed' }));
          return;
        }
        if (this.signIn) return this.signIn.handle(req, res);
        if (!this.options.identify) return void signInOpened.then(() => this.signIn!.handle(req, res));
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not_found' }));
      },
    });
    const address = await listen(this.server, port, host);
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.url = `http://${shownHost}:${address.port}`;
    await replicas?.register(this.options.replica?.url ?? ReplicaRouter.reachableUrl(address.address, address.port));
    if (!this.options.identify) {
      await this.startSignIn(this.publicOrigins()[0] ?? this.url);
      opened();
      // The authorization server (big to load) comes just after the start, off its critical path.
      setTimeout(() => void this.signIn?.prepare().catch(() => {}), 100).unref();
    }
    this.logger.info({ url: this.url }, 'gateway listening');
    this.emit('status', this.status());
    return this.url;
  }

  private async startSignIn(issuer: string): Promise<void> {
    this.state = this.options.state ?? await openStateStore({});
    this.signIn = await createSignIn({
      issuer,
      config: () => this.config,
      servers: () => this.enabledServers(),
      state: this.state,
      secrets: this.secrets,
      logger: this.logger,
      onUserBlocked: (user) => {
        // Removal takes effect at once: sessions end, children stop (their tokens are refused too).
        this.sessions.closeWhere((s) => s.user === user.id, 'your access to this server was removed');
        void this.pool.stopWhere((e) => e.user === user.id);
        this.logger.info({ user: user.id, status: user.status }, 'user lost access: sessions closed, processes stopped');
      },
      onPending: (user) => this.emit('approval', user),
      onUserEnvSaved: (server, user) => { void this.pool.restartWhere((e) => e.server === server && e.user === user); },
      test: this.options.authTest,
    });
  }

  /** The OAuth issuer: the public origin, byte-identical everywhere. */
  get issuer(): string | undefined { return this.signIn?.issuer; }

  status(): PublisherStatus {
    return {
      state: this.server ? 'running' : 'stopped', gatewayUrl: this.url, published: this.publicUrl.published,
      tunnel: this.publicUrl.status, publicUrl: this.publicOrigins()[0], issuer: this.issuer, issuerChanged: this.publicUrl.issuerChanged,
    };
  }

  /**
   * Opens the public URL. Resolves once it is online (the tunnel then keeps itself up), or, when
   * an unpublish came first or stopped it while connecting, not published.
   */
  async publish(): Promise<PublisherStatus> {
    await this.publicUrl.open();
    return this.status();
  }

  /** Closes the public URL (at once if it is still connecting); the gateway goes on serving this computer. */
  async unpublish(): Promise<PublisherStatus> {
    await this.publicUrl.close();
    return this.status();
  }

  /**
   * Validates and applies a new config (and saves it when there is a config file): removed or
   * changed servers' children stop, sign-in follows `access`. Throws ConfigError, changing nothing.
   */
  async updateConfig(next: unknown): Promise<Config> {
    const config = this.options.configFile ? await saveConfig(this.options.configFile, next) : parseConfig(next);
    const accessChanged = JSON.stringify(config.access) !== JSON.stringify(this.config.access);
    await this.reconfigure(config);
    if (accessChanged && this.signIn) {
      await this.signIn.reloadLogins();
      await this.signIn.users.reevaluate(config.access);
    }
    this.emit('status', this.status());
    return config;
  }

  /** The local URL of a server's MCP endpoint. */
  serverUrl(name: string, base = this.publicOrigins()[0] ?? this.url): string {
    if (!base) throw new Error('the gateway is not running');
    return `${base}/servers/${encodeURIComponent(name)}/mcp`;
  }

  serverNames(): string[] { return Object.keys(this.enabledServers()); }

  /** Applies a new config: removed or changed servers' children stop. */
  async reconfigure(config: Config): Promise<void> {
    const before = this.config;
    this.config = config;
    await this.pool.setServers(this.enabledServers());
    announcePermissionChanges(before, config, this.pool);
    this.sessions.closeWhere((s) => !config.mcpServers[s.server]?.enabled, 'the server was removed');
  }

  /** Stops everything: sessions, the HTTP server, every child (SIGTERM, then SIGKILL). */
  async stop(): Promise<void> {
    await this.publicUrl.stop();
    await this.replicas?.close();
    this.sessions.closeAll();
    const server = this.server;
    this.server = undefined;
    await Promise.all([server ? closeServer(server) : undefined, this.pool.close()]);
    this.signIn?.close();
    this.signIn = undefined;
    await this.state?.flush();
    this.registry.flush();
    this.emit('status', this.status());
  }
}
