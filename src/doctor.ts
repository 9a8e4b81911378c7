// `mcp-publish doctor`: checks the config, the secret store and each server (its command is
// found, it starts, it answers initialize and tools/list) and says what is wrong in plain words.
import { parseArgs } from 'node:util';
import type { AppPaths } from './config/paths.ts';
import { ConfigError } from './config/load.ts';
import { isStdioServer } from './config/schema.ts';
import { silentLogger } from './logging/logger.ts';
import { resolveCommand, childEnvironment } from './upstream/command.ts';
import { UpstreamPool } from './upstream/child-pool.ts';
import type { CliIO } from './cli.ts';
import { loginRedirectUris } from './identity/login-provider.ts';

export async function runDoctor(args: string[], paths: AppPaths, io: CliIO): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' } }, allowPositionals: false });
  const file = values.config ?? paths.config;
  let problems = 0;
  const ok = (s: string) => io.stdout(`  ok    ${s}`);
  const bad = (s: string) => { problems++; io.stdout(`  FAIL  ${s}`); };

  io.stdout(`Config: ${file}`);
  const { configOrDefault, formatConfigError } = await import('./cli.ts');
  let config;
  try {
    const loaded = await configOrDefault(file);
    config = loaded.config;
    if (loaded.embedded) ok('no config file yet: the built-in demo server is used');
    else ok(`valid, ${Object.keys(config.mcpServers).length} server(s)`);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    bad(`the config file cannot be used:\n${formatConfigError(e)}`);
    return 1;
  }

  io.stdout('Secrets:');
  try {
    const { openSecretStore } = await import('./secrets/select.ts');
    const store = await openSecretStore({ paths, logger: silentLogger() });
    ok(`secrets are kept in: ${store.kind === 'keychain' ? 'the OS keychain' : store.kind === 'encrypted-file' ? `an encrypted file (${paths.secretsFile}); no keychain is available` : store.kind === 'postgres' ? 'PostgreSQL, encrypted with MCP_PUBLISH_SECRET_KEY' : 'memory only (lost on exit)'}`);
  } catch (e) {
    bad(`no place to keep secrets: ${(e as Error).message}`);
  }

  io.stdout('Sign-in:');
  const issuer = (config.gateway.publicUrl ?? config.publish.publicUrl ?? `http://127.0.0.1:${config.gateway.port}`).replace(/\/+$/, '');
  const uris = loginRedirectUris(issuer);
  const { login } = config.access;
  ok(`issuer (public URL): ${issuer}${config.gateway.publicUrl || config.publish.publicUrl ? '' : ' (no public URL yet: only this computer can sign in)'}`);
  if (login.local) ok('local accounts: on (add people with "mcp-publish users add <email>")');
  if (login.oidc) ok(`OIDC (${login.oidc.issuer}): register this redirect URI at the IdP: ${uris.oidc}`);
  if (login.github) ok(`GitHub OAuth app: set its callback URL to: ${uris.github}`);
  if (!login.local && !login.oidc && !login.github) bad('no way to sign in is enabled (access.login): nobody can use the servers');
  io.stdout('Servers:');
  const pool = new UpstreamPool(config.mcpServers, {
    logger: silentLogger(), clientInfo: { name: 'mcp-publish-doctor', version: '0' },
    idleMs: 60_000, requestTimeoutMs: 30_000, stderrBytes: 16 * 1024,
  });
  try {
    for (const [name, server] of Object.entries(config.mcpServers)) {
      if (!server.enabled) { ok(`${name}: disabled`); continue; }
      if (isStdioServer(server)) {
        const env = childEnvironment(process.env, server.env);
        const found = resolveCommand(server.command, env, server.cwd);
        if (!found) { bad(`${name}: the command "${server.command}" is not installed or not on PATH`); continue; }
        if (server.userEnv.length) io.stdout(`        ${name}: asks each user for ${server.userEnv.map((f) => f.name).join(', ')}`);
      }
      const mux = pool.acquire(name, 'doctor', 'doctor');
      try {
        const init = await mux.start();
        const info = init.serverInfo as { name?: string; version?: string };
        ok(`${name}: starts and answers (${info?.name ?? '?'} ${info?.version ?? ''}, protocol ${init.protocolVersion})`);
      } catch (e) {
        const tail = (e as { stderrTail?: string }).stderrTail;
        bad(`${name}: does not start: ${(e as Error).message}${tail ? `\n          its last words: ${tail.split('\n').join('\n          ')}` : ''}`);
      }
    }
  } finally {
    await pool.close();
  }
  io.stdout(problems ? `\n${problems} problem(s) found.` : '\nEverything looks fine.');
  return problems ? 1 : 0;
}
