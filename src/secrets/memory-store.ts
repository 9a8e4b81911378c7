// The in-memory SecretStore: secrets that live as long as the process, for tests and for
// `MCP_PUBLISH_SECRETS=memory` (nothing is written anywhere).
import { assertSecretKey, assertSecretValue, filterKeys, type SecretStore } from './secret-store.ts';

export class MemorySecretStore implements SecretStore {
  readonly kind = 'memory' as const;
  readonly #values = new Map<string, string>();

  /** @param initial secrets to start with, e.g. a test's fixtures. */
  constructor(initial: Record<string, string> = {}) {
    for (const [key, value] of Object.entries(initial)) {
      assertSecretKey(key);
      assertSecretValue(value);
      this.#values.set(key, value);
    }
  }

  async get(key: string): Promise<string | undefined> {
    assertSecretKey(key);
    return this.#values.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    assertSecretKey(key);
    assertSecretValue(value);
    this.#values.set(key, value);
  }

  async setIfAbsent(key: string, value: string): Promise<string> {
    assertSecretKey(key);
    assertSecretValue(value);
    const held = this.#values.get(key);
    if (held !== undefined) return held;
    this.#values.set(key, value);
    return value;
  }

  async delete(key: string): Promise<boolean> {
    assertSecretKey(key);
    return this.#values.delete(key);
  }

  async list(prefix?: string): Promise<string[]> {
    return filterKeys(this.#values.keys(), prefix);
  }
}
