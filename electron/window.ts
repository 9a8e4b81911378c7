// The settings window: the renderer served by the admin API, loaded with the per-launch token.
// Sandboxed and context-isolated, its own in-memory session, no permissions but clipboard
// writing, navigation held to the admin origin (navigation.ts decides), web links to the
// browser. Closing it hides it (lifecycle.ts): the app lives on in the tray.
import { BrowserWindow, session, shell } from 'electron';
import type { AdminEndpoint } from '../src/admin/api.ts';
import { onWindowClose, showSettingsSteps, type QuitPhase, type WindowFacts, type WindowStep } from './lifecycle.ts';
import { navigationFor, settingsUrl } from './navigation.ts';

export interface SettingsWindowOptions {
  endpoint: AdminEndpoint;
  /** The bundled preload script (electron/dist/preload.cjs). */
  preload: string;
  /** The window icon (Linux, Windows). */
  icon?: string;
  quitPhase: () => QuitPhase;
  /** Told when the window is shown or hidden (macOS shows the dock icon only while it is visible). */
  onvisibility?: (visible: boolean) => void;
}

/** An in-memory session: nothing the settings page stores outlives the app. */
const PARTITION = 'mcp-publish-settings';

export class SettingsWindow {
  #win?: BrowserWindow;

  constructor(private readonly o: SettingsWindowOptions) {
    const ses = session.fromPartition(PARTITION);
    const own = new URL(o.endpoint.url).origin;
    // Copy buttons use navigator.clipboard.writeText; nothing else is granted.
    ses.setPermissionRequestHandler((_wc, permission, done, details) => done(permission === 'clipboard-sanitized-write' && sameOrigin(details.requestingUrl, own)));
    ses.setPermissionCheckHandler((_wc, permission, origin) => permission === 'clipboard-sanitized-write' && sameOrigin(origin, own));
  }

  facts(): WindowFacts {
    const w = this.#win;
    return w && !w.isDestroyed() ? { exists: true, visible: w.isVisible(), minimized: w.isMinimized() } : { exists: false, visible: false, minimized: false };
  }

  /** Brings the window to the front, creating it first if needed (or carries out `steps`). */
  show(steps: WindowStep[] = showSettingsSteps(this.facts())): void {
    for (const step of steps) {
      switch (step) {
        case 'create': this.#win = this.create(); break;
        case 'restore': this.#win?.restore(); break;
        case 'show': this.#win?.show(); break;
        case 'focus': this.#win?.focus(); break;
      }
    }
  }

  private create(): BrowserWindow {
    const own = new URL(this.o.endpoint.url).origin;
    const win = new BrowserWindow({
      title: 'MCP Publish',
      width: 1040, height: 760, minWidth: 640, minHeight: 480,
      show: false,
      autoHideMenuBar: true,
      ...(this.o.icon ? { icon: this.o.icon } : {}),
      webPreferences: {
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webviewTag: false,
        spellcheck: false,
        partition: PARTITION,
        preload: this.o.preload,
      },
    });
    const wc = win.webContents;
    // One guard for every frame's navigations and redirects; only a top-level link leaves for the browser.
    const guard = (event: { url: string; isMainFrame: boolean; preventDefault: () => void }) => {
      const decision = navigationFor(event.url, own);
      if (decision === 'allow') return;
      event.preventDefault();
      if (decision === 'open-external' && event.isMainFrame) void shell.openExternal(event.url);
    };
    wc.on('will-frame-navigate', (event) => guard(event));
    wc.on('will-redirect', (event) => guard(event));
    wc.on('will-attach-webview', (event) => event.preventDefault());
    wc.setWindowOpenHandler(({ url }) => {
      if (navigationFor(url, own) !== 'block') void shell.openExternal(url);
      return { action: 'deny' };
    });
    win.on('close', (event) => {
      if (onWindowClose(this.o.quitPhase()) === 'hide') {
        event.preventDefault();
        win.hide();
      }
    });
    win.on('show', () => this.o.onvisibility?.(true));
    win.on('hide', () => this.o.onvisibility?.(false));
    win.on('closed', () => {
      if (this.#win === win) this.#win = undefined;
      this.o.onvisibility?.(false);
    });
    void win.loadURL(settingsUrl(this.o.endpoint));
    return win;
  }

  destroy(): void {
    if (this.#win && !this.#win.isDestroyed()) this.#win.destroy();
    this.#win = undefined;
  }
}

function sameOrigin(url: string, origin: string): boolean {
  try { return new URL(url).origin === origin; } catch { return false; }
}
