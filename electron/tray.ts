// The tray icon: one image per state, the tooltip and the context menu, all redrawn from
// trayMenu() / trayIconState() / trayTooltip() on every change. Clicks become TrayActions for
// main.ts to carry out.
import path from 'node:path';
import { Menu, Tray, nativeImage, type MenuItemConstructorOptions, type NativeImage } from 'electron';
import { trayIconState, trayMenu, trayTooltip, type MenuItemSpec, type TrayAction, type TrayIconState, type TrayState } from './tray-menu.ts';

/**
 * The icon file for a state (build/make-icons.mjs draws them). macOS: monochrome "Template"
 * images the menu bar tints; Windows: 16 px; Linux: 32 px, scaled by the panel. Each has an @2x
 * sibling that nativeImage picks up on high-density screens.
 */
export function trayIconFile(iconDir: string, platform: NodeJS.Platform, state: TrayIconState): string {
  if (platform === 'darwin') return path.join(iconDir, 'tray', 'mac', `${state}Template.png`);
  return path.join(iconDir, 'tray', `${state}-${platform === 'win32' ? 16 : 32}.png`);
}

/** Electron's menu template for a MenuItemSpec list; clicks call `dispatch`. */
export function toElectronTemplate(items: MenuItemSpec[], dispatch: (action: TrayAction) => void): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    switch (item.type) {
      case 'separator': return { type: 'separator', id: item.id };
      case 'submenu': return { type: 'submenu', id: item.id, label: item.label, enabled: item.enabled, submenu: toElectronTemplate(item.submenu, dispatch) };
      case 'checkbox': return { type: 'checkbox', id: item.id, label: item.label, enabled: item.enabled, checked: item.checked, click: () => dispatch(item.action) };
      case 'normal': {
        const action = item.action;
        return { type: 'normal', id: item.id, label: item.label, enabled: item.enabled, ...(action ? { click: () => dispatch(action) } : {}) };
      }
    }
  });
}

export class AppTray {
  readonly #tray: Tray;
  readonly #images = new Map<TrayIconState, NativeImage>();
  #icon?: TrayIconState;

  constructor(private readonly iconDir: string, private readonly dispatch: (action: TrayAction) => void, initial: TrayState) {
    this.#tray = new Tray(this.image(trayIconState(initial)));
    // Windows: a left click opens the settings (a right click shows the menu by itself).
    if (process.platform === 'win32') this.#tray.on('click', () => dispatch({ type: 'open-settings' }));
    this.update(initial);
  }

  private image(state: TrayIconState): NativeImage {
    let image = this.#images.get(state);
    if (!image) {
      image = nativeImage.createFromPath(trayIconFile(this.iconDir, process.platform, state));
      if (process.platform === 'darwin') image.setTemplateImage(true);
      this.#images.set(state, image);
    }
    return image;
  }

  /** Redraws everything. On Linux the menu must be set again after any change to show it. */
  update(state: TrayState): void {
    const icon = trayIconState(state);
    if (icon !== this.#icon) {
      this.#tray.setImage(this.image(icon));
      this.#icon = icon;
    }
    this.#tray.setToolTip(trayTooltip(state));
    this.#tray.setContextMenu(Menu.buildFromTemplate(toElectronTemplate(trayMenu(state), this.dispatch)));
  }

  destroy(): void {
    this.#tray.destroy();
  }
}
