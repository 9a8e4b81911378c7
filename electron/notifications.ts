// Desktop notifications from NotificationSpec (lifecycle.ts decides which): a click, or a button
// where the platform has them (macOS), becomes a TrayAction for main.ts.
import { Notification } from 'electron';
import type { NotificationSpec } from './lifecycle.ts';
import type { TrayAction } from './tray-menu.ts';

export class Notifier {
  /** Shown notifications by id, kept referenced so their click handlers survive garbage collection. */
  readonly #shown = new Map<string, Notification>();

  constructor(private readonly dispatch: (action: TrayAction) => void) {}

  show(spec: NotificationSpec): void {
    if (!Notification.isSupported()) return;
    this.#shown.get(spec.id)?.close();
    const buttons = process.platform === 'darwin' ? spec.actions ?? [] : [];
    const n = new Notification({
      title: spec.title,
      body: spec.body,
      actions: buttons.map((b) => ({ type: 'button' as const, text: b.label })),
    });
    n.on('click', () => this.dispatch(spec.click));
    n.on('action', (details) => {
      const button = buttons[details.actionIndex];
      if (button) this.dispatch(button.action);
    });
    n.on('close', () => { if (this.#shown.get(spec.id) === n) this.#shown.delete(spec.id); });
    this.#shown.set(spec.id, n);
    n.show();
  }

  closeAll(): void {
    for (const n of this.#shown.values()) n.close();
    this.#shown.clear();
  }
}
