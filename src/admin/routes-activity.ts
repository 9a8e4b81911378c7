// Admin route for the Activity page: the calls kept by the activity log, newest first, filtered
// by person, server, tool, result and time, a page at a time (`before` is the previous page's `next`).
import type { ActivityPage } from './api.ts';
import { AdminError, type AdminDeps, type Routes } from './routing.ts';

export function activityRoutes({ activity }: AdminDeps): Routes {
  return {
    'GET /api/activity': async ({ url }): Promise<ActivityPage> => {
      const q = url.searchParams;
      const text = (k: string) => q.get(k)?.trim() || undefined;
      const result = text('result');
      if (result && result !== 'ok' && result !== 'error') throw new AdminError(400, 'bad_request', 'result is "ok" or "error"');
      const number = (k: string) => (text(k) === undefined ? undefined : Number(text(k)));
      const limit = number('limit');
      const since = number('since');
      if ((limit !== undefined && !Number.isInteger(limit)) || (since !== undefined && !Number.isFinite(since))) throw new AdminError(400, 'bad_request', 'limit and since are numbers');
      return activity.query({
        person: text('person'), server: text('server'), tool: text('tool'), before: text('before'),
        ...(result ? { result: result as 'ok' | 'error' } : {}), ...(limit ? { limit } : {}), ...(since ? { since } : {}),
      });
    },
  };
}
