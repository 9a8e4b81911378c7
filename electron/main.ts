// The Electron main process: one instance, a tray, the core (core.ts), a settings window on
// demand, notifications, and a Quit that stops everything in the order lifecycle.ts gives.
// Every decision lives in a plain function (tray-menu.ts, lifecycle.ts, navigation.ts); this
// file only wires Electron's events to them.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, clipboard, dialog, shell } from 'electron';
import { appPaths, type AppPaths } from '../src/config/paths.ts';
import { acquireInstanceLock, InstanceLockError, type InstanceLock } from '../src/config/instance-lock.ts';
import { readAdminEndpoint } from '../src/admin/admin-client.ts';
import { appLogger, describeStartError, startCore, type Core } from './core.ts';
import { notificationsFor, onBeforeQuit, onSecondInstance, onWindowAllClosed, quitPlan, runQuitPlan, stepAside, type QuitPhase } from './lifecycle.ts';
import { LoginItem } from './login-item.ts';
import { Notifier } from './notifications.ts';
import { AppTray } from './tray.ts';
import type { TrayAction, TrayState } from './tray-menu.ts';
import { SettingsWindow } from './window.ts';

/** Must equal `appId` in build/electron-builder.yml (Windows ties notifications to it). */
const APP_ID = 'dev.mcp-publish.app';

// The bundle keeps each module's source location (scripts/bundle-electron.mjs), so this file
// sits in <app root>/electron/ both in a checkout and inside app.asar.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ICONS = path.join(ROOT, 'build', 'icons');
const PRELOAD = path.join(ROOT, 'electron', 'dist', 'preload.cjs');

app.setName('MCP Publish');
if (process.platform === 'win32') app.setAppUserModelId(APP_ID);

if (!app.requestSingleInstanceLock()) {
  // Another instance runs: it got 'second-instance' and shows its settings window.
  app.quit();
} else {
  void run();
}

