// The core inside the Electron main process, started the way `mcp-publish serve` starts it
// (src/cli.ts): config or the embedded demo, secrets, state, Publisher, admin API + admin.json,
// the owner account. It turns the core's events into the state the tray draws, and names the
// steps Quit runs. No electron import: it runs, and is tested, under plain Node.
import fs from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { appPaths, type AppPaths } from '../src/config/paths.ts';
import { ConfigError } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import { configOrDefault, formatConfigError } from '../src/cli.ts';
import { REDACT_PATHS, type Logger } from '../src/logging/logger.ts';
import { Publisher, type PublisherOptions } from '../src/publisher.ts';
import { AdminServer } from '../src/admin/admin-server.ts';
import type { AdminEndpoint, StatusView } from '../src/admin/api.ts';
import { statusView } from '../src/admin/views.ts';
import { openSecretStore } from '../src/secrets/select.ts';
import { openStateStore, type StateStore } from '../src/state/state-store.ts';
import { writeFileAtomic } from '../src/config/atomic-file.ts';
import { acquireInstanceLock, type InstanceLock } from '../src/config/instance-lock.ts';
import type { QuitStepName, RunningParts } from './lifecycle.ts';
import { isDemoEntry, startDemoServer, withDemoAt, type DemoServer } from './demo-server.ts';
import type { TrayState, TrayTunnel } from './tray-menu.ts';

/** The tray's state without what the shell itself owns (the login item). */
export type CoreState = Omit<TrayState, 'startAtLogin'>;

export interface CoreOptions {
  /** Default: the app-data directory (`MCP_PUBLISH_HOME` moves it). */
  paths?: AppPaths;
  /** Default: `appLogger(paths)`. */
  logger?: Logger;
  /** Passed to the Publisher (tests use a loopback tunnel). */
  createTunnel?: PublisherOptions['createTunnel'];
  /** Wait this long after the last core event before telling listeners; default 150 ms. */
  settleMs?: number;
  /**
   * Serve the built-in demo server from this process (demo-server.ts) instead of as a child;
   * default: inside Electron, whose packed binary cannot run as Node (RunAsNode fuse off).
   */
  inProcessDemo?: boolean;
  /**
   * The data folder's instance lock, when the caller took it first (the app does, before its
   * tray); else startCore takes it. Either way the core owns it from then on: it is released
   * when the start fails, or by the last quit step.
   */
  lock?: InstanceLock;
}

export interface Core {
  readonly publisher: Publisher;
  readonly admin: AdminEndpoint;
  readonly paths: AppPaths;
  /** The owner account's password when it was created by this start: show it once. */
  readonly ownerFirstRun?: { email: string; password: string };
  state(): CoreState;
  /**
   * Calls `listener` after anything in `state()` may have changed, once a burst of core events
   * has settled (a first sign-in is stored as pending and decided a moment later). Returns a
   * function that unsubscribes.
   */
  onchange(listener: () => void): () => void;
  /** The Publish toggle. A failure to publish becomes an entry of `state().errors`. */
  setPublished(on: boolean): Promise<void>;
  /** The owner's decision on a pending person (as the admin API's approve / deny). */
  decide(userId: string, decision: 'approve' | 'deny'): Promise<void>;
  /** What Quit must stop, for `quitPlan`. */
  running(): RunningParts;
  /** One function per quit step, for `runQuitPlan`. */
  readonly stop: Record<QuitStepName, () => Promise<void>>;
}

/** The state store key that remembers the Publish toggle across launches. */
const PUBLISH_ON_LAUNCH = { collection: 'desktop', id: 'publish-on-launch' } as const;

