// The tray, state by state: what the owner sees in the menu, which icon and tooltip the tray
// shows, and what each item does when clicked (electron/tray-menu.ts, no Electron needed).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TOOLTIP_MAX, statusLine, trayIconState, trayMenu, trayTooltip, type MenuItemSpec, type TrayState } from '../../electron/tray-menu.ts';

const GATEWAY = 'http://127.0.0.1:8787';
const PUBLIC = 'https://mcpp-3f9a1c.loca.lt';

function state(over: Partial<TrayState> = {}): TrayState {
  return {
    gateway: 'running',
    published: false,
    tunnel: { state: 'offline', reason: 'not published' },
    servers: [
      { name: 'github', localUrl: `${GATEWAY}/servers/github/mcp` },
      { name: 'demo', title: 'Demo (server-everything)', localUrl: `${GATEWAY}/servers/demo/mcp` },
    ],
    pending: [],
    startAtLogin: false,
    errors: [],
    ...over,
  };
}

function online(over: Partial<TrayState> = {}): TrayState {
  return state({
    published: true,
    tunnel: { state: 'online', url: PUBLIC },
    publicUrl: PUBLIC,
    servers: [
      { name: 'github', localUrl: `${GATEWAY}/servers/github/mcp`, publicUrl: `${PUBLIC}/servers/github/mcp` },
      { name: 'demo', title: 'Demo (server-everything)', localUrl: `${GATEWAY}/servers/demo/mcp`, publicUrl: `${PUBLIC}/servers/demo/mcp` },
    ],
    ...over,
  });
}

/** Every item, submenus flattened, by id. */
function byId(items: MenuItemSpec[]): Map<string, MenuItemSpec> {
  const all = new Map<string, MenuItemSpec>();
  const walk = (list: MenuItemSpec[]) => {
    for (const item of list) {
      assert.ok(!all.has(item.id), `ids are unique: ${item.id}`);
      all.set(item.id, item);
      if (item.type === 'submenu') walk(item.submenu);
    }
  };
  walk(items);
  return all;
}

function item(s: TrayState, id: string): MenuItemSpec {
  const found = byId(trayMenu(s)).get(id);
  assert.ok(found, `the menu has "${id}"`);
  return found;
}

function label(s: TrayState, id: string): string {
  const it = item(s, id);
  assert.ok(it.type !== 'separator');
  return it.label;
}

function publishToggle(s: TrayState) {
  const it = item(s, 'publish');
  assert.equal(it.type, 'checkbox');
  return it as Extract<MenuItemSpec, { type: 'checkbox' }>;
}

