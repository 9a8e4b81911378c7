// What the tray shows, as a plain function of state (STYLE 7): the menu, the icon and the tooltip.
// No electron import: tray.ts turns MenuItemSpec into Electron's template and dispatches the
// actions; the tests call trayMenu() directly for every state.

/** The tunnel as the tray sees it (mirrors the core's TunnelStatus). */
export type TrayTunnel =
  | { state: 'offline'; reason: string }
  | { state: 'connecting' }
  | { state: 'online'; url: string; password?: string }
  | { state: 'reconnecting'; reason: string; attempt: number };

/** Everything the tray menu, icon, tooltip and notifications are drawn from. */
export interface TrayState {
  /** The gateway: `starting` until the core is up, `stopped` when it could not start or has stopped. */
  gateway: 'starting' | 'running' | 'stopped';
  /** True while the owner wants the servers published (the tunnel may still be connecting). */
  published: boolean;
  tunnel: TrayTunnel;
  /** The URL people use, when there is one (no trailing slash). */
  publicUrl?: string;
  /** The public URL differs from the one clients signed in with before: they must be re-added. */
  issuerChanged?: { from: string; to: string };
  /** Enabled servers, in config order. */
  servers: TrayServer[];
  /** People who signed in and wait for the owner's decision. */
  pending: TrayPendingUser[];
  startAtLogin: boolean;
  /** Problems the owner should see (start-up or publish failures), newest last. */
  errors: string[];
}

export interface TrayServer {
  name: string;
  /** The config's `title`, when it has one. */
  title?: string;
  /** The MCP URL on this computer. */
  localUrl: string;
  /** The MCP URL through the public URL, when there is one. */
  publicUrl?: string;
  /** Whether it can start (the admin API's ServerHealthView); absent: not known yet. */
  health?: TrayServerHealth;
}

/** A server's health as the tray shows it. */
export interface TrayServerHealth {
  state: 'ready' | 'idle' | 'checking' | 'starting' | 'cannot-start' | 'crash-looping' | 'disabled';
  /** Why it cannot start. */
  reason?: string;
  /** Failed starts in a row (crash-looping). */
  crashes?: number;
}

export interface TrayPendingUser {
  id: string;
  email?: string;
  name?: string;
}

/** What clicking an item asks the shell to do. */
export type TrayAction =
  | { type: 'publish'; on: boolean }
  | { type: 'copy'; text: string }
  | { type: 'approve'; userId: string }
  | { type: 'deny'; userId: string }
  | { type: 'open-settings' }
  | { type: 'toggle-login-item' }
  | { type: 'quit' };

interface ItemBase {
  /** Stable within one menu: `status`, `publish`, `server:<name>`, `pending:<id>:approve`… */
  id: string;
  label: string;
  enabled: boolean;
}

/** One menu entry; the shape follows Electron's MenuItemConstructorOptions closely. */
export type MenuItemSpec =
  | { type: 'separator'; id: string }
  /** Without `action` the item is a line of text (disabled). */
  | (ItemBase & { type: 'normal'; action?: TrayAction })
  | (ItemBase & { type: 'checkbox'; checked: boolean; action: TrayAction })
  | (ItemBase & { type: 'submenu'; submenu: MenuItemSpec[] });

export type TrayIconState = 'unpublished' | 'connecting' | 'published' | 'error';

export function trayMenu(state: TrayState): MenuItemSpec[] {
  const items: MenuItemSpec[] = [text('status', statusLine(state))];
  if (state.tunnel.state === 'online' && state.tunnel.password) {
    // DESIGN §8: localtunnel asks a visitor's browser once for this password (the owner's public IP).
    items.push(action('tunnel-password', `Copy tunnel password (${state.tunnel.password})`, { type: 'copy', text: state.tunnel.password }));
  }
  if (state.issuerChanged) {
    items.push(action('issuer-changed', `⚠ The public URL changed: add your connectors again with the new URL…`, { type: 'open-settings' }));
  }
  state.errors.forEach((e, i) => items.push(text(`error:${i}`, `⚠ ${oneLine(e)}`)));

  items.push(separator('sep-publish'), {
    type: 'checkbox', id: 'publish', label: 'Publish', checked: state.published,
    // Enabled while connecting, so a tunnel that never comes up can be cancelled.
    enabled: state.gateway === 'running',
    action: { type: 'publish', on: !state.published },
  });

  items.push(separator('sep-servers'));
  if (state.servers.length === 0) {
    items.push(action('no-servers', 'No servers yet: add one in Settings…', { type: 'open-settings' }));
  } else {
    items.push(text('servers', state.gateway === 'running' ? 'Servers' : 'Servers (not running)'));
    const hint = state.published ? 'The public URL appears once connected' : 'Publish to get a URL for remote clients';
    for (const server of state.servers) items.push(serverItem(server, state.gateway === 'running', hint));
  }

  if (state.pending.length > 0) {
    items.push(separator('sep-pending'), text('pending', `Waiting for your approval (${state.pending.length})`));
    for (const user of state.pending) {
      items.push({
        type: 'submenu', id: `pending:${user.id}`, label: personLabel(user), enabled: true,
        submenu: [
          action(`pending:${user.id}:approve`, 'Approve', { type: 'approve', userId: user.id }),
          action(`pending:${user.id}:deny`, 'Deny', { type: 'deny', userId: user.id }),
        ],
      });
    }
  }

  items.push(
    separator('sep-app'),
    action('open-settings', 'Open settings…', { type: 'open-settings' }),
    { type: 'checkbox', id: 'login-item', label: 'Start at login', checked: state.startAtLogin, enabled: true, action: { type: 'toggle-login-item' } },
    separator('sep-quit'),
    action('quit', 'Quit MCP Publish', { type: 'quit' }),
  );
  return items;
}

