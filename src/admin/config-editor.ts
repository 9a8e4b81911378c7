// The owner's edits of the config through the admin API: each edit changes the config as written
// (the file's own JSON, so defaults and command-line overrides do not leak into it), one edit at
// a time, applied and saved through the publisher (validated first: an invalid edit changes nothing).
import type { Config } from '../config/schema.ts';
import { readFileIfExists } from '../config/atomic-file.ts';
import { parseConfigText } from '../config/load.ts';
import type { Publisher } from '../publisher.ts';

export type RawConfig = Record<string, unknown> & { mcpServers?: Record<string, unknown>; access?: unknown };

export class ConfigEditor {
  private queue: Promise<unknown> = Promise.resolve();

  /** `file`: the config file the publisher saves to (its `configFile`), if any. */
  constructor(private readonly publisher: Publisher, private readonly file?: string) {}

  /** The config as written: the file's JSON when there is one, else the running config. */
  async raw(): Promise<RawConfig> {
    const current = structuredClone(this.publisher.currentConfig) as RawConfig;
    if (!this.file) return current;
    const text = await readFileIfExists(this.file);
    // No file yet: the running config is the built-in default (the demo server); the first edit
    // creates the file with the servers only, so defaults and a --port override stay out of it.
    if (text === undefined) return { mcpServers: current.mcpServers };
    parseConfigText(text, this.file); // a file broken behind our back is refused, never overwritten
    return JSON.parse(text) as RawConfig;
  }

  /**
   * Runs `change` on a copy of the raw config and applies the result with `publisher.updateConfig`
   * (which validates, saves and applies). Rejects with ConfigError, changing nothing, when the
   * result is invalid; with whatever `change` throws, changing nothing.
   */
  edit(change: (raw: RawConfig) => void | Promise<void>): Promise<Config> {
    const run = this.queue.then(async () => {
      const raw = await this.raw();
      await change(raw);
      return this.publisher.updateConfig(raw);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
