// The desktop app's life cycle as plain decisions (electron/lifecycle.ts, navigation.ts,
// login-item.ts): a second launch, closing the window, Quit and the order it stops things in,
// which changes notify the owner, where the settings window may go, and "Start at login" on Linux.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  notificationsFor, onBeforeQuit, onSecondInstance, onWindowAllClosed, onWindowClose, quitPlan, runQuitPlan, showSettingsSteps, stepAside,
  type QuitStepName,
} from '../../electron/lifecycle.ts';
import { navigationFor, settingsUrl } from '../../electron/navigation.ts';
import { AUTOSTART_FILE, LoginItem, autostartEntry } from '../../electron/login-item.ts';
import type { TrayState } from '../../electron/tray-menu.ts';

const PUBLIC = 'https://mcpp-3f9a1c.loca.lt';

function state(over: Partial<TrayState> = {}): TrayState {
  return {
    gateway: 'running', published: true, tunnel: { state: 'online', url: PUBLIC }, publicUrl: PUBLIC,
    servers: [], pending: [], startAtLogin: false, errors: [], ...over,
  };
}

describe('second launch and the settings window', () => {
  it('a second launch brings the settings window forward: created if never opened, restored if minimized', () => {
    assert.deepEqual(onSecondInstance({ exists: false, visible: false, minimized: false }), ['create', 'show', 'focus']);
    assert.deepEqual(onSecondInstance({ exists: true, visible: false, minimized: false }), ['show', 'focus']);
    assert.deepEqual(onSecondInstance({ exists: true, visible: true, minimized: true }), ['restore', 'show', 'focus']);
    assert.deepEqual(onSecondInstance({ exists: true, visible: true, minimized: false }), showSettingsSteps({ exists: true, visible: true, minimized: false }));
  });

  it('closing the window hides it and the app stays in the tray; only Quit really closes it', () => {
    assert.equal(onWindowClose('running'), 'hide');
    assert.equal(onWindowClose('stopping'), 'close');
    assert.equal(onWindowClose('stopped'), 'close');
    assert.equal(onWindowAllClosed(), 'stay');
  });
});

describe('Quit', () => {
  it('the first Quit is held while the stop plan runs, repeats are held too, then the app quits', () => {
    assert.deepEqual(onBeforeQuit('running'), { preventDefault: true, startPlan: true });
    assert.deepEqual(onBeforeQuit('stopping'), { preventDefault: true, startPlan: false });
    assert.deepEqual(onBeforeQuit('stopped'), { preventDefault: false, startPlan: false });
  });

  it('stops the tunnel first, then the admin API, then the gateway and every child, and flushes the state last', () => {
    const plan = quitPlan({ tunnel: true, adminServer: true, publisher: true, state: true });
    assert.deepEqual(plan.map((s) => s.name), ['close-tunnel', 'stop-admin-server', 'stop-publisher', 'close-state']);
    for (const step of plan) {
      assert.ok(step.why.length > 10);
      assert.ok(step.timeoutMs > 0 && step.timeoutMs <= 10_000);
    }
  });

  it('leaves out what is not running', () => {
    assert.deepEqual(quitPlan({ tunnel: false, adminServer: true, publisher: true, state: true }).map((s) => s.name), ['stop-admin-server', 'stop-publisher', 'close-state']);
    assert.deepEqual(quitPlan({ tunnel: false, adminServer: false, publisher: false, state: true }).map((s) => s.name), ['close-state']);
    assert.deepEqual(quitPlan({ tunnel: false, adminServer: false, publisher: false, state: false }), []);
  });

  it('runs the steps one after another; a failing or hanging step is reported and the rest still run', async () => {
    const ran: string[] = [];
    const plan = quitPlan({ tunnel: true, adminServer: true, publisher: true, state: true }).map((s) => (s.name === 'stop-publisher' ? { ...s, timeoutMs: 50 } : s));
    const run: Record<QuitStepName, () => Promise<void>> = {
      'close-tunnel': async () => { ran.push('close-tunnel:start'); await new Promise((r) => setTimeout(r, 20)); ran.push('close-tunnel:end'); },
      'stop-admin-server': async () => { ran.push('stop-admin-server'); throw new Error('already closed'); },
      'stop-publisher': () => { ran.push('stop-publisher'); return new Promise<void>(() => {}); },
      'close-state': async () => { ran.push('close-state'); },
    };
    const results = await runQuitPlan(plan, run);
    assert.deepEqual(ran, ['close-tunnel:start', 'close-tunnel:end', 'stop-admin-server', 'stop-publisher', 'close-state']);
    assert.deepEqual(results.map((r) => [r.name, r.outcome]), [
      ['close-tunnel', 'done'], ['stop-admin-server', 'failed'], ['stop-publisher', 'timed-out'], ['close-state', 'done'],
    ]);
    assert.equal((results[1]!.error as Error).message, 'already closed');
  });
});