/** Words after a server's name in the menu, for states the owner should notice. */
const HEALTH_WORDS: Partial<Record<TrayServerHealth['state'], string>> = {
  'cannot-start': "⚠ can't start", 'crash-looping': '⚠ crash-looping', starting: 'starting…', checking: 'checking…',
};

function serverItem(server: TrayServer, running: boolean, hint: string): MenuItemSpec {
  const name = server.title ? `${server.title} (${server.name})` : server.name;
  const words = server.health && HEALTH_WORDS[server.health.state];
  const label = words ? `${name} — ${words}` : name;
  const broken = server.health?.state === 'cannot-start' || server.health?.state === 'crash-looping';
  const problem: MenuItemSpec[] = broken
    ? [
      text(`server:${server.name}:problem`, oneLine(server.health!.state === 'crash-looping'
        ? `Failed ${server.health!.crashes ?? 'several'} times in a row: ${server.health!.reason ?? 'it stops as it starts'}`
        : server.health!.reason ?? 'It stops before it is ready')),
      action(`server:${server.name}:fix`, 'Open settings to fix it…', { type: 'open-settings' }),
      separator(`server:${server.name}:sep`),
    ]
    : [];
  const submenu: MenuItemSpec[] = [...problem, ...(server.publicUrl
    ? [
      text(`server:${server.name}:public-url`, server.publicUrl),
      action(`server:${server.name}:copy`, 'Copy URL', { type: 'copy', text: server.publicUrl }, running),
    ]
    : [
      text(`server:${server.name}:local-url`, server.localUrl),
      action(`server:${server.name}:copy-local`, 'Copy local URL', { type: 'copy', text: server.localUrl }, running),
      text(`server:${server.name}:hint`, hint),
    ])];
  return { type: 'submenu', id: `server:${server.name}`, label, enabled: true, submenu };
}

/** The first line of the menu: where things stand, in words. */
export function statusLine(state: TrayState): string {
  if (state.gateway === 'starting') return 'Starting…';
  if (state.gateway === 'stopped') return 'Stopped';
  if (!state.published) return 'Not published: servers are reachable from this computer only';
  const t = state.tunnel;
  switch (t.state) {
    case 'connecting': return 'Connecting to the public URL…';
    case 'online': return `Published at ${hostOf(t.url)}`;
    case 'reconnecting': return `Reconnecting (attempt ${t.attempt}): ${oneLine(t.reason)}`;
    case 'offline': return `Offline: ${oneLine(t.reason)}`;
  }
}

export function trayIconState(state: TrayState): TrayIconState {
  if (state.errors.length > 0 || state.gateway === 'stopped') return 'error';
  if (state.gateway === 'starting') return 'connecting';
  if (!state.published) return 'unpublished';
  switch (state.tunnel.state) {
    case 'online': return 'published';
    case 'connecting': case 'reconnecting': return 'connecting';
    case 'offline': return 'error';
  }
}

/** Windows cuts tray tooltips at 127 characters. */
export const TOOLTIP_MAX = 127;

export function trayTooltip(state: TrayState): string {
  const parts = [`MCP Publish: ${statusLine(state)}`];
  if (state.gateway === 'running') parts.push(`${state.servers.length} server${state.servers.length === 1 ? '' : 's'}`);
  const broken = state.servers.filter((s) => s.health?.state === 'cannot-start' || s.health?.state === 'crash-looping').length;
  if (broken) parts.push(`${broken} can't start`);
  if (state.pending.length) parts.push(`${state.pending.length} waiting for approval`);
  if (state.errors.length) parts.push(`${state.errors.length} problem${state.errors.length === 1 ? '' : 's'}`);
  const tip = parts.join(' · ');
  return tip.length > TOOLTIP_MAX ? `${tip.slice(0, TOOLTIP_MAX - 1)}…` : tip;
}

function personLabel(user: TrayPendingUser): string {
  if (user.email && user.name) return `${user.name} <${user.email}>`;
  return user.email ?? user.name ?? user.id;
}

function hostOf(url: string): string {
  try { return new URL(url).host; } catch { return url; }
}

function oneLine(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}

function text(id: string, label: string): MenuItemSpec {
  return { type: 'normal', id, label, enabled: false };
}

function action(id: string, label: string, what: TrayAction, enabled = true): MenuItemSpec {
  return { type: 'normal', id, label, enabled, action: what };
}

function separator(id: string): MenuItemSpec {
  return { type: 'separator', id };
}
