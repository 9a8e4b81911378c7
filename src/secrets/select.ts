// Choosing the secret backend at start-up (DESIGN §7): the OS keychain when it really works, else
// the encrypted file with a loud warning; `MCP_PUBLISH_SECRETS` forces one. Never logs a value.
import type { Logger } from '../logging/logger.ts';
import type { AppPaths } from '../config/paths.ts';
import { SecretStoreError, type SecretStore, type SecretStoreKind } from './secret-store.ts';
import { KeychainSecretStore } from './keychain-store.ts';
import { EncryptedFileSecretStore } from './encrypted-file-store.ts';
import { MemorySecretStore } from './memory-store.ts';

export interface OpenSecretStoreOptions {
  paths: Pick<AppPaths, 'secretsFile' | 'secretsKey'>;
  logger: Logger;
  /**
   * The backend to use unless `MCP_PUBLISH_SECRETS` says otherwise. `keychain` (the default)
   * falls back to the encrypted file when the keychain does not work; the others are used as is.
   */
  prefer?: SecretStoreKind;
  /** Where `MCP_PUBLISH_SECRETS` and `MCP_PUBLISH_SECRET_KEY` are read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Keychain service name. Default `mcp-publish`. */
  keychainService?: string;
  /** Limit for each keychain call in the probe. Default 15000 ms. */
  keychainTimeoutMs?: number;
}

/** Values of `MCP_PUBLISH_SECRETS` and the backend each forces. */
const FORCED: Record<string, SecretStoreKind> = { keychain: 'keychain', file: 'encrypted-file', 'encrypted-file': 'encrypted-file', memory: 'memory' };

/**
 * Opens the secret store for this run and logs one info line naming the backend and, when it
 * had to fall back, why. Rejects with `SecretStoreError` when a forced keychain does not work,
 * or `MCP_PUBLISH_SECRETS` holds an unknown value.
 */
export async function openSecretStore(options: OpenSecretStoreOptions): Promise<SecretStore> {
  const env = options.env ?? process.env;
  const log = options.logger.child({ component: 'secrets' });
  const forcedRaw = env.MCP_PUBLISH_SECRETS?.trim();
  let backend: SecretStoreKind = options.prefer ?? 'keychain';
  let why: string;
  if (forcedRaw) {
    const forced = FORCED[forcedRaw.toLowerCase()];
    if (!forced) {
      throw new SecretStoreError('unavailable', `MCP_PUBLISH_SECRETS must be "keychain", "file" or "memory" (got ${JSON.stringify(forcedRaw)})`);
    }
    backend = forced;
    why = `forced by MCP_PUBLISH_SECRETS=${forcedRaw}`;
  } else {
    why = options.prefer ? `configured (prefer: ${options.prefer})` : 'default';
  }
  const keychain = { service: options.keychainService, timeoutMs: options.keychainTimeoutMs };

  if (backend === 'memory') {
    log.info({ backend, reason: why }, `secrets are kept in memory only (${why}); they are lost when the process exits`);
    return new MemorySecretStore();
  }
  if (backend === 'encrypted-file') {
    const store = fileStore(options, env, log);
    log.info({ backend, reason: why, file: store.file, keySource: store.keySource }, `secrets are kept in the encrypted file ${store.file} (${why}; key from ${store.keySource})`);
    return store;
  }

  try {
    const store = await KeychainSecretStore.open(keychain);
    log.info({ backend: 'keychain', reason: why, service: store.service }, `secrets are kept in the OS keychain, service "${store.service}" (${why})`);
    return store;
  } catch (e) {
    const err = e instanceof SecretStoreError ? e : new SecretStoreError('unavailable', String(e), { cause: e, backend: 'keychain' });
    if (forcedRaw) throw err;
    const store = fileStore(options, env, log);
    const keyWarning = store.keySource.startsWith('key file')
      ? `its key is in ${store.keyFile}, so anyone who can read that folder can read your secrets; set MCP_PUBLISH_SECRET_KEY or make the keychain work to avoid that`
      : `its key comes from ${store.keySource}`;
    log.warn(
      { backend: 'encrypted-file', keychainError: err.code, file: store.file },
      `SECRETS ARE NOT IN THE OS KEYCHAIN (${err.code}): ${err.message}. ` +
        `Falling back to the encrypted file ${store.file}; ${keyWarning}.`,
    );
    log.info(
      { backend: 'encrypted-file', reason: `keychain ${err.code}`, file: store.file, keySource: store.keySource },
      `secrets are kept in the encrypted file ${store.file} (fell back: keychain ${err.code}; key from ${store.keySource})`,
    );
    return store;
  }
}

function fileStore(options: OpenSecretStoreOptions, env: NodeJS.ProcessEnv, log: Logger): EncryptedFileSecretStore {
  return new EncryptedFileSecretStore({
    file: options.paths.secretsFile,
    keyFile: options.paths.secretsKey,
    secretKey: env.MCP_PUBLISH_SECRET_KEY || undefined,
    logger: log,
  });
}

/**
 * A secret store whose backend is being chosen (the keychain probed) while the rest starts:
 * calls wait for the choice. `opened` is the choice itself (reject: nothing could be used).
 */
export class PendingSecretStore implements SecretStore {
  #store?: SecretStore;
  constructor(readonly opened: Promise<SecretStore>) {
    opened.then((s) => { this.#store = s; }, () => undefined);
  }
  /** The backend, once chosen (until then: the keychain, the one tried first). */
  get kind(): SecretStoreKind { return this.#store?.kind ?? 'keychain'; }
  async get(key: string): Promise<string | undefined> { return (await this.opened).get(key); }
  async set(key: string, value: string): Promise<void> { return (await this.opened).set(key, value); }
  async setIfAbsent(key: string, value: string): Promise<string> { return (await this.opened).setIfAbsent(key, value); }
  async delete(key: string): Promise<boolean> { return (await this.opened).delete(key); }
  async list(prefix?: string): Promise<string[]> { return (await this.opened).list(prefix); }
}
