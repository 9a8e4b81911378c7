// Activity: the calls to the servers and the owner's own actions, newest first, kept across
// reloads and restarts (the admin API's activity log): when, who, which server and tool, how
// long, whether it worked and, when it did not, why. Per-tool statistics above (ActivityStats);
// filters by person, server, tool, result, kind and time; new calls arrive live; older entries a
// page at a time; the same filters download as CSV.
import { useEffect, useState } from 'react';
import type { ActivityItem, ActivityPage as Page, ActivityView } from '../../../src/admin/api.ts';
import type { ActivityQuery } from '../api.ts';
import { useApp, useEvent } from '../app-context.ts';
import { asFailure, useLoad } from '../use-load.ts';
import { Badge } from '../components/Badge.tsx';
import { Empty } from '../components/Empty.tsx';
import { ErrorBanner } from '../components/Problems.tsx';
import { clock, dateTime, duration } from '../format.ts';
import { ActivityStats } from '../activity/ActivityStats.tsx';
import { ownerWords } from '../activity/owner-words.ts';

const METHOD: Record<string, string> = { 'tools/call': 'tool', 'prompts/get': 'prompt', 'resources/read': 'resource' };
type Row = ActivityItem | (ActivityView & { kind?: 'call' });
interface Filters { person: string; server: string; tool: string; result: '' | 'ok' | 'error'; kind: '' | 'call' | 'owner'; from: string; until: string }
const NONE: Filters = { person: '', server: '', tool: '', result: '', kind: '', from: '', until: '' };

const keyOf = (a: Row) => ('id' in a ? a.id : `${a.at}|${a.session}|${a.method}|${a.name ?? ''}`);
/** A `datetime-local` value (the viewer's time) as epoch ms, in text for the query. */
const epoch = (local: string) => (local ? String(new Date(local).getTime()) : undefined);
const queryOf = (f: Filters): ActivityQuery => ({ person: f.person, server: f.server, tool: f.tool, result: f.result, kind: f.kind, since: epoch(f.from), until: epoch(f.until) });
/** Whether a live call belongs in the table as filtered. */
const fits = (a: ActivityView, f: Filters) => f.kind !== 'owner' && (!f.person || a.user === f.person || a.userEmail === f.person) && (!f.server || a.server === f.server)
  && (!f.tool || (a.name ?? a.method) === f.tool) && (!f.result || a.ok === (f.result === 'ok'))
  && (!f.from || a.at >= Number(epoch(f.from))) && (!f.until || a.at < Number(epoch(f.until)));

