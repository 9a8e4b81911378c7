// One running child's recent stderr (bounded by the core), with Refresh; kept scrolled to the end.
import { useEffect, useRef } from 'react';
import { useApp } from '../app-context.ts';
import { useLoad } from '../use-load.ts';

export function StderrLog({ upstreamKey, label }: { upstreamKey: string; label: string }) {
  const { client } = useApp();
  const log = useLoad(() => client.stderr(upstreamKey), [client, upstreamKey]);
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => { if (pre.current) pre.current.scrollTop = pre.current.scrollHeight; }, [log.data]);
  const gone = log.error?.code === 'not_found';
  return (
    <div className="stderr">
      <div className="stderr-bar">
        <span className="muted">stderr · {label}</span>
        <button type="button" className="btn btn-small" onClick={log.reload} disabled={log.loading}>Refresh</button>
      </div>
      {gone ? <p className="muted">This process has stopped; its log went with it.</p>
        : log.error ? <p className="error-text">{log.error.message}</p>
          : <pre ref={pre} className="log" tabIndex={0} aria-label={`stderr of ${label}`}>{log.data === undefined ? 'Loading…' : log.data || '(it has written nothing to stderr)'}</pre>}
    </div>
  );
}
