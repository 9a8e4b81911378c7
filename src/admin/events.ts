// GET /api/events: the publisher's events (status, activity, approval) and user changes as one
// Server-Sent Events stream per tray or window, in order, with keep-alive comments.
import type { ServerResponse } from 'node:http';
import type { Logger } from '../logging/logger.ts';
import type { Publisher } from '../publisher.ts';
import type { SignIn } from '../sign-in.ts';
import type { ActivityRecord } from '../sessions/session.ts';
import type { UserRecord } from '../identity/users.ts';
import type { AdminEventName, AdminEvents } from './api.ts';
import { activityView, statusView, userView } from './views.ts';
import type { ServerHealth } from './server-health.ts';

export interface EventStreamOptions {
  publisher: Publisher;
  logger: Logger;
  /** Interval of `: keep-alive` comments; default 15 s (proxies and idle timers drop silent streams). */
  keepAliveMs?: number;
  /** Server health changes are status changes too. */
  health?: ServerHealth;
}

export class EventStream {
  private readonly clients = new Set<ServerResponse>();
  private readonly unsubscribe: (() => void)[] = [];
  private usersOf?: SignIn;
  private stopUsers?: () => void;
  private keepAlive?: NodeJS.Timeout;
  /** Events are built (some asynchronously) and written one at a time, so they keep their order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly o: EventStreamOptions) {}

  /** Subscribes to the publisher; call once before `open`. */
  start(): void {
    const p = this.o.publisher;
    // Snapshots taken when the event happens (a quick connecting → online must show both).
    const onStatus = () => {
      this.followUsers();
      if (this.clients.size === 0) return;
      const view = statusView(p, this.o.health);
      this.emit('status', async () => view);
    };
    if (this.o.health) this.unsubscribe.push(this.o.health.onchange(onStatus));
    const onActivity = (r: ActivityRecord) => { const view = activityView(p, r); this.emit('activity', async () => view); };
    const onApproval = (u: UserRecord) => this.emit('approval', () => userView(p, u));
    p.on('status', onStatus).on('activity', onActivity).on('approval', onApproval);
    this.unsubscribe.push(() => { p.off('status', onStatus).off('activity', onActivity).off('approval', onApproval); });
    this.keepAlive = setInterval(() => { for (const res of this.clients) res.write(': keep-alive\n\n'); }, this.o.keepAliveMs ?? 15_000);
    this.keepAlive.unref();
    this.followUsers();
  }

  /** Sign-in exists only while the gateway runs: follow the user directory of the current one. */
  private followUsers(): void {
    const signIn = this.o.publisher.signIn;
    if (signIn === this.usersOf) return;
    this.stopUsers?.();
    this.stopUsers = undefined;
    this.usersOf = signIn;
    if (signIn) this.stopUsers = signIn.users.onChange(({ user }) => this.emit('users', () => userView(this.o.publisher, user)));
  }

  /** Answers one GET: headers, the current status at once, then every event until it closes. */
  open(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-store',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    res.write('retry: 2000\n\n');
    this.followUsers();
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    this.write(res, 'status', statusView(this.o.publisher, this.o.health));
  }

  private emit<E extends AdminEventName>(name: E, build: () => Promise<AdminEvents[E]>): void {
    if (this.clients.size === 0) return;
    this.queue = this.queue.then(async () => {
      const data = await build();
      for (const res of this.clients) this.write(res, name, data);
    }).catch((e: Error) => this.o.logger.warn({ err: e.message, event: name }, 'could not send an admin event'));
  }

  private write<E extends AdminEventName>(res: ServerResponse, name: E, data: AdminEvents[E]): void {
    res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Ends every stream and unsubscribes. */
  close(): void {
    clearInterval(this.keepAlive);
    for (const off of this.unsubscribe.splice(0)) off();
    this.stopUsers?.();
    this.stopUsers = undefined;
    this.usersOf = undefined;
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}
