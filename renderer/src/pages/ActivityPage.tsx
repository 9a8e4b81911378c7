// Activity: every tool call, prompt and resource read as it finishes (the `activity` events),
// newest first: when, who, which server and tool, how long, and whether it worked.
import { useApp } from '../app-context.ts';
import { Badge } from '../components/Badge.tsx';
import { Empty } from '../components/Empty.tsx';
import { clock, dateTime, duration } from '../format.ts';

const METHOD: Record<string, string> = { 'tools/call': 'tool', 'prompts/get': 'prompt', 'resources/read': 'resource' };

export function ActivityPage() {
  const { activity, clearActivity } = useApp();
  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Activity</h1>
          <p className="lead">Calls to your servers as they happen, newest first. Shown since this window opened.</p>
        </div>
        {activity.length > 0 && <button type="button" className="btn" onClick={clearActivity}>Clear</button>}
      </header>
      <section className="card">
        {activity.length === 0 ? (
          <Empty title="No calls yet">When someone uses a tool on one of your servers, it shows here at once, with who called it and how long it took.</Empty>
        ) : (
          <table className="table activity" aria-live="polite" aria-relevant="additions">
            <caption className="visually-hidden">Recent calls, newest first</caption>
            <thead><tr><th scope="col">Time</th><th scope="col">Person</th><th scope="col">Server</th><th scope="col">Tool</th><th scope="col" className="num">Time taken</th><th scope="col">Result</th></tr></thead>
            <tbody>
              {activity.map((a, i) => (
                <tr key={`${a.at}-${a.session}-${i}`} className={a.ok ? '' : 'is-error'}>
                  <td data-label="Time" title={dateTime(a.at)}>{clock(a.at)}</td>
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
      </section>
    </div>
  );
}