async function run(): Promise<void> {
  const paths = appPaths();
  // One owner per data folder (STYLE 17): Electron's lock above keeps one app per profile; this
  // one keeps one MCP Publish per folder, `mcp-publish serve` included. Taken before the log
  // file, the tray or the core touch the folder.
  let lock: InstanceLock;
  try {
    lock = await acquireInstanceLock(paths.dir, 'desktop');
  } catch (e) {
    await app.whenReady();
    await showStepAside(e, paths);
    app.quit();
    return;
  }
  const rootLogger = appLogger(paths);
  const logger = rootLogger.child({ component: 'desktop' });
  let phase: QuitPhase = 'running';
  let core: Core | undefined;
  let startError: string | undefined;
  let settings: SettingsWindow | undefined;
  let tray: AppTray | undefined;
  let notifier: Notifier | undefined;
  let shown: TrayState | undefined;
  /** "Open settings…" chosen while the core was still starting: open once it is up. */
  let openWhenReady = false;
  /** The core's start; Quit waits for it, so a quit during start-up still stops what started. */
  let starting: Promise<Core | undefined> = Promise.resolve(undefined);

  // Registered before `ready`, so nothing slips past them.
  app.on('window-all-closed', () => { onWindowAllClosed(); });
  app.on('second-instance', () => (settings ? settings.show(onSecondInstance(settings.facts())) : dispatch({ type: 'open-settings' })));
  app.on('activate', () => dispatch({ type: 'open-settings' }));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());
  app.on('before-quit', (event) => {
    const decision = onBeforeQuit(phase);
    if (decision.preventDefault) event.preventDefault();
    if (!decision.startPlan) return;
    phase = 'stopping';
    void (async () => {
      const c = await starting;
      const plan = c ? quitPlan(c.running()) : [];
      const results = c ? await runQuitPlan(plan, c.stop) : [];
      for (const r of results) {
        if (r.outcome === 'done') logger.info({ step: r.name }, 'quit step done');
        else logger.warn({ step: r.name, outcome: r.outcome, err: (r.error as Error | undefined)?.message }, 'quit step did not finish');
      }
      notifier?.closeAll();
      settings?.destroy();
      tray?.destroy();
      phase = 'stopped';
      app.quit();
    })();
  });

  await app.whenReady();
  if (phase !== 'running') return;
  if (process.platform === 'darwin') app.dock?.hide();

  const loginItem = new LoginItem({
    platform: process.platform,
    // In a checkout the login item must name the script too (Windows; macOS ignores path/args).
    getOpenAtLogin: () => app.getLoginItemSettings(devLaunch()).openAtLogin,
    setOpenAtLogin: (on) => app.setLoginItemSettings({ openAtLogin: on, ...devLaunch() }),
    exec: process.env.APPIMAGE ? [process.env.APPIMAGE] : app.isPackaged ? [process.execPath] : [process.execPath, path.resolve(process.argv[1] ?? '.')],
  });

  const trayState = (): TrayState => ({
    ...(core?.state() ?? {
      gateway: startError ? 'stopped' as const : 'starting' as const,
      published: false,
      tunnel: { state: 'offline' as const, reason: 'not started' },
      servers: [],
      pending: [],
      errors: startError ? [startError] : [],
    }),
    startAtLogin: loginItem.enabled,
  });

  const refresh = () => {
    if (phase !== 'running' || !tray) return;
    const next = trayState();
    tray.update(next);
    for (const n of notificationsFor(shown, next)) notifier?.show(n);
    shown = next;
  };

  const fail = (what: string) => (e: unknown) => {
    logger.error({ err: (e as Error).message }, `${what} failed`);
    refresh();
  };

  function dispatch(action: TrayAction): void {
    switch (action.type) {
      case 'publish': return void core?.setPublished(action.on).then(refresh, fail('publish'));
      case 'copy': return clipboard.writeText(action.text);
      case 'approve': case 'deny': return void core?.decide(action.userId, action.type).then(refresh, fail(action.type));
      case 'open-settings':
        if (settings) return settings.show();
        if (startError) return dialog.showErrorBox('MCP Publish could not start', `${startError}\n\nFiles: ${paths.dir}`);
        openWhenReady = true;
        return;
      case 'toggle-login-item':
        loginItem.set(!loginItem.enabled);
        return refresh();
      case 'quit': return app.quit();
    }
  }

  tray = new AppTray(ICONS, dispatch, trayState());
  notifier = new Notifier(dispatch);
  shown = trayState();

  starting = startCore({ paths, logger: rootLogger, lock }).then((c) => {
    core = c;
    settings = new SettingsWindow({
      endpoint: c.admin,
      preload: PRELOAD,
      icon: path.join(ICONS, 'png', '256x256.png'),
      quitPhase: () => phase,
      onvisibility: (visible) => {
        if (process.platform !== 'darwin') return;
        if (visible) void app.dock?.show();
        else app.dock?.hide();
      },
    });
    c.onchange(refresh);
    logger.info({ admin: c.admin.url }, 'MCP Publish is running');
    return c;
  }, (e: unknown) => {
    startError = describeStartError(e);
    logger.error({ err: (e as Error).message }, 'the core did not start');
    return undefined;
  });
  await starting;
  refresh();
  if (openWhenReady) settings?.show();
  if (core?.ownerFirstRun) void showOwnerPassword(core.ownerFirstRun);
}

/** Another process holds the data folder: say which, offer its settings, touch nothing. */
async function showStepAside(e: unknown, paths: AppPaths): Promise<void> {
  if (!(e instanceof InstanceLockError) || e.code !== 'held' || !e.holder) {
    dialog.showErrorBox('MCP Publish could not start', `${describeStartError(e)}\n\nFiles: ${paths.dir}`);
    return;
  }
  const plan = stepAside(e.holder, e.dir, await readAdminEndpoint(paths));
  const { response } = await dialog.showMessageBox({ type: 'info', ...plan.dialog });
  if (plan.open && response === plan.open.openOn) await shell.openExternal(plan.open.url);
}

/** Windows needs the script path for a login item started from a checkout. */
function devLaunch(): { path?: string; args?: string[] } {
  return app.isPackaged ? {} : { path: process.execPath, args: [path.resolve(process.argv[1] ?? '.')] };
}

/** The owner account's password exists only now: show it once, offer to copy it. */
async function showOwnerPassword(owner: { email: string; password: string }): Promise<void> {
  const { response } = await dialog.showMessageBox({
    type: 'info',
    title: 'MCP Publish',
    message: 'Your owner account',
    detail: `Sign in as the owner with\n\nEmail: ${owner.email}\nPassword: ${owner.password}\n\nThis password is shown once. Keep it somewhere safe.`,
    buttons: ['Copy password', 'Done'],
    defaultId: 0,
    cancelId: 1,
  });
  if (response === 0) clipboard.writeText(owner.password);
}
