// "Start at login": Electron's login item on macOS and Windows; on Linux, where Electron has
// none, an XDG autostart entry (~/.config/autostart/mcp-publish.desktop). No electron import:
// main.ts passes app's two login-item functions in.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface LoginItemOptions {
  platform: NodeJS.Platform;
  /** `app.getLoginItemSettings().openAtLogin` (macOS, Windows). */
  getOpenAtLogin: () => boolean;
  /** `app.setLoginItemSettings({ openAtLogin })` (macOS, Windows). */
  setOpenAtLogin: (on: boolean) => void;
  /** The command line the autostart entry runs (Linux): the AppImage when run from one, else the binary. */
  exec: string[];
  /** Default `$XDG_CONFIG_HOME/autostart` or `~/.config/autostart`. */
  autostartDir?: string;
}

export const AUTOSTART_FILE = 'mcp-publish.desktop';

/** The XDG autostart entry that starts the app at login. */
export function autostartEntry(exec: string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=MCP Publish',
    'Comment=Publish the MCP servers on this computer',
    `Exec=${exec.map(quoteExec).join(' ')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/**
 * Desktop Entry spec, "The Exec key": each argument in double quotes with `"`, `` ` ``, `$` and `\`
 * backslash-escaped; then the string-value escape doubles every backslash again, and `%` (a field
 * code) is doubled.
 */
function quoteExec(arg: string): string {
  const quoted = arg.replace(/(["`$\\])/g, '\\$1');
  return `"${quoted.replace(/\\/g, '\\\\').replace(/%/g, '%%')}"`;
}

export class LoginItem {
  readonly #o: LoginItemOptions;
  readonly #file: string;

  constructor(options: LoginItemOptions) {
    this.#o = options;
    const dir = options.autostartDir ?? path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'autostart');
    this.#file = path.join(dir, AUTOSTART_FILE);
  }

  get enabled(): boolean {
    if (this.#o.platform !== 'linux') return this.#o.getOpenAtLogin();
    return fs.existsSync(this.#file);
  }

  set(on: boolean): void {
    if (this.#o.platform !== 'linux') return this.#o.setOpenAtLogin(on);
    if (on) {
      fs.mkdirSync(path.dirname(this.#file), { recursive: true });
      fs.writeFileSync(this.#file, autostartEntry(this.#o.exec));
    } else {
      fs.rmSync(this.#file, { force: true });
    }
  }
}
