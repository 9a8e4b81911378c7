// Where `serve` keeps state and secrets: the state file and the OS keychain (default), or, with
// `state.url` or MCP_PUBLISH_STATE_URL, PostgreSQL for both, shared by a team's replicas.
import type { Logger } from '../logging/logger.ts';
import type { AppPaths } from '../config/paths.ts';
import { openStateStore, type StateStore } from './state-store.ts';
import { PendingSecretStore, openSecretStore } from '../secrets/select.ts';
import type { PostgresSecretStore } from '../secrets/postgres-store.ts';

export interface Stores {
  state: StateStore;
  /** Chosen while the gateway starts (the keychain is probed); PostgreSQL's at once. */
  secrets: PendingSecretStore;
  /** The PostgreSQL URL (password hidden) when state is shared, else undefined. */
  shared?: string;
}

export async function openStores(o: { url?: string; paths: AppPaths; logger: Logger; env?: NodeJS.ProcessEnv }): Promise<Stores> {
  const env = o.env ?? process.env;
  const url = env.MCP_PUBLISH_STATE_URL || o.url;
  if (!url) {
    // The keychain is probed while the gateway starts: nothing it answers first needs a secret.
    const secrets = new PendingSecretStore(openSecretStore({ paths: o.paths, logger: o.logger }));
    const state = await openStateStore({ file: o.paths.state, logger: o.logger.child({ component: 'state' }) });
    return { state, secrets };
  }
  // Loaded only here: a desktop start never pays for the PostgreSQL driver.
  const [{ openPgStateStore }, { PostgresSecretStore }, { safeUrl }] = await Promise.all([
    import('./pg-state-store.ts'), import('../secrets/postgres-store.ts'), import('./pg-migrate.ts')]);
  const state = await openPgStateStore({ url, logger: o.logger.child({ component: 'state' }) });
  let secrets: PostgresSecretStore;
  try {
    secrets = new PostgresSecretStore(state.pool, env.MCP_PUBLISH_SECRET_KEY || undefined);
  } catch (e) {
    await state.close();
    throw e;
  }
  const shown = safeUrl(url);
  o.logger.child({ component: 'state' }).info({ backend: 'postgres', url: shown }, `state and secrets are kept in PostgreSQL at ${shown} (shared by every replica)`);
  return { state, secrets: new PendingSecretStore(Promise.resolve(secrets)), shared: shown };
}