export function ActivityPage() {
  const { client, status } = useApp();
  const [f, setF] = useState<Filters>(NONE);
  const first = useLoad(() => client.activity(queryOf(f)), [client, f]);
  // Who has called anything and which tools, for the filters (from the newest page without filters).
  const everyone = useLoad(() => client.activity({ limit: '500', kind: 'call' }), [client]);
  const [rows, setRows] = useState<Row[]>([]);
  const [next, setNext] = useState<string>();
  const [more, setMore] = useState<{ busy: boolean; error?: ReturnType<typeof asFailure> }>({ busy: false });
  const [csv, setCsv] = useState<{ busy: boolean; error?: ReturnType<typeof asFailure> }>({ busy: false });
  useEffect(() => { if (first.data) { setRows(first.data.items); setNext(first.data.next); } }, [first.data]);
  useEvent('activity', (a) => { if (fits(a, f)) setRows((list) => (list.some((r) => r.kind !== 'owner' && r.at === a.at && r.session === a.session && r.method === a.method && r.name === a.name) ? list : [a, ...list])); });

  const older = async () => {
    setMore({ busy: true });
    try {
      const page: Page = await client.activity({ ...queryOf(f), before: next });
      setRows((list) => [...list, ...page.items]);
      setNext(page.next);
      setMore({ busy: false });
    } catch (e) { setMore({ busy: false, error: asFailure(e) }); }
  };

  const download = async () => {
    setCsv({ busy: true });
    try {
      const { blob, filename } = await client.activityCsv(queryOf(f));
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setCsv({ busy: false });
    } catch (e) { setCsv({ busy: false, error: asFailure(e) }); }
  };

  const people = new Map<string, string>();
  const tools = new Set<string>();
  for (const a of [...(everyone.data?.items ?? []), ...rows] as Row[]) {
    if (a.kind === 'owner') continue;
    people.set(a.user, a.userEmail ?? a.user);
    tools.add(a.name ?? a.method);
  }
  const servers = status?.servers.map((s) => s.name) ?? [];
  const filtered = Object.values(f).some(Boolean);
  const set = <K extends keyof Filters>(k: K) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value as Filters[K] });
  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Activity</h1>
          <p className="lead">Calls to your servers, newest first: who, which tool, how long, and why a call failed; and what you changed. Kept on this computer across restarts (never the calls' arguments).</p>
        </div>
      </header>
      <ActivityStats servers={servers} />
      <section className="card" aria-labelledby="log-title">
        <div className="card-head">
          <h2 id="log-title">Calls and changes</h2>
          <button type="button" className="btn btn-small" onClick={() => void download()} disabled={csv.busy}>{csv.busy ? 'Preparing…' : 'Download CSV'}</button>
        </div>
        <ErrorBanner error={csv.error} title="Could not export the calls" />
        <form className="filters" aria-label="Filter the calls" onSubmit={(e) => e.preventDefault()}>
          <label>Show <select value={f.kind} onChange={set('kind')}>
            <option value="">Calls and owner actions</option><option value="call">Calls only</option><option value="owner">Owner actions only</option>
          </select></label>
          <label>Person <select value={f.person} onChange={set('person')}>
            <option value="">Everyone</option>{[...people].map(([id, shown]) => <option key={id} value={id}>{shown}</option>)}
          </select></label>
          <label>Server <select value={f.server} onChange={set('server')}>
            <option value="">All servers</option>{servers.map((s) => <option key={s} value={s}>{s}</option>)}
          </select></label>
          <label>Tool <select value={f.tool} onChange={set('tool')}>
            <option value="">All tools</option>{[...tools].sort().map((t) => <option key={t} value={t}>{t}</option>)}
          </select></label>
          <label>Result <select value={f.result} onChange={set('result')}>
            <option value="">Any result</option><option value="ok">Worked</option><option value="error">Failed</option>
          </select></label>
          <label>From <input type="datetime-local" value={f.from} onChange={set('from')} /></label>
          <label>Until <input type="datetime-local" value={f.until} onChange={set('until')} /></label>
          {filtered && <button type="button" className="btn btn-ghost btn-small" onClick={() => setF(NONE)}>Clear filters</button>}
        </form>
        <ErrorBanner error={first.error} title="Could not load the calls" />
        {first.data && rows.length === 0 ? (
          filtered ? <Empty title="Nothing matches">Change or clear the filters above.</Empty>
            : <Empty title="No calls yet">When someone uses a tool on one of your servers, it shows here at once, with who called it and how long it took.</Empty>
        ) : (
          <table className="table activity" aria-live="polite" aria-relevant="additions">
            <caption className="visually-hidden">Calls and owner actions, newest first</caption>
            <thead><tr><th scope="col">Time</th><th scope="col">Person</th><th scope="col">Server</th><th scope="col">Tool</th><th scope="col" className="num">Time taken</th><th scope="col">Result</th></tr></thead>
            <tbody>{rows.map((a) => <EntryRow key={keyOf(a)} a={a} />)}</tbody>
          </table>
        )}
        {next && <button type="button" className="btn" onClick={() => void older()} disabled={more.busy}>{more.busy ? 'Loading…' : 'Show older entries'}</button>}
        <ErrorBanner error={more.error} />
      </section>
    </div>
  );
}

function EntryRow({ a }: { a: Row }) {
  const when = <td data-label="Time" title={dateTime(a.at)}>{Date.now() - a.at > 86_400_000 ? dateTime(a.at) : clock(a.at)}</td>;
  if (a.kind === 'owner') {
    return (
      <tr className="is-owner">
        {when}
        <td data-label="Person">You</td>
        <td data-label="Server">{a.server ? <code className="tag">{a.server}</code> : <span className="muted">—</span>}</td>
        <td data-label="Action" colSpan={2}>{ownerWords(a.action)}{a.target && <> <strong>{a.target}</strong></>}{a.detail && <div className="small muted">{a.detail}</div>}</td>
        <td data-label="Result"><Badge tone="blue">Owner action</Badge></td>
      </tr>
    );
  }
  return (
    <tr className={a.ok ? '' : 'is-error'}>
      {when}
      <td data-label="Person">{a.userEmail ?? a.user}{a.client && <div className="muted small">{a.client}</div>}</td>
      <td data-label="Server"><code className="tag">{a.server}</code></td>
      <td data-label="Tool"><code>{a.name ?? a.method}</code>{a.name && METHOD[a.method] !== 'tool' && <span className="muted small"> {METHOD[a.method] ?? a.method}</span>}</td>
      <td data-label="Time taken" className="num">{duration(a.ms)}</td>
      <td data-label="Result">{a.ok ? <Badge tone="green">OK</Badge> : <><Badge tone="red">Error</Badge>{a.error && <div className="small error-text">{a.error}</div>}</>}</td>
    </tr>
  );
}
