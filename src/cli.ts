// The `mcp-publish` command: serve (headless gateway), import (servers from Claude Desktop,
// Cursor, VS Code), doctor (what is wrong, in plain words).
import { parseArgs } from 'node:util';
import { appPaths, type AppPaths } from './config/paths.ts';
import { ConfigError, loadConfig, parseConfig } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { createLogger } from './logging/logger.ts';
import { Publisher, demoServer } from './publisher.ts';
import { runDoctor } from './doctor.ts';
import { runUsers } from './admin/users-command.ts';
import { describeStatus, runPublish } from './admin/publish-command.ts';
import type { StatusView } from './admin/api.ts';
import { AdminServer } from './admin/admin-server.ts';
import { openStores } from './state/open.ts';
import { writeFileAtomic } from './config/atomic-file.ts';
import { acquireInstanceLock, instanceHolder } from './config/instance-lock.ts';
import fs from 'node:fs/promises';

export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const defaultIO: CliIO = {
  stdout: (s) => process.stdout.write(s + '\n'),
  stderr: (s) => process.stderr.write(s + '\n'),
};

const HELP = `mcp-publish — publish the MCP servers on this computer

Usage:
  mcp-publish serve [--config FILE] [--port N] [--publish]
                                                 run the gateway (headless); --publish opens the public URL
  mcp-publish publish | unpublish                open or close the public URL of the running gateway
  mcp-publish import [FILE...] [--dry-run]       add servers from Claude Desktop, Cursor or VS Code configs
  mcp-publish doctor [--config FILE]             check the config, the keychain and every server
  mcp-publish users [list|pending]               people who signed in (needs a running serve)
  mcp-publish users approve|deny|remove EMAIL    decide who may come in
  mcp-publish users add EMAIL [--name NAME]      a local account, with a one-time invite link
  mcp-publish help

Files live in ${appPaths().dir} (set MCP_PUBLISH_HOME to move them).`;

