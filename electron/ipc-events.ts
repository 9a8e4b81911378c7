// The contract between the main process and the settings window, in one file (STYLE 5, after
// electron/fiddle's ipc-events.ts): IPC channel names split into main-bound and renderer-bound
// lists, and the shape of what the preload exposes.
//
// Both lists are empty on purpose. The settings window is the renderer served by the admin API
// and talks to the core over HTTP with the per-launch token (src/admin/api.ts is its contract),
// so the same UI runs in a plain browser; copying uses navigator.clipboard. Every channel added
// here would be a second door into the main process that the browser build cannot use. Add one
// only for what HTTP cannot do (a native dialog, the OS login item), and list it below.

/** IPC channel names. None yet: see above. */
export enum IpcEvents {}

/** Channels the renderer sends and the main process handles (`ipcMain.handle`/`on`). */
export const ipcMainEvents: readonly IpcEvents[] = [];

/** Channels the main process sends to the settings window (`webContents.send`). */
export const ipcRendererEvents: readonly IpcEvents[] = [];

/** The global name under which the preload exposes `DesktopBridge` (`window.mcpPublishDesktop`). */
export const DESKTOP_BRIDGE_KEY = 'mcpPublishDesktop';

/**
 * Read-only facts for the settings UI, so it can word things for the platform ("menu bar" on
 * macOS, "system tray" elsewhere) and hide browser-only hints. No functions, no IPC; absent when
 * the UI runs in a browser.
 */
export interface DesktopBridge {
  readonly desktop: true;
  /** `process.platform` of the main process: 'darwin', 'win32', 'linux'. */
  readonly platform: string;
}
