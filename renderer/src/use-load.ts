// Loading one piece of data from the admin API for a page: the data (kept while reloading, so
// nothing flickers), the failure if any, and `reload` for events and after changes.
import { useCallback, useContext, useEffect, useRef, useState } from 'react';
import { ApiFailure } from './api.ts';
import { AppContext } from './app-context.ts';

export interface Loaded<T> {
  data?: T;
  error?: ApiFailure;
  loading: boolean;
  reload(): void;
  /** Replaces the data with what a change answered (no round trip). */
  set(data: T): void;
}

export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiFailure>();
  const [loading, setLoading] = useState(true);
  const run = useRef(0);
  const latest = useRef(load);
  latest.current = load;

  const reload = useCallback(() => {
    const mine = ++run.current;
    setLoading(true);
    latest.current().then(
      (d) => { if (mine === run.current) { setData(d); setError(undefined); setLoading(false); } },
      (e: unknown) => { if (mine === run.current) { setError(asFailure(e)); setLoading(false); } },
    );
  }, []);

  // Loaded again after the window reconnects (the core may have restarted meanwhile).
  const epoch = useContext(AppContext)?.epoch ?? 0;
  useEffect(reload, [...deps, epoch]);
  useEffect(() => () => { run.current++; }, []);
  return { data, error, loading, reload, set: (d: T) => { run.current++; setData(d); setError(undefined); setLoading(false); } };
}

export function asFailure(e: unknown): ApiFailure {
  return e instanceof ApiFailure ? e : new ApiFailure(0, 'internal', (e as Error)?.message ?? String(e));
}

/** `fn` at most once per `ms`, for reloads triggered by bursts of events (a busy Activity feed). */
export function useCoalesced(fn: () => void, ms = 500): () => void {
  const timer = useRef<number | undefined>(undefined);
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => () => window.clearTimeout(timer.current), []);
  return useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = window.setTimeout(() => { timer.current = undefined; latest.current(); }, ms);
  }, [ms]);
}
