// A server's health on its card: a badge in words (ready, not started yet, checking, starting,
// can't start, crash-looping), and for a server that cannot start, what went wrong, when, and
// what to do next, without pressing Test first.
import type { ServerView } from '../../../src/admin/api.ts';
import { Badge } from '../components/Badge.tsx';
import { clock, dateTime } from '../format.ts';

export function HealthBadge({ server }: { server: ServerView }) {
  const h = server.health;
  const running = server.running.length;
  switch (h.state) {
    case 'disabled': return <Badge tone="grey">Disabled</Badge>;
    case 'ready': return running > 0
      ? <Badge tone="green">Running · {running} {running === 1 ? 'process' : 'processes'}</Badge>
      : <Badge tone="green" title={h.at ? `Started and answered at ${dateTime(h.at)}` : undefined}>Ready</Badge>;
    case 'checking': return <Badge tone="blue">Checking…</Badge>;
    case 'starting': return <Badge tone="amber">Starting…</Badge>;
    case 'cannot-start': return <Badge tone="red">Can't start</Badge>;
    case 'crash-looping': return <Badge tone="red">Crash-looping</Badge>;
    default: return <Badge tone="grey">Not started yet</Badge>;
  }
}

export function HealthProblem({ server }: { server: ServerView }) {
  const h = server.health;
  if (h.state === 'idle' && h.reason) return <p className="muted small">{capital(h.reason)}.</p>;
  if (h.state !== 'cannot-start' && h.state !== 'crash-looping') return null;
  const when = h.at ? ` (${clock(h.at)})` : '';
  return (
    <div className="health-problem" role="group" aria-label={`Why ${server.name} cannot start`}>
      <p className="health-headline">
        {h.state === 'crash-looping'
          ? <><strong>It keeps stopping:</strong> {h.crashes} failed starts in a row. The last{when}: {h.reason}</>
          : <><strong>It cannot start{when}:</strong> {capital(h.reason ?? 'it stopped before it was ready')}.</>}
      </p>
      <p className="small">{nextStep(server)}</p>
      {h.detail && (
        <details>
          <summary>The last lines it wrote</summary>
          <pre className="log" tabIndex={0} aria-label={`stderr of ${server.name}`}>{h.detail}</pre>
        </details>
      )}
    </div>
  );
}

function nextStep(server: ServerView): string {
  const h = server.health;
  const retry = h.retryAt && h.retryAt > Date.now() ? ` It is tried again on the next call after ${clock(h.retryAt)}.` : '';
  if (/command not found/.test(h.reason ?? '')) return 'Clients that use it get this error until it is fixed. Press Edit to change the command.';
  return `Clients that use it get an error.${retry} Press Test to see its output, or Edit to change its command, arguments or environment.`;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
