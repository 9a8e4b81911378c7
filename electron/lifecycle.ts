// The app's life-cycle decisions as plain functions (STYLE 7): what a second launch, a window
// close and Quit do, in which order Quit stops things, and which status changes deserve a
// notification. main.ts and notifications.ts carry them out; the tests call them directly.
import type { TrayAction, TrayState } from './tray-menu.ts';
import { describeHolder, type LockHolder } from '../src/config/instance-lock.ts';

// ── Windows ──────────────────────────────────────────────────────────────────────────────────

/** What the shell knows about the settings window. */
export interface WindowFacts {
  exists: boolean;
  visible: boolean;
  minimized: boolean;
}

/** Steps that bring the settings window to the front, in order. */
export type WindowStep = 'create' | 'restore' | 'show' | 'focus';

/** "Open settings…" from the tray, a notification click, or the macOS dock. */
export function showSettingsSteps(w: WindowFacts): WindowStep[] {
  if (!w.exists) return ['create', 'show', 'focus'];
  return [...(w.minimized ? ['restore' as const] : []), 'show', 'focus'];
}

/**
 * A second launch (the user starts the app again, or a login item fires twice): the running
 * instance shows its settings window; the new process quits (single-instance lock).
 */
export function onSecondInstance(w: WindowFacts): WindowStep[] {
  return showSettingsSteps(w);
}

/** What the app does when another process holds its data folder (`mcp-publish serve`, or the app under another profile). */
export interface StepAside {
  /** The message box to show. */
  dialog: { title: string; message: string; detail: string; buttons: string[]; defaultId: number; cancelId: number };
  /** Open this in the browser when the owner chooses button `openOn`: the running one's settings. */
  open?: { url: string; openOn: number };
}

/**
 * Launched while another process holds the data folder: this one touches nothing there and
 * quits, after naming the running one and bringing its settings forward in the browser (a
 * `serve` has no window of its own). `admin` is the running one's admin endpoint (admin.json),
 * offered only when it is the holder's.
 */
export function stepAside(holder: LockHolder, dir: string, admin: { url: string; token: string; pid?: number } | undefined): StepAside {
  const detail = `${describeHolder(holder)} uses the same data folder:\n${dir}\n\nOnly one MCP Publish can use a folder at a time. ` +
    (holder.kind === 'serve' ? 'Stop it (Ctrl+C where it runs) to use the app instead.' : 'Quit it to start this one.');
  const base = { title: 'MCP Publish', message: 'MCP Publish is already running' };
  if (!admin || admin.pid !== holder.pid) return { dialog: { ...base, detail, buttons: ['Close'], defaultId: 0, cancelId: 0 } };
  return {
    dialog: { ...base, detail, buttons: ['Open its settings', 'Close'], defaultId: 0, cancelId: 1 },
    open: { url: `${admin.url}/#token=${admin.token}`, openOn: 0 },
  };
}

/** Where Quit is: `running` until the owner quits, `stopping` while the plan runs, then `stopped`. */
export type QuitPhase = 'running' | 'stopping' | 'stopped';

/**
 * Closing the settings window hides it: the app lives in the tray and the gateway keeps serving.
 * Only while quitting is a window really closed.
 */
export function onWindowClose(phase: QuitPhase): 'hide' | 'close' {
  return phase === 'running' ? 'hide' : 'close';
}

/** Electron quits when the last window closes unless told otherwise; a tray app never does. */
export function onWindowAllClosed(): 'stay' {
  return 'stay';
}

/**
 * `before-quit` (Quit in the tray, Cmd+Q, logout, SIGTERM): the first one starts the stop plan and
 * holds the quit until it has run; repeats while it runs are held too; once stopped, quit.
 */
export function onBeforeQuit(phase: QuitPhase): { preventDefault: boolean; startPlan: boolean } {
  switch (phase) {
    case 'running': return { preventDefault: true, startPlan: true };
    case 'stopping': return { preventDefault: true, startPlan: false };
    case 'stopped': return { preventDefault: false, startPlan: false };
  }
}

// ── Quit plan ────────────────────────────────────────────────────────────────────────────────

/** What is running when Quit is chosen. */
export interface RunningParts {
  /** A tunnel is open or opening (the owner published). */
  tunnel: boolean;
  adminServer: boolean;
  /** The gateway, its sessions and children. */
  publisher: boolean;
  /** The state store is open. */
  state: boolean;
}

export type QuitStepName = 'close-tunnel' | 'stop-admin-server' | 'stop-publisher' | 'close-state';

export interface QuitStep {
  name: QuitStepName;
  /** Why it comes at this point, for the log. */
  why: string;
  /** After this long the plan goes on without it (the step's work is abandoned, not awaited). */
  timeoutMs: number;
}