describe('notificationsFor', () => {
  it('a person who starts waiting for approval: one notification with Approve and Deny', () => {
    const next = state({ pending: [{ id: 'u_ana', email: 'ana@example.com' }] });
    assert.deepEqual(notificationsFor(state(), next), [{
      id: 'pending:u_ana', title: 'Sign-in request', body: 'ana@example.com signed in and waits for your approval.',
      click: { type: 'open-settings' },
      actions: [{ label: 'Approve', action: { type: 'approve', userId: 'u_ana' } }, { label: 'Deny', action: { type: 'deny', userId: 'u_ana' } }],
    }]);
    assert.deepEqual(notificationsFor(next, next), [], 'nobody new: nothing');
    assert.deepEqual(notificationsFor(next, state()), [], 'someone decided: nothing');
    assert.match(notificationsFor(state(), state({ pending: [{ id: 'u_x', name: 'Xi' }] }))[0]!.body, /^Xi signed in/);
  });

  it('several new people at once (e.g. waiting since before the app started): one summary', () => {
    const next = state({ pending: [{ id: 'a' }, { id: 'b', email: 'b@example.com' }] });
    assert.deepEqual(notificationsFor(undefined, next), [{
      id: 'pending:many', title: 'Sign-in requests', body: '2 people signed in and wait for your approval.', click: { type: 'open-settings' },
    }]);
  });

  it('a public URL that was online and drops: reconnecting or offline, with the reason', () => {
    const reconnecting = notificationsFor(state(), state({ tunnel: { state: 'reconnecting', reason: 'socket hang up', attempt: 1 } }));
    assert.deepEqual(reconnecting.map((n) => [n.id, n.title]), [['tunnel-down', 'Public URL dropped']]);
    assert.match(reconnecting[0]!.body, /socket hang up/);
    const offline = notificationsFor(state(), state({ tunnel: { state: 'offline', reason: 'the tunnel server is gone' } }));
    assert.deepEqual(offline.map((n) => [n.id, n.title]), [['tunnel-down', 'Public URL is offline']]);
    assert.match(offline[0]!.body, /^the tunnel server is gone\./);
  });

  it('no notification for tunnel changes the owner expects or already knows about', () => {
    const unpublished = state({ published: false, tunnel: { state: 'offline', reason: 'not published' } });
    assert.deepEqual(notificationsFor(state(), unpublished), [], 'the owner turned Publish off');
    const connecting = state({ tunnel: { state: 'connecting' } });
    assert.deepEqual(notificationsFor(connecting, state({ tunnel: { state: 'offline', reason: 'refused' } })), [], 'it never was online');
    const reconnecting = state({ tunnel: { state: 'reconnecting', reason: 'x', attempt: 1 } });
    assert.deepEqual(notificationsFor(reconnecting, state({ tunnel: { state: 'reconnecting', reason: 'x', attempt: 2 } })), [], 'still reconnecting: told once');
    assert.deepEqual(notificationsFor(reconnecting, state()), [], 'back online');
    assert.deepEqual(notificationsFor(undefined, state()), [], 'the first state after start');
  });

  it('a public URL that changed: once, saying connectors must be added again', () => {
    const changed = state({ issuerChanged: { from: 'https://old.loca.lt', to: PUBLIC } });
    assert.deepEqual(notificationsFor(state(), changed), [{
      id: 'issuer-changed', title: 'Your public URL changed', body: `It is now ${PUBLIC}. Add your connectors again with the new URL.`, click: { type: 'open-settings' },
    }]);
    assert.deepEqual(notificationsFor(changed, changed), []);
  });

  it('several causes at once: one notification each', () => {
    const next = state({ tunnel: { state: 'reconnecting', reason: 'x', attempt: 1 }, pending: [{ id: 'u1' }], issuerChanged: { from: 'https://a.loca.lt', to: PUBLIC } });
    assert.deepEqual(notificationsFor(state(), next).map((n) => n.id), ['pending:u1', 'tunnel-down', 'issuer-changed']);
  });
});

