// The settings window's preload (sandboxed, context-isolated): exposes DesktopBridge, a few
// read-only facts, and nothing else. No ipcRenderer, no functions: the window talks to the
// core over the admin API (see ipc-events.ts for why).
import { contextBridge } from 'electron';
import { DESKTOP_BRIDGE_KEY, type DesktopBridge } from './ipc-events.ts';

const bridge: DesktopBridge = Object.freeze({ desktop: true as const, platform: process.platform });
contextBridge.exposeInMainWorld(DESKTOP_BRIDGE_KEY, bridge);
