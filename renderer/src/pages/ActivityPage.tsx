// Activity: the calls to the servers, newest first, kept across reloads and restarts (the admin
// API's activity log): when, who, which server and tool, how long, whether it worked and, when it
// did not, why. Filtered by person, server and result; new calls arrive live; older ones a page
// at a time.
import { useEffect, useState } from 'react';
import type { ActivityPage as Page, ActivityView } from '../../../src/admin/api.ts';
import { useApp, useEvent } from '../app-context.ts';
import { asFailure, useLoad } from '../use-load.ts';
import { Badge } from '../components/Badge.tsx';
import { Empty } from '../components/Empty.tsx';
import { ErrorBanner } from '../components/Problems.tsx';
import { clock, dateTime, duration } from '../format.ts';

const METHOD: Record<string, string> = { 'tools/call': 'tool', 'prompts/get': 'prompt', 'resources/read': 'resource' };
type Row = ActivityView & { id?: string };
interface Filters { person: string; server: string; result: '' | 'ok' | 'error' }

const keyOf = (a: Row) => `${a.at}|${a.session}|${a.method}|${a.name ?? ''}`;
const fits = (a: Row, f: Filters) => (!f.person || a.user === f.person || a.userEmail === f.person) && (!f.server || a.server === f.server) && (!f.result || a.ok === (f.result === 'ok'));

export function ActivityPage() {
  const { client, status } = useApp();
  const [f, setF] = useState<Filters>({ person: '', server: '', result: '' });
  const first = useLoad(() => client.activity({ person: f.person, server: f.server, result: f.result }), [client, f.person, f.server, f.result]);
  // Who has called anything, for the person filter (from the newest page without filters).
  const everyone = useLoad(() => client.activity({ limit: '500' }), [client]);
  const [rows, setRows] = useState<Row[]>([]);
  const [next, setNext] = useState<string>();
  const [more, setMore] = useState<{ busy: boolean; error?: ReturnType<typeof asFailure> }>({ busy: false });
  useEffect(() => { if (first.data) { setRows(first.data.items); setNext(first.data.next); } }, [first.data]);
  useEvent('activity', (a) => { if (fits(a, f)) setRows((list) => (list.some((r) => keyOf(r) === keyOf(a)) ? list : [a, ...list])); });

  const older = async () => {
    setMore({ busy: true });
    try {
      const page: Page = await client.activity({ person: f.person, server: f.server, result: f.result, before: next });
      setRows((list) => [...list, ...page.items]);
      setNext(page.next);
      setMore({ busy: false });
    } catch (e) { setMore({ busy: false, error: asFailure(e) }); }
  };

  const people = new Map<string, string>();
  for (const a of [...(everyone.data?.items ?? []), ...rows]) people.set(a.user, a.userEmail ?? a.user);
  const servers = status?.servers.map((s) => s.name) ?? [];
  const filtered = Boolean(f.person || f.server || f.result);
  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Activity</h1>
          <p className="lead">Calls to your servers, newest first: who, which tool, how long, and why a call failed. Kept on this computer across restarts (never the calls' arguments).</p>
        </div>
      </header>
      <section className="card">
        <form className="filters" aria-label="Filter the calls" onSubmit={(e) => e.preventDefault()}>
          <label>Person <select value={f.person} onChange={(e) => setF({ ...f, person: e.target.value })}>
            <option value="">Everyone</option>{[...people].map(([id, shown]) => <option key={id} value={id}>{shown}</option>)}
          </select></label>
          <label>Server <select value={f.server} onChange={(e) => setF({ ...f, server: e.target.value })}>
            <option value="">All servers</option>{servers.map((s) => <option key={s} value={s}>{s}</option>)}
          </select></label>
          <label>Result <select value={f.result} onChange={(e) => setF({ ...f, result: e.target.value as Filters['result'] })}>
            <option value="">Any result</option><option value="ok">Worked</option><option value="error">Failed</option>
          </select></label>
        </form>
        <ErrorBanner error={first.error} title="Could not load the calls" />
        {first.data && rows.length === 0 ? (
          filtered ? <Empty title="No calls match">Change or clear the filters above.</Empty>
            : <Empty title="No calls yet">When someone uses a tool on one of your servers, it shows here at once, with who called it and how long it took.</Empty>
        ) : (
          <table className="table activity" aria-live="polite" aria-relevant="additions">
            <caption className="visually-hidden">Calls, newest first</caption>
            <thead><tr><th scope="col">Time</th><th scope="col">Person</th><th scope="col">Server</th><th scope="col">Tool</th><th scope="col" className="num">Time taken</th><th scope="col">Result</th></tr></thead>
            <tbody>
              {rows.map((a) => (
                <tr key={a.id ?? keyOf(a)} className={a.ok ? '' : 'is-error'}>
                  <td data-label="Time" title={dateTime(a.at)}>{Date.now() - a.at > 86_400_000 ? dateTime(a.at) : clock(a.at)}</td>
                  <td data-label="Person">{a.userEmail ?? a.user}</td>
                  <td data-label="Server"><code className="tag">{a.server}</code></td>
                  <td data-label="Tool"><code>{a.name ?? a.method}</code>{a.name && METHOD[a.method] !== 'tool' && <span className="muted small"> {METHOD[a.method] ?? a.method}</span>}</td>
                  <td data-label="Time taken" className="num">{duration(a.ms)}</td>
                  <td data-label="Result">{a.ok ? <Badge tone="green">OK</Badge> : <><Badge tone="red">Error</Badge>{a.error && <div className="small error-text">{a.error}</div>}</>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {next && <button type="button" className="btn" onClick={() => void older()} disabled={more.busy}>{more.busy ? 'Loading…' : 'Show older calls'}</button>}
        <ErrorBanner error={more.error} />
      </section>
    </div>
  );
}