describe('the settings window stays on the admin origin', () => {
  const admin = { url: 'http://127.0.0.1:49152', token: 'tok/en+=' };

  it('loads the settings UI with the token in the fragment, which never reaches the server', () => {
    const url = new URL(settingsUrl(admin));
    assert.equal(url.origin, admin.url);
    assert.equal(url.pathname, '/');
    assert.equal(url.search, '');
    assert.equal(new URLSearchParams(url.hash.slice(1)).get('token'), admin.token);
  });

  it('allows its own origin, sends web and mail links to the browser, blocks the rest', () => {
    assert.equal(navigationFor(`${admin.url}/#/servers`, admin.url), 'allow');
    assert.equal(navigationFor('https://claude.ai/settings/connectors', admin.url), 'open-external');
    assert.equal(navigationFor('http://127.0.0.1:8787/servers/demo/mcp', admin.url), 'open-external', 'another port is another origin');
    assert.equal(navigationFor('mailto:ana@example.com', admin.url), 'open-external');
    for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,hi', 'vscode://x', 'not a url']) assert.equal(navigationFor(bad, admin.url), 'block', bad);
  });
});

describe('Start at login on Linux (XDG autostart)', () => {
  it('writes and removes ~/.config/autostart/mcp-publish.desktop; elsewhere uses the OS login item', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autostart-'));
    try {
      const item = new LoginItem({ platform: 'linux', getOpenAtLogin: () => assert.fail(), setOpenAtLogin: () => assert.fail(), exec: ['/opt/MCP Publish/mcp-publish'], autostartDir: dir });
      assert.equal(item.enabled, false);
      item.set(true);
      assert.equal(item.enabled, true);
      const text = fs.readFileSync(path.join(dir, AUTOSTART_FILE), 'utf8');
      assert.match(text, /^\[Desktop Entry\]\nType=Application\nName=MCP Publish\n/);
      assert.match(text, /\nExec="\/opt\/MCP Publish\/mcp-publish"\n/);
      item.set(false);
      assert.equal(item.enabled, false);

      let on = false;
      const mac = new LoginItem({ platform: 'darwin', getOpenAtLogin: () => on, setOpenAtLogin: (v) => { on = v; }, exec: ['x'], autostartDir: dir });
      mac.set(true);
      assert.equal(mac.enabled, true);
      assert.deepEqual(fs.readdirSync(dir), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('quotes the command line as the Desktop Entry spec says', () => {
    assert.match(autostartEntry(['/usr/bin/electron', '/home/a b/app "x" $HOME 100%']), /\nExec="\/usr\/bin\/electron" "\/home\/a b\/app \\\\"x\\\\" \\\\\$HOME 100%%"\n/);
  });
});

describe('another process holds the data folder', () => {
  const serve = { pid: 4242, startTime: '99', kind: 'serve' as const, since: Date.UTC(2026, 0, 2, 3, 4, 5) };
  it('names the running serve and offers its settings (admin.json of that very process)', () => {
    const plan = stepAside(serve, '/home/ana/.config/mcp-publish', { url: 'http://127.0.0.1:5000', token: 'tok', pid: 4242 });
    assert.equal(plan.dialog.message, 'MCP Publish is already running');
    assert.match(plan.dialog.detail, /^pid 4242 \(mcp-publish serve\), running since .* uses the same data folder:\n\/home\/ana\/\.config\/mcp-publish\n\n.*Stop it \(Ctrl\+C where it runs\)/);
    assert.deepEqual(plan.dialog.buttons, ['Open its settings', 'Close']);
    assert.deepEqual(plan.open, { url: 'http://127.0.0.1:5000/#token=tok', openOn: 0 });
  });
  it('offers nothing to open when admin.json is missing or belongs to another process, and says to quit another app', () => {
    assert.equal(stepAside(serve, '/d', undefined).open, undefined);
    assert.equal(stepAside(serve, '/d', { url: 'http://127.0.0.1:5000', token: 'tok', pid: 1 }).open, undefined);
    assert.deepEqual(stepAside(serve, '/d', undefined).dialog.buttons, ['Close']);
    assert.match(stepAside({ ...serve, kind: 'desktop' }, '/d', undefined).dialog.detail, /the MCP Publish desktop app.*Quit it to start this one\./s);
  });
});