/**
 * The order in which Quit stops things. The public URL goes first, so nobody new arrives; then
 * the admin API (and admin.json), so the CLI and the settings window stop driving a dying core;
 * then the gateway with its sessions and every child (SIGTERM, then SIGKILL, none may outlive
 * the app); last the state store, whose final flush must see what the steps before wrote.
 */
export function quitPlan(parts: RunningParts): QuitStep[] {
  const plan: QuitStep[] = [];
  if (parts.tunnel) plan.push({ name: 'close-tunnel', why: 'nobody new may arrive through the public URL', timeoutMs: 5_000 });
  if (parts.adminServer) plan.push({ name: 'stop-admin-server', why: 'the CLI and the settings window stop driving the core; admin.json goes', timeoutMs: 2_000 });
  if (parts.publisher) plan.push({ name: 'stop-publisher', why: 'sessions end and every child process is terminated', timeoutMs: 10_000 });
  if (parts.state) plan.push({ name: 'close-state', why: 'the last state changes reach the disk', timeoutMs: 5_000 });
  return plan;
}

export interface QuitStepResult {
  name: QuitStepName;
  outcome: 'done' | 'failed' | 'timed-out';
  error?: unknown;
}

/**
 * Runs the plan in order, each step bounded by its timeout. A step that fails or times out is
 * reported and the plan goes on: Quit must always finish.
 */
export async function runQuitPlan(plan: QuitStep[], run: Record<QuitStepName, () => Promise<void>>): Promise<QuitStepResult[]> {
  const results: QuitStepResult[] = [];
  for (const step of plan) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timed-out'>((resolve) => { timer = setTimeout(() => resolve('timed-out'), step.timeoutMs); });
    try {
      const outcome = await Promise.race([run[step.name]().then(() => 'done' as const), timeout]);
      results.push({ name: step.name, outcome });
    } catch (error) {
      results.push({ name: step.name, outcome: 'failed', error });
    } finally {
      clearTimeout(timer);
    }
  }
  return results;
}

// ── Notifications ────────────────────────────────────────────────────────────────────────────

export interface NotificationSpec {
  /** Stable per cause, e.g. `pending:<userId>`, `tunnel-down`. */
  id: string;
  title: string;
  body: string;
  /** What clicking the notification does. */
  click: TrayAction;
  /** Buttons, where the platform has them (macOS); elsewhere the click is the only way in. */
  actions?: { label: string; action: TrayAction }[];
}

/**
 * The notifications a change from `prev` to `next` deserves: a new person waiting for approval,
 * a public URL that was online and dropped (not one the owner closed), and a public URL that
 * changed (connectors must be re-added). `prev` is undefined for the first state after start.
 */
export function notificationsFor(prev: TrayState | undefined, next: TrayState): NotificationSpec[] {
  const out: NotificationSpec[] = [];
  const known = new Set(prev?.pending.map((u) => u.id) ?? []);
  const arrived = next.pending.filter((u) => !known.has(u.id));
  if (arrived.length === 1) {
    const user = arrived[0]!;
    const who = user.email ?? user.name ?? 'Someone';
    out.push({
      id: `pending:${user.id}`,
      title: 'Sign-in request',
      body: `${who} signed in and waits for your approval.`,
      click: { type: 'open-settings' },
      actions: [
        { label: 'Approve', action: { type: 'approve', userId: user.id } },
        { label: 'Deny', action: { type: 'deny', userId: user.id } },
      ],
    });
  } else if (arrived.length > 1) {
    out.push({
      id: 'pending:many',
      title: 'Sign-in requests',
      body: `${arrived.length} people signed in and wait for your approval.`,
      click: { type: 'open-settings' },
    });
  }

  if (prev?.published && next.published && prev.tunnel.state === 'online') {
    if (next.tunnel.state === 'reconnecting') {
      out.push({
        id: 'tunnel-down',
        title: 'Public URL dropped',
        body: `Reconnecting… (${next.tunnel.reason}). Remote clients cannot reach your servers until it is back.`,
        click: { type: 'open-settings' },
      });
    } else if (next.tunnel.state === 'offline') {
      out.push({
        id: 'tunnel-down',
        title: 'Public URL is offline',
        body: `${next.tunnel.reason}. Remote clients cannot reach your servers.`,
        click: { type: 'open-settings' },
      });
    }
  }

  if (next.issuerChanged && next.issuerChanged.to !== prev?.issuerChanged?.to) {
    out.push({
      id: 'issuer-changed',
      title: 'Your public URL changed',
      body: `It is now ${next.issuerChanged.to}. Add your connectors again with the new URL.`,
      click: { type: 'open-settings' },
    });
  }
  return out;
}
