// The Activity page's statistics: per (server, tool) the calls, errors and p50/p95 duration over
// the last hour, day or week, a chart of every call per time bucket and one per tool.
import { useEffect, useRef, useState } from 'react';
import type { StatsWindow } from '../../../src/admin/api.ts';
import { useApp, useEvent } from '../app-context.ts';
import { useLoad } from '../use-load.ts';
import { Empty } from '../components/Empty.tsx';
import { ErrorBanner } from '../components/Problems.tsx';
import { duration } from '../format.ts';
import { Bars } from './Bars.tsx';

const WINDOW_WORDS: Record<StatsWindow, { name: string; bucket: string }> = {
  hour: { name: 'hour', bucket: '5 minutes' },
  day: { name: '24 hours', bucket: 'hour' },
  week: { name: '7 days', bucket: '6 hours' },
};

export function ActivityStats({ servers }: { servers: string[] }) {
  const { client } = useApp();
  const [window, setWindow] = useState<StatsWindow>('day');
  const [server, setServer] = useState('');
  const stats = useLoad(() => client.activityStats(window, server || undefined), [client, window, server]);
  // New calls count at once, but a busy minute reloads once, not once a call.
  const later = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEvent('activity', () => { later.current ??= setTimeout(() => { later.current = undefined; stats.reload(); }, 1000); });
  useEffect(() => () => clearTimeout(later.current), []);

  const words = WINDOW_WORDS[window];
  const s = stats.data;
  const total = s?.buckets.reduce((a, b) => a + b.calls, 0) ?? 0;
  const errors = s?.buckets.reduce((a, b) => a + b.errors, 0) ?? 0;
  return (
    <section className="card" aria-labelledby="stats-title">
      <div className="card-head">
        <div>
          <h2 id="stats-title">Tools</h2>
          <p className="hint">How often each tool was called, how often it failed, and how long it took (median and 95th percentile).</p>
        </div>
      </div>
      <form className="filters" aria-label="Statistics" onSubmit={(e) => e.preventDefault()}>
        <label>Period <select value={window} onChange={(e) => setWindow(e.target.value as StatsWindow)}>
          <option value="hour">Last hour</option><option value="day">Last 24 hours</option><option value="week">Last 7 days</option>
        </select></label>
        <label>Server <select value={server} onChange={(e) => setServer(e.target.value)}>
          <option value="">All servers</option>{servers.map((n) => <option key={n} value={n}>{n}</option>)}
        </select></label>
      </form>
      <ErrorBanner error={stats.error} title="Could not load the statistics" />
      {s && (total === 0 ? <Empty title={`No calls in the last ${words.name}`}>The numbers show here once someone uses a tool.</Empty> : (
        <>
          <figure className="chart">
            <Bars buckets={s.buckets} label={`Calls per ${words.bucket} over the last ${words.name}: ${total} in all, ${errors} failed.`} />
            <figcaption className="muted small">{total} call{total === 1 ? '' : 's'}{errors ? `, ${errors} failed (red)` : ''}, per {words.bucket}, oldest on the left.</figcaption>
          </figure>
          <table className="table compact stats">
            <caption className="visually-hidden">Calls per tool over the last {words.name}</caption>
            <thead><tr><th scope="col">Server</th><th scope="col">Tool</th><th scope="col" className="num">Calls</th><th scope="col" className="num">Errors</th><th scope="col" className="num">Median</th><th scope="col" className="num">95th pct.</th><th scope="col">Over time</th></tr></thead>
            <tbody>
              {s.tools.map((t) => (
                <tr key={`${t.server}|${t.tool}`} className={t.errors ? 'has-errors' : ''}>
                  <td data-label="Server"><code className="tag">{t.server}</code></td>
                  <td data-label="Tool"><code>{t.tool}</code></td>
                  <td data-label="Calls" className="num">{t.calls}</td>
                  <td data-label="Errors" className={`num${t.errors ? ' error-text' : ''}`}>{t.errors}</td>
                  <td data-label="Median" className="num">{duration(t.p50Ms)}</td>
                  <td data-label="95th pct." className="num">{duration(t.p95Ms)}</td>
                  <td data-label="Over time"><Bars className="spark" buckets={t.buckets.map((calls) => ({ calls }))} label={`${t.tool}: calls per ${words.bucket}, oldest first: ${t.buckets.join(', ')}`} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ))}
    </section>
  );
}