/** The main process's logger: the app-data folder's `logs/main.log`, and stderr for `npm run app`. */
export function appLogger(paths: AppPaths = appPaths()): Logger {
  const file = pino.destination({ dest: path.join(paths.dir, 'logs', 'main.log'), mkdir: true, sync: false });
  const level = process.env.MCP_PUBLISH_LOG_LEVEL ?? 'info';
  return pino(
    { level, base: undefined, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    pino.multistream([{ level: level as pino.Level, stream: file }, { level: level as pino.Level, stream: pino.destination({ dest: 2, sync: false }) }]),
  );
}

/** Words for a start-up failure, as the tray shows it. */
export function describeStartError(e: unknown): string {
  if (e instanceof ConfigError) return `The config file cannot be used, so nothing was started:\n${formatConfigError(e)}`;
  return `MCP Publish could not start: ${(e as Error).message ?? String(e)}`;
}

export async function startCore(options: CoreOptions = {}): Promise<Core> {
  const paths = options.paths ?? appPaths();
  // One owner per data folder (STYLE 17): nothing in it is touched before this.
  const lock = options.lock ?? await acquireInstanceLock(paths.dir, 'desktop');
  try {
    return await startHoldingFolder(paths, lock, options);
  } catch (e) {
    await lock.release();
    throw e;
  }
}

async function startHoldingFolder(paths: AppPaths, lock: InstanceLock, options: CoreOptions): Promise<Core> {
  const logger = options.logger ?? appLogger(paths);
  const loaded = await configOrDefault(paths.config);
  // Inside Electron the demo runs in this process: the packed app cannot start itself as Node.
  const inProcess = (options.inProcessDemo ?? Boolean(process.versions.electron)) && Object.values(loaded.config.mcpServers).some(isDemoEntry);
  const demo = inProcess ? await startDemoServer() : undefined;
  try {
    return await startServing(paths, lock, { config: demo ? withDemoAt(loaded.config, demo) : loaded.config, embedded: loaded.embedded }, demo, logger, options);
  } catch (e) {
    await demo?.close();
    throw e;
  }
}

async function startServing(paths: AppPaths, lock: InstanceLock, { config, embedded }: { config: Config; embedded: boolean }, demo: DemoServer | undefined, logger: Logger, options: CoreOptions): Promise<Core> {
  const secrets = await openSecretStore({ paths, logger });
  const state = await openStateStore({ file: paths.state, logger: logger.child({ component: 'state' }) });
  const make = () => new Publisher({
    config, logger, state, secrets, liveChildrenFile: paths.liveChildren, configFile: paths.config, createTunnel: options.createTunnel,
  });
  let publisher = make();
  try {
    await publisher.start();
  } catch (e) {
    await publisher.stop();
    // As `serve`: the embedded demo moves to a free port; a configured port is the owner's choice.
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !embedded) {
      await state.close();
      const other = (e as NodeJS.ErrnoException).code === 'EADDRINUSE' ? await otherInstance(paths.admin) : undefined;
      if (other) throw new Error(`MCP Publish already runs in another process (pid ${other}, perhaps "mcp-publish serve") on port ${config.gateway.port}. Stop it, then start the app again.`, { cause: e });
      throw e;
    }
    logger.warn({ port: config.gateway.port }, 'the port is in use; using a free port instead');
    config.gateway.port = 0;
    publisher = make();
    try {
      await publisher.start();
    } catch (again) {
      await publisher.stop();
      await state.close();
      throw again;
    }
  }

  const adminServer = new AdminServer({ publisher, configFile: paths.config, secrets, state, logger: logger.child({ component: 'admin' }), dataDir: paths.dir });
  let admin: AdminEndpoint;
  let ownerFirstRun: Core['ownerFirstRun'];
  try {
    admin = await adminServer.start();
    await writeFileAtomic(paths.admin, JSON.stringify(admin), { mode: 0o600 });
    const local = publisher.signIn?.local;
    if (local) {
      const { account, password } = await local.ensureOwner();
      if (password) ownerFirstRun = { email: account.email, password };
    }
  } catch (e) {
    // Whoever starts it, stops it (STYLE 8): nothing half-started is left behind.
    await adminServer.stop();
    await removeAdminFile(paths.admin);
    await publisher.stop();
    await state.close();
    throw e;
  }

  const errors: { publish?: string } = {};
  const parts = { adminServer: true, state: true };
  const listeners = new Set<() => void>();
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(() => { for (const l of [...listeners]) l(); }, options.settleMs ?? 150);
  };
  // The Publish toggle is remembered across launches, whoever flips it (tray or settings window);
  // Quit closing the tunnel is not the owner turning it off.
  let quitting = false;
  let publishIntent = (await state.get<boolean>(PUBLISH_ON_LAUNCH.collection, PUBLISH_ON_LAUNCH.id)) === true;
  publisher.on('status', (s) => {
    if (!quitting && s.published !== publishIntent) {
      publishIntent = s.published;
      state.put(PUBLISH_ON_LAUNCH.collection, PUBLISH_ON_LAUNCH.id, publishIntent).catch((e: Error) => logger.warn({ err: e.message }, 'could not remember the Publish toggle'));
    }
    changed();
  });
  // Waiting, as the tray shows it: those the policy left to the owner (the approval event), and
  // those already waiting at start. Someone stored as pending for the moment before the policy
  // lets them in is never shown, however long the durable writes in between take.
  const waiting = new Set((publisher.signIn?.users.list() ?? []).filter((u) => u.status === 'pending').map((u) => u.id));
  publisher.on('approval', (user) => { waiting.add(user.id); changed(); });
  adminServer.health.onchange(changed);
  const unsubscribeUsers = publisher.signIn?.users.onChange(changed);

  const setPublished = async (on: boolean): Promise<void> => {
    if (!on) {
      errors.publish = undefined;
      await publisher.unpublish();
      return changed();
    }
    try {
      await publisher.publish();
      errors.publish = undefined;
    } catch (e) {
      errors.publish = `Publishing failed: ${(e as Error).message}`;
      logger.warn({ err: (e as Error).message }, 'publishing failed');
    }
    changed();
  };

  if (publishIntent) void setPublished(true);

  const core: Core = {
    publisher, admin, paths, ownerFirstRun,
    state: () => coreState(publisher, Object.values(errors).filter((e): e is string => Boolean(e)), adminServer.health, waiting),
    onchange(listener) {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
    setPublished,
    async decide(userId, decision) {
      const signIn = publisher.signIn;
      if (!signIn) throw new Error('sign-in is not running');
      await signIn.users.setStatus(userId, decision === 'approve' ? 'allowed' : 'denied', 'owner');
      logger.info({ user: userId, decision }, 'owner decided (tray)');
    },
    running() {
      const s = publisher.status();
      return { tunnel: s.published, adminServer: parts.adminServer, publisher: s.state === 'running', state: parts.state };
    },
    stop: {
      'close-tunnel': async () => {
        quitting = true;
        await publisher.unpublish();
      },
      'stop-admin-server': async () => {
        parts.adminServer = false;
        await adminServer.stop();
        await removeAdminFile(paths.admin);
      },
      'stop-publisher': async () => {
        quitting = true;
        unsubscribeUsers?.();
        await publisher.stop();
        await demo?.close();
      },
      'close-state': async () => {
        parts.state = false;
        clearTimeout(timer);
        listeners.clear();
        try {
          await state.close();
        } finally {
          await lock.release();
        }
      },
    },
  };
  return core;
}