export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
  const [command = 'help', ...rest] = argv;
  const paths = appPaths();
  try {
    switch (command) {
      case 'serve': return await serve(rest, paths, io);
      case 'import': {
        const { runImport } = await import('./config/import.ts');
        const configFile = optionValue(rest, '--config') ?? paths.config;
        const args = rest.filter((a, i) => a !== '--config' && rest[i - 1] !== '--config');
        if (configFile !== paths.config) return await runImport(args, io, { configFile });
        // The folder's config belongs to whoever holds the folder: a running instance imports it itself.
        if (await instanceHolder(paths.dir)) {
          const { importThroughRunning } = await import('./admin/import-command.ts');
          const code = await importThroughRunning(args, paths, io);
          if (code !== undefined) return code;
        }
        const lock = await acquireInstanceLock(paths.dir, 'import');
        try {
          return await runImport(args, io, { configFile });
        } finally {
          await lock.release();
        }
      }
      case 'doctor': return await runDoctor(rest, paths, io);
      case 'users': return await runUsers(rest, paths, io);
      case 'publish': return await runPublish(true, paths, io);
      case 'unpublish': return await runPublish(false, paths, io);
      case 'help': case '--help': case '-h':
        io.stdout(HELP);
        return 0;
      default:
        io.stderr(`unknown command "${command}"\n\n${HELP}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr(`The config file cannot be used, so nothing was started and the file was left as it is.\n${formatConfigError(e)}`);
      return 1;
    }
    io.stderr(`mcp-publish ${command}: ${(e as Error).message}`);
    return 1;
  }
}

function optionValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
}

export function formatConfigError(e: ConfigError): string {
  return [`  file: ${e.file ?? '(none)'}`, ...e.problems.map((p) => `  ${p.path || '(whole file)'}: ${p.reason}`)].join('\n');
}

/** The config file's content, or the embedded default (demo server) when there is none. */
export async function configOrDefault(file: string): Promise<{ config: Config; embedded: boolean }> {
  const config = await loadConfig(file);
  if (config) return { config, embedded: false };
  const embedded = parseConfig({ mcpServers: {} });
  embedded.mcpServers.demo = demoServer();
  return { config: embedded, embedded: true };
}

async function serve(args: string[], paths: AppPaths, io: CliIO): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, port: { type: 'string' }, publish: { type: 'boolean' } }, allowPositionals: false });
  // One owner per data folder (STYLE 17): before anything in it is touched, even a crashed run's
  // children. A second start names the holder and exits (InstanceLockError, reported by main).
  const lock = await acquireInstanceLock(paths.dir, 'serve');
  try {
    return await serveHoldingFolder(values, paths, io);
  } finally {
    await lock.release();
  }
}

async function serveHoldingFolder(values: { config?: string; port?: string; publish?: boolean }, paths: AppPaths, io: CliIO): Promise<number> {
  const file = values.config ?? paths.config;
  const { config, embedded } = await configOrDefault(file);
  if (values.port !== undefined) config.gateway.port = Number(values.port);
  const logger = createLogger();
  const { state, secrets, shared } = await openStores({ url: config.state.url, paths, logger });
  // On shared state this is one of several replicas: MCP_PUBLISH_REPLICA_URL is where the others reach it.
  const replica = shared ? { url: process.env.MCP_PUBLISH_REPLICA_URL || undefined } : undefined;
  // configFile: the owner's edits in the settings window are saved there.
  const make = () => new Publisher({ config, logger, state, secrets, liveChildrenFile: paths.liveChildren, configFile: file, replica });
  let publisher = make();
  let url: string;
  try {
    url = await publisher.start();
  } catch (e) {
    await publisher.stop();
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !embedded || values.port !== undefined) {
      await state.close();
      throw e;
    }
    io.stderr(`Port ${config.gateway.port} is in use; using a free port instead.`);
    config.gateway.port = 0;
    publisher = make();
    url = await publisher.start();
  }
  const admin = new AdminServer({ publisher, configFile: file, secrets, state, logger: logger.child({ component: 'admin' }), dataDir: paths.dir });
  const adminEndpoint = await admin.start();
  await writeFileAtomic(paths.admin, JSON.stringify(adminEndpoint), { mode: 0o600 });

  io.stdout(`MCP Publish is running on ${url}`);
  if (embedded) io.stdout(`No config file at ${file}: serving the built-in demo server.\nAdd your own servers with "mcp-publish import" or by writing that file (see README).`);
  io.stdout('');
  io.stdout('MCP URLs (Streamable HTTP; paste one into your MCP client):');
  for (const name of publisher.serverNames()) io.stdout(`  ${name.padEnd(16)} ${publisher.serverUrl(name)}`);
  const local = publisher.signIn?.local;
  if (local) {
    const { account, password, madeElsewhere } = await local.ensureOwner();
    io.stdout('');
    if (password) {
      io.stdout(`Sign in as the owner with: ${account.email} / ${password}`);
      io.stdout('(This password is shown once. Keep it somewhere safe.)');
    } else if (madeElsewhere) {
      io.stdout(`Sign in as the owner with ${account.email}: the owner's account was just made by another replica, and its password printed by the replica that made it.`);
    } else {
      io.stdout(`Sign in as the owner with ${account.email} and the password shown when it was created.`);
    }
  }
  io.stdout('');
  io.stdout('People who sign in and are not on the allow-list wait for you: "mcp-publish users" lists them, "mcp-publish users approve <email>" lets one in.');
  io.stdout(`Settings (this computer only): ${adminEndpoint.url}/#token=${adminEndpoint.token}`);
  if (values.publish) {
    io.stdout('');
    io.stdout('Opening the public URL…');
    try {
      await publisher.publish();
      const status = await (await fetch(`${adminEndpoint.url}/api/status`, { headers: { authorization: `Bearer ${adminEndpoint.token}` } })).json() as StatusView;
      describeStatus(status, io);
    } catch (e) {
      io.stderr(`Could not publish: ${(e as Error).message}. The servers stay reachable from this computer; try "mcp-publish publish" later.`);
    }
  } else {
    io.stdout('Publish them on a public URL with "mcp-publish publish" (or start with --publish).');
  }
  try {
    await secrets.opened;
  } catch (e) {
    // A keychain forced by MCP_PUBLISH_SECRETS that does not work: stop, as before the gateway started.
    io.stderr(`mcp-publish serve: ${(e as Error).message}`);
    await admin.stop();
    await fs.rm(paths.admin, { force: true });
    await publisher.stop();
    await state.close();
    return 1;
  }
  io.stdout('Press Ctrl+C to stop.');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    process.once('SIGHUP', stop);
  });
  io.stderr('Stopping: closing sessions and ending every server process…');
  await admin.stop();
  await fs.rm(paths.admin, { force: true });
  await publisher.stop();
  await state.close();
  return 0;
}