describe('tray menu', () => {
  it('always reads: status, Publish, servers, Open settings…, Start at login, Quit — in that order', () => {
    const ids = trayMenu(state()).filter((i) => i.type !== 'separator').map((i) => i.id);
    assert.deepEqual(ids, ['status', 'publish', 'servers', 'server:github', 'server:demo', 'open-settings', 'login-item', 'quit']);
    assert.deepEqual(item(state(), 'open-settings'), { type: 'normal', id: 'open-settings', label: 'Open settings…', enabled: true, action: { type: 'open-settings' } });
    assert.deepEqual(item(state(), 'quit'), { type: 'normal', id: 'quit', label: 'Quit MCP Publish', enabled: true, action: { type: 'quit' } });
    const status = item(state(), 'status');
    assert.ok(status.type === 'normal' && !status.enabled && !status.action, 'the status line is text');
  });

  it('while the core starts: "Starting…", Publish disabled, the connecting icon', () => {
    const s = state({ gateway: 'starting', servers: [] });
    assert.equal(label(s, 'status'), 'Starting…');
    assert.equal(publishToggle(s).enabled, false);
    assert.equal(trayIconState(s), 'connecting');
  });

  it('stopped (the core could not start): the error is shown, Publish disabled, the error icon', () => {
    const s = state({ gateway: 'stopped', servers: [], errors: ['The config file cannot be used, so nothing was started:\n  mcpServers.x.command: Required'] });
    assert.equal(label(s, 'status'), 'Stopped');
    assert.equal(label(s, 'error:0'), '⚠ The config file cannot be used, so nothing was started: mcpServers.x.command: Required');
    assert.equal(publishToggle(s).enabled, false);
    assert.equal(trayIconState(s), 'error');
    assert.match(trayTooltip(s), /Stopped · 1 problem$/);
    // Stopped with no error (after Quit began) is still shown as a problem.
    assert.equal(trayIconState(state({ gateway: 'stopped' })), 'error');
  });

  it('running, not published: Publish unchecked and clickable to publish; each server offers its local URL', () => {
    const s = state();
    assert.equal(label(s, 'status'), 'Not published: servers are reachable from this computer only');
    assert.deepEqual({ ...publishToggle(s) }, { type: 'checkbox', id: 'publish', label: 'Publish', checked: false, enabled: true, action: { type: 'publish', on: true } });
    assert.equal(label(s, 'server:github'), 'github');
    assert.equal(label(s, 'server:demo'), 'Demo (server-everything) (demo)');
    assert.equal(label(s, 'server:github:local-url'), `${GATEWAY}/servers/github/mcp`);
    assert.deepEqual(item(s, 'server:github:copy-local'), {
      type: 'normal', id: 'server:github:copy-local', label: 'Copy local URL', enabled: true, action: { type: 'copy', text: `${GATEWAY}/servers/github/mcp` },
    });
    assert.equal(label(s, 'server:github:hint'), 'Publish to get a URL for remote clients');
    assert.equal(byId(trayMenu(s)).has('server:github:copy'), false, 'no public URL to copy');
    assert.equal(trayIconState(s), 'unpublished');
    assert.equal(trayTooltip(s), 'MCP Publish: Not published: servers are reachable from this computer only · 2 servers');
  });

  it('connecting: Publish checked and still enabled (to cancel), servers wait for the public URL', () => {
    const s = state({ published: true, tunnel: { state: 'connecting' } });
    assert.equal(label(s, 'status'), 'Connecting to the public URL…');
    const toggle = publishToggle(s);
    assert.equal(toggle.checked, true);
    assert.equal(toggle.enabled, true);
    assert.deepEqual(toggle.action, { type: 'publish', on: false });
    assert.equal(label(s, 'server:github:hint'), 'The public URL appears once connected');
    assert.equal(trayIconState(s), 'connecting');
  });

  it('online: "Published at <host>", each server has its public URL with Copy URL, and no local URL', () => {
    const s = online();
    assert.equal(label(s, 'status'), 'Published at mcpp-3f9a1c.loca.lt');
    assert.equal(publishToggle(s).checked, true);
    assert.equal(label(s, 'server:github:public-url'), `${PUBLIC}/servers/github/mcp`);
    assert.deepEqual(item(s, 'server:github:copy'), {
      type: 'normal', id: 'server:github:copy', label: 'Copy URL', enabled: true, action: { type: 'copy', text: `${PUBLIC}/servers/github/mcp` },
    });
    assert.deepEqual(item(s, 'server:demo:copy'), {
      type: 'normal', id: 'server:demo:copy', label: 'Copy URL', enabled: true, action: { type: 'copy', text: `${PUBLIC}/servers/demo/mcp` },
    });
    assert.equal(byId(trayMenu(s)).has('server:github:copy-local'), false);
    assert.equal(trayIconState(s), 'published');
    assert.equal(trayTooltip(s), 'MCP Publish: Published at mcpp-3f9a1c.loca.lt · 2 servers');
  });

  it('online through localtunnel: the tunnel password can be copied (visitors type it once)', () => {
    const s = online({ tunnel: { state: 'online', url: PUBLIC, password: '203.0.113.7' } });
    assert.deepEqual(item(s, 'tunnel-password'), {
      type: 'normal', id: 'tunnel-password', label: 'Copy tunnel password (203.0.113.7)', enabled: true, action: { type: 'copy', text: '203.0.113.7' },
    });
    assert.equal(byId(trayMenu(online())).has('tunnel-password'), false);
  });

  it('reconnecting: the attempt and reason, URLs still copyable, the connecting icon', () => {
    const s = online({ tunnel: { state: 'reconnecting', reason: 'self-check got 503', attempt: 3 } });
    assert.equal(label(s, 'status'), 'Reconnecting (attempt 3): self-check got 503');
    assert.ok(byId(trayMenu(s)).has('server:github:copy'), 'the URL stays the same: still worth copying');
    assert.equal(trayIconState(s), 'connecting');
  });

  it('offline while published: the reason in the status line and the error icon', () => {
    const s = online({ tunnel: { state: 'offline', reason: 'the tunnel server refused the subdomain' }, publicUrl: undefined, servers: state().servers });
    assert.equal(label(s, 'status'), 'Offline: the tunnel server refused the subdomain');
    assert.equal(trayIconState(s), 'error');
  });

  it('a failed publish: back to unpublished, the error shown, the error icon', () => {
    const s = state({ tunnel: { state: 'offline', reason: 'getaddrinfo ENOTFOUND localtunnel.me' }, errors: ['Publishing failed: getaddrinfo ENOTFOUND localtunnel.me'] });
    assert.equal(label(s, 'status'), 'Not published: servers are reachable from this computer only');
    assert.equal(label(s, 'error:0'), '⚠ Publishing failed: getaddrinfo ENOTFOUND localtunnel.me');
    assert.equal(publishToggle(s).checked, false);
    assert.equal(trayIconState(s), 'error');
  });

  it('issuer changed: a warning that connectors must be re-added, opening the settings', () => {
    const s = online({ issuerChanged: { from: 'https://old-name.loca.lt', to: PUBLIC } });
    assert.deepEqual(item(s, 'issuer-changed'), {
      type: 'normal', id: 'issuer-changed', label: '⚠ The public URL changed: add your connectors again with the new URL…', enabled: true, action: { type: 'open-settings' },
    });
    assert.equal(trayIconState(s), 'published', 'a warning, not an outage');
    assert.equal(byId(trayMenu(online())).has('issuer-changed'), false);
  });

  it('pending sign-ins: a header with the count and, per person, Approve and Deny', () => {
    const s = online({ pending: [{ id: 'u_ana', email: 'ana@example.com', name: 'Ana' }, { id: 'u_bo', email: 'bo@example.com' }, { id: 'u_x' }] });
    assert.equal(label(s, 'pending'), 'Waiting for your approval (3)');
    assert.equal(label(s, 'pending:u_ana'), 'Ana <ana@example.com>');
    assert.equal(label(s, 'pending:u_bo'), 'bo@example.com');
    assert.equal(label(s, 'pending:u_x'), 'u_x', 'no email or name: the id');
    assert.deepEqual(item(s, 'pending:u_bo:approve'), { type: 'normal', id: 'pending:u_bo:approve', label: 'Approve', enabled: true, action: { type: 'approve', userId: 'u_bo' } });
    assert.deepEqual(item(s, 'pending:u_bo:deny'), { type: 'normal', id: 'pending:u_bo:deny', label: 'Deny', enabled: true, action: { type: 'deny', userId: 'u_bo' } });
    const ids = trayMenu(s).map((i) => i.id);
    assert.ok(ids.indexOf('pending') > ids.indexOf('server:demo') && ids.indexOf('pending') < ids.indexOf('open-settings'), 'between the servers and the app items');
    assert.match(trayTooltip(s), /· 3 waiting for approval$/);
    assert.equal(byId(trayMenu(online())).has('pending'), false, 'no header when nobody waits');
  });

  it('Start at login: a checkbox that reflects the setting and toggles it', () => {
    for (const on of [true, false]) {
      const it = item(state({ startAtLogin: on }), 'login-item');
      assert.deepEqual(it, { type: 'checkbox', id: 'login-item', label: 'Start at login', checked: on, enabled: true, action: { type: 'toggle-login-item' } });
    }
  });

  it('no servers: one item that leads to the settings instead of an empty list', () => {
    const s = state({ servers: [] });
    assert.deepEqual(item(s, 'no-servers'), { type: 'normal', id: 'no-servers', label: 'No servers yet: add one in Settings…', enabled: true, action: { type: 'open-settings' } });
    assert.equal(byId(trayMenu(s)).has('servers'), false);
    assert.match(trayTooltip(s), /· 0 servers$/);
  });

  it('long texts stay one line: reasons are cut in the menu, the tooltip fits Windows\' 127 characters', () => {
    const reason = `upstream said: ${'x'.repeat(300)}\n  at line 2`;
    const s = online({ tunnel: { state: 'reconnecting', reason, attempt: 12 }, pending: [{ id: 'u1' }], errors: ['e'] });
    assert.ok(statusLine(s).length <= 130 && !statusLine(s).includes('\n'));
    assert.ok(trayTooltip(s).length <= TOOLTIP_MAX);
    assert.ok(trayTooltip(s).endsWith('…'));
  });

  it('a server that cannot start says so on its item, with the reason and a way to the settings; a working one stays plain', () => {
    const reason = 'command not found: "mcp-server-nope" is not on PATH on this computer (searched PATH). Install it, or give its full path';
    const s = state({
      servers: [
        { name: 'github', localUrl: `${GATEWAY}/servers/github/mcp`, health: { state: 'cannot-start', reason } },
        { name: 'demo', title: 'Demo (server-everything)', localUrl: `${GATEWAY}/servers/demo/mcp`, health: { state: 'ready' } },
        { name: 'flaky', localUrl: `${GATEWAY}/servers/flaky/mcp`, health: { state: 'crash-looping', reason: 'it exited with status 1 before it was ready', crashes: 4 } },
      ],
    });
    assert.equal(label(s, 'server:github'), "github — ⚠ can't start");
    assert.equal(label(s, 'server:demo'), 'Demo (server-everything) (demo)');
    assert.equal(label(s, 'server:flaky'), 'flaky — ⚠ crash-looping');
    assert.match(label(s, 'server:github:problem'), /^command not found: "mcp-server-nope"/);
    assert.equal(label(s, 'server:flaky:problem'), 'Failed 4 times in a row: it exited with status 1 before it was ready');
    assert.deepEqual(item(s, 'server:github:fix'), { type: 'normal', id: 'server:github:fix', label: 'Open settings to fix it…', enabled: true, action: { type: 'open-settings' } });
    assert.equal(byId(trayMenu(s)).has('server:demo:problem'), false);
    assert.match(trayTooltip(s), /· 2 can't start$/);
  });

  it('separators group the menu and never come twice in a row', () => {
    for (const s of [state(), online({ pending: [{ id: 'u1' }] }), state({ servers: [] }), state({ gateway: 'starting', servers: [] })]) {
      const types = trayMenu(s).map((i) => i.type);
      assert.notEqual(types[0], 'separator');
      assert.notEqual(types.at(-1), 'separator');
      types.forEach((t, i) => assert.ok(!(t === 'separator' && types[i + 1] === 'separator')));
    }
  });
});
