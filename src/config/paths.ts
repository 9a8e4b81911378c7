// Where MCP Publish keeps its files: the per-OS app-data directory, or MCP_PUBLISH_HOME.
import os from 'node:os';
import path from 'node:path';

/** The app-data directory: MCP_PUBLISH_HOME, else the platform's usual place. */
export function appDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.MCP_PUBLISH_HOME) return path.resolve(env.MCP_PUBLISH_HOME);
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'MCP Publish');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'MCP Publish');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'mcp-publish');
}

export interface AppPaths {
  dir: string;
  config: string;
  state: string;
  secretsFile: string;
  secretsKey: string;
  liveChildren: string;
  /** Where a running gateway's admin API is (URL + per-launch token), 0600. */
  admin: string;
}

export function appPaths(dir = appDataDir()): AppPaths {
  return {
    dir,
    config: path.join(dir, 'config.json'),
    state: path.join(dir, 'state.json'),
    secretsFile: path.join(dir, 'secrets.enc'),
    secretsKey: path.join(dir, 'secrets.key'),
    liveChildren: path.join(dir, 'children.json'),
    admin: path.join(dir, 'admin.json'),
  };
}
