// What every page shares, handed down with React context (no state library): the admin API
// client, the live event stream, the latest status, unsaved changes and the reconnect count.
import { createContext, useContext, useEffect, useRef } from 'react';
import type { AdminEventName, AdminEvents, StatusView } from '../../src/admin/api.ts';
import type { AdminClient } from './api.ts';
import type { LiveEvents } from './events.ts';
import type { Unsaved } from './unsaved.ts';

export interface AppState {
  client: AdminClient;
  events: LiveEvents;
  /** The latest `status` event (or GET status), once there is one. */
  status?: StatusView;
  /** Changes not saved yet, and asking before they are discarded. */
  unsaved: Unsaved;
  /** Goes up each time the window reconnects after a loss: what pages loaded is loaded again. */
  epoch: number;
}

export const AppContext = createContext<AppState | null>(null);

export function useApp(): AppState {
  const app = useContext(AppContext);
  if (!app) throw new Error('useApp outside <AppContext>');
  return app;
}

/** Calls `handler` with each `name` event while the component is mounted. */
export function useEvent<E extends AdminEventName>(name: E, handler: (data: AdminEvents[E]) => void): void {
  const { events } = useApp();
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => events.on(name, (data) => latest.current(data)), [events, name]);
}
