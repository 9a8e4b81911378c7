// A stand-in for the parts of Electron's main-process API the shell uses, for running the
// bundled main process under plain Node where the Electron binary cannot be downloaded. It
// reports what the app does as `@@electron <json>` lines on stdout and takes commands on stdin:
// `click <menu item id>`, `quit`, `second-instance`, `close-window`. A message box is answered
// with button ELECTRON_STAND_IN_RESPONSE (default 1).
import { EventEmitter } from 'node:events';
import readline from 'node:readline';

function report(type, data = {}) {
  process.stdout.write(`@@electron ${JSON.stringify({ type, ...data })}\n`);
}

class Emitter extends EventEmitter {}

// ---- app ------------------------------------------------------------------------------------

const appEvents = new Emitter();
let loginItem = false;
export const app = {
  isPackaged: false,
  dock: undefined,
  setName: (name) => report('app.setName', { name }),
  setAppUserModelId: () => {},
  requestSingleInstanceLock: () => true,
  on: (event, listener) => { appEvents.on(event, listener); return app; },
  whenReady: () => Promise.resolve(),
  getLoginItemSettings: () => ({ openAtLogin: loginItem }),
  setLoginItemSettings: (s) => { loginItem = s.openAtLogin; },
  quit: () => {
    let prevented = false;
    appEvents.emit('before-quit', { preventDefault: () => { prevented = true; } });
    report('app.quit', { prevented });
    if (!prevented) setImmediate(() => process.exit(0));
  },
  exit: (code = 0) => process.exit(code),
};

// ---- tray and menus -------------------------------------------------------------------------

/** Click handlers of the current tray menu by item id. */
let clicks = new Map();
function plain(template) {
  return template.map(({ click, submenu, ...rest }) => ({ ...rest, ...(submenu ? { submenu: plain(submenu) } : {}) }));
}
function collect(template) {
  for (const item of template) {
    if (item.click) clicks.set(item.id, item.click);
    if (item.submenu) collect(item.submenu);
  }
}
export const Menu = { buildFromTemplate: (template) => ({ template }) };
export const nativeImage = { createFromPath: (path) => ({ path, setTemplateImage: () => {} }) };
export class Tray extends Emitter {
  constructor(image) { super(); report('tray.new', { icon: image.path }); }
  setImage(image) { report('tray.icon', { icon: image.path }); }
  setToolTip(tooltip) { report('tray.tooltip', { tooltip }); }
  setContextMenu(menu) {
    clicks = new Map();
    collect(menu.template);
    report('tray.menu', { menu: plain(menu.template) });
  }
  destroy() { report('tray.destroy'); }
}

// ---- windows --------------------------------------------------------------------------------

let lastWindow;
export const session = { fromPartition: (partition) => ({ partition, setPermissionRequestHandler: () => {}, setPermissionCheckHandler: () => {} }) };
export class BrowserWindow extends Emitter {
  #visible = false;
  #destroyed = false;
  constructor(options) {
    super();
    lastWindow = this;
    this.webContents = Object.assign(new Emitter(), { setWindowOpenHandler: () => {} });
    report('window.new', { options });
  }
  loadURL(url) { report('window.load', { url }); return Promise.resolve(); }
  show() { this.#visible = true; report('window.show'); this.emit('show'); }
  hide() { this.#visible = false; report('window.hide'); this.emit('hide'); }
  focus() { report('window.focus'); }
  restore() {}
  isVisible() { return this.#visible; }
  isMinimized() { return false; }
  isDestroyed() { return this.#destroyed; }
  destroy() { this.#destroyed = true; report('window.destroy'); this.emit('closed'); }
  close() {
    let prevented = false;
    this.emit('close', { preventDefault: () => { prevented = true; } });
    if (!prevented) this.destroy();
  }
}

// ---- the rest -------------------------------------------------------------------------------

export const clipboard = { writeText: (text) => report('clipboard', { text }) };
export const shell = { openExternal: (url) => { report('shell.openExternal', { url }); return Promise.resolve(); } };
export const dialog = {
  showMessageBox: (options) => {
    report('dialog', { message: options.message, detail: options.detail, buttons: options.buttons });
    return Promise.resolve({ response: Number(process.env.ELECTRON_STAND_IN_RESPONSE ?? 1) });
  },
  showErrorBox: (title, content) => report('dialog.error', { title, content }),
};
export class Notification extends Emitter {
  static isSupported() { return true; }
  constructor(options) { super(); this.options = options; }
  show() { report('notification', { title: this.options.title, body: this.options.body }); }
  close() {}
}

const commands = readline.createInterface({ input: process.stdin });
commands.on('line', (line) => {
  const [command, arg] = line.trim().split(/\s+/, 2);
  if (command === 'click') {
    const click = clicks.get(arg);
    if (!click) return report('error', { message: `no clickable item "${arg}"` });
    click();
  } else if (command === 'quit') app.quit();
  else if (command === 'second-instance') appEvents.emit('second-instance', {}, [], '');
  else if (command === 'close-window') lastWindow?.close();
});
// stdin must not keep the process alive on its own: the app decides when it ends.
process.stdin.unref?.();

export default { app, Menu, Tray, nativeImage, BrowserWindow, session, clipboard, shell, dialog, Notification };
