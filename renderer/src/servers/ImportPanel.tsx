// "Add server" from pasted JSON: the `mcpServers` block of Claude Desktop, Cursor or VS Code (or
// the whole file). Check reports what would happen; Add saves it. The report says, per server,
// added, skipped or invalid, and why.
import { useId, useState } from 'react';
import type { ImportResult } from '../../../src/admin/api.ts';
import { useApp } from '../app-context.ts';
import type { ApiFailure } from '../api.ts';
import { asFailure } from '../use-load.ts';
import { Badge } from '../components/Badge.tsx';
import { ErrorBanner } from '../components/Problems.tsx';

const EXAMPLE = `{
  "mcpServers": {
    "memory": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-memory"]
    }
  }
}`;

export function ImportPanel({ onImported, onWriteByHand, onClose }: { onImported(): void; onWriteByHand(): void; onClose(): void }) {
  const { client } = useApp();
  const id = useId();
  const [json, setJson] = useState('');
  const [rename, setRename] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ImportResult>();
  const [error, setError] = useState<ApiFailure>();

  const run = async (dryRun: boolean) => {
    setBusy(true); setError(undefined);
    try {
      const r = await client.importServers({ json, dryRun, rename });
      setResult(r);
      if (r.applied) onImported();
    } catch (e) {
      setError(asFailure(e));
    } finally {
      setBusy(false);
    }
  };

  const added = result?.report.filter((r) => r.status === 'added').length ?? 0;
  return (
    <section className="card import" aria-labelledby={`${id}-title`}>
      <div className="card-head">
        <h2 id={`${id}-title`}>Add servers</h2>
        <button type="button" className="btn btn-ghost" onClick={onClose}>Close</button>
      </div>
      <div className="field">
        <label htmlFor={`${id}-json`}>Paste the JSON from Claude Desktop, Cursor or VS Code</label>
        <textarea
          id={`${id}-json`} className="mono" rows={9} value={json} spellCheck={false} placeholder={EXAMPLE}
          aria-describedby={`${id}-hint`}
          onChange={(e) => { setJson(e.target.value); setResult(undefined); }}
        />
        <div className="hint" id={`${id}-hint`}>
          The whole file or just its <code>"mcpServers"</code> block (VS Code: <code>"servers"</code>). Claude Desktop keeps it in
          {' '}<em>Settings → Developer → Edit Config</em>. Tokens in <code>env</code> are better asked of each person: edit the server afterwards.
        </div>
      </div>
      <label className="check"><input type="checkbox" checked={rename} onChange={(e) => setRename(e.target.checked)} /> Keep a server whose name is taken, as <code>name-2</code></label>
      <div className="form-actions">
        <button type="button" className="btn btn-primary" disabled={!json.trim() || busy} onClick={() => run(false)}>{busy ? 'Working…' : 'Add servers'}</button>
        <button type="button" className="btn" disabled={!json.trim() || busy} onClick={() => run(true)}>Check first</button>
        <span className="muted small">or <button type="button" className="link" onClick={onWriteByHand}>write one by hand</button></span>
      </div>
      <ErrorBanner error={error} />
      {result && <ImportReport result={result} added={added} />}
    </section>
  );
}

function ImportReport({ result, added }: { result: ImportResult; added: number }) {
  return (
    <div className="import-report" role="status" aria-label="Import report">
      <p className="report-headline">
        {result.dryRun ? (added ? `Ready to add ${added} ${added === 1 ? 'server' : 'servers'}: nothing is saved until you press Add servers.` : 'Nothing would be added.')
          : result.applied ? `Added ${added} ${added === 1 ? 'server' : 'servers'}.` : 'Nothing was added.'}
      </p>
      {result.report.length > 0 && (
        <table className="table compact">
          <caption className="visually-hidden">What became of each server</caption>
          <thead><tr><th scope="col">Server</th><th scope="col">Result</th><th scope="col">Details</th></tr></thead>
          <tbody>
            {result.report.map((r, i) => (
              <tr key={i}>
                <td><code>{r.name}</code></td>
                <td>
                  {r.status === 'added' ? <Badge tone="green">{result.dryRun ? 'Would be added' : 'Added'}</Badge>
                    : r.status === 'skipped' ? <Badge tone="grey">Skipped</Badge> : <Badge tone="red">Invalid</Badge>}
                </td>
                <td>
                  {r.reason && <div>{r.reason}</div>}
                  {r.warnings?.map((w, j) => <div key={`w${j}`} className="report-warning"><strong>Will not start:</strong> {w}.</div>)}
                  {r.notes?.map((n, j) => <div key={j} className="muted small">{n}</div>)}
                  {!r.reason && !r.notes?.length && !r.warnings?.length && <span className="muted">—</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {result.errors.map((e, i) => (
        <div className="banner banner-error" key={i} role="alert">
          <strong>Could not read {e.source}</strong>
          <ul className="problems">{e.problems.map((p, j) => <li key={j}>{p.path && <code>{p.path}</code>} {p.reason}</li>)}</ul>
        </div>
      ))}
    </div>
  );
}
