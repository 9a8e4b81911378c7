// Admin routes for the Activity page: the calls and owner actions kept by the activity log,
// newest first, filtered by person, server, tool, result, kind and time, a page at a time
// (`before` is the previous page's `next`); the same filters as a CSV download; per-tool stats.
import type { ActivityFilter } from '../activity/activity-log.ts';
import { isEntryId } from '../activity/activity-log.ts';
import { CSV_HEADER, csvEntry, csvRow } from '../activity/activity-csv.ts';
import type { ActivityPage, StatsWindow } from './api.ts';
import { AdminError, type AdminDeps, type Routes } from './routing.ts';

/** The filters of GET activity and activity.csv, checked. */
function filterOf(q: URLSearchParams): ActivityFilter {
  const text = (k: string) => q.get(k)?.trim() || undefined;
  const result = text('result');
  if (result && result !== 'ok' && result !== 'error') throw new AdminError(400, 'bad_request', 'result is "ok" or "error"');
  const kind = text('kind');
  if (kind && kind !== 'call' && kind !== 'owner') throw new AdminError(400, 'bad_request', 'kind is "call" or "owner"');
  const before = text('before');
  if (before && !isEntryId(before)) throw new AdminError(400, 'bad_request', 'before is the `next` of a page');
  const number = (k: string) => {
    const v = text(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new AdminError(400, 'bad_request', `${k} is a number`);
    return n;
  };
  const limit = number('limit');
  if (limit !== undefined && !Number.isInteger(limit)) throw new AdminError(400, 'bad_request', 'limit is a whole number');
  const since = number('since');
  const until = number('until');
  return {
    person: text('person'), server: text('server'), tool: text('tool'), before,
    ...(result ? { result: result as 'ok' | 'error' } : {}), ...(kind ? { kind: kind as 'call' | 'owner' } : {}),
    ...(limit ? { limit } : {}), ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}),
  };
}

const WINDOWS: readonly StatsWindow[] = ['hour', 'day', 'week'];

export function activityRoutes({ activity }: AdminDeps): Routes {
  return {
    'GET /api/activity': async ({ url }): Promise<ActivityPage> => activity.query(filterOf(url.searchParams)),

    'GET /api/activity/stats': async ({ url }) => {
      const window = (url.searchParams.get('window') || 'day') as StatsWindow;
      if (!WINDOWS.includes(window)) throw new AdminError(400, 'bad_request', 'window is "hour", "day" or "week"');
      return activity.stats(window, url.searchParams.get('server')?.trim() || undefined);
    },

    'GET /api/activity.csv': async ({ url, res }) => {
      const filter = filterOf(url.searchParams);
      let page = await activity.query({ ...filter, limit: 500 }); // a bad filter is refused before the answer starts
      const day = new Date().toISOString().slice(0, 10);
      res.writeHead(200, {
        'content-type': 'text/csv; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff',
        'content-disposition': `attachment; filename="mcp-publish-activity-${day}.csv"`,
      });
      // A page at a time, each written before the next is read (STYLE 15: a slow reader slows only itself).
      const write = (chunk: string) => new Promise<void>((resolve) => {
        if (res.write(chunk)) return resolve();
        const done = () => { res.off('drain', done).off('close', done); resolve(); };
        res.on('drain', done).on('close', done); // a reader that left ends the export
      });
      await write(csvRow(CSV_HEADER));
      for (;;) {
        if (res.destroyed) break;
        await write(page.items.map(csvEntry).join(''));
        if (!page.next) break;
        page = await activity.query({ ...filter, limit: 500, before: page.next });
      }
      res.end();
      return '';
    },
  };
}