/** The tray's view of the core: the admin API's StatusView (one contract), plus who waits. */
export function coreState(publisher: Publisher, errors: string[], health?: AdminServer['health'], waiting?: ReadonlySet<string>): CoreState {
  const s = statusView(publisher, health);
  const running = s.state === 'running';
  const pending = (publisher.signIn?.users.list() ?? [])
    .filter((u) => u.status === 'pending' && !u.owner && (!waiting || waiting.has(u.id)))
    .map((u) => ({ id: u.id, ...(u.email ? { email: u.email } : {}), ...(u.name ? { name: u.name } : {}) }));
  return {
    gateway: running ? 'running' : 'stopped',
    published: s.published,
    tunnel: trayTunnel(s.tunnel),
    ...(s.publicUrl ? { publicUrl: s.publicUrl } : {}),
    ...(s.issuerChanged ? { issuerChanged: s.issuerChanged } : {}),
    servers: s.servers.flatMap((v) => v.enabled && v.localUrl
      ? [{ name: v.name, ...(v.title ? { title: v.title } : {}), localUrl: v.localUrl, ...(v.publicUrl ? { publicUrl: v.publicUrl } : {}), health: v.health }]
      : []),
    pending,
    errors,
  };
}

function trayTunnel(t: StatusView['tunnel']): TrayTunnel {
  switch (t.state) {
    case 'online': return { state: 'online', url: t.url, ...(t.password ? { password: t.password } : {}) };
    case 'reconnecting': return { state: 'reconnecting', reason: t.reason, attempt: t.attempt };
    case 'connecting': return { state: 'connecting' };
    case 'offline': return { state: 'offline', reason: t.reason };
  }
}

/** The pid in admin.json when that process is alive and not this one. */
async function otherInstance(file: string): Promise<number | undefined> {
  try {
    const { pid } = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<AdminEndpoint>;
    if (typeof pid !== 'number' || pid === process.pid) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Removes admin.json if it is still ours (a `serve` started later may have replaced it). */
async function removeAdminFile(file: string): Promise<void> {
  try {
    const written = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<AdminEndpoint>;
    if (written.pid === process.pid) await fs.rm(file, { force: true });
  } catch { /* absent or unreadable: nothing of ours to remove */ }
}
