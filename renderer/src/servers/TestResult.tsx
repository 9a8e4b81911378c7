// What "Test" found: the server started and lists these tools, or why it did not start, with
// the last lines it wrote to stderr.
import type { ServerTestResult } from '../../../src/admin/api.ts';
import { duration } from '../format.ts';

export function TestResult({ result, name }: { result: ServerTestResult; name: string }) {
  const info = result.ok ? result.serverInfo as { name?: unknown; version?: unknown } : {};
  return (
    <section className={`test-result ${result.ok ? 'is-ok' : 'is-failed'}`} aria-label={`Test of ${name}`} role="status">
      {result.ok ? (
        <>
          <p className="test-headline">
            <span className="test-icon" aria-hidden="true">✓</span>
            Started in {duration(result.ms)}
            {typeof info.name === 'string' && <> — <strong>{info.name}</strong>{typeof info.version === 'string' && ` ${info.version}`}</>}
            <span className="muted"> · protocol {result.protocolVersion}</span>
          </p>
          {result.tools.length > 0 ? (
            <>
              <p className="test-sub">{result.tools.length} {result.tools.length === 1 ? 'tool' : 'tools'}:</p>
              <ul className="tool-list" aria-label={`Tools of ${name}`}>{result.tools.map((t) => <li key={t}><code>{t}</code></li>)}</ul>
            </>
          ) : <p className="test-sub">It lists no tools.</p>}
        </>
      ) : (
        <>
          <p className="test-headline">
            <span className="test-icon" aria-hidden="true">✕</span>
            Could not start: {result.error} <span className="muted">({duration(result.ms)})</span>
          </p>
          {result.stderr ? (
            <>
              <p className="test-sub">The last lines it wrote to stderr:</p>
              <pre className="log" tabIndex={0} aria-label={`stderr of ${name}`}>{result.stderr}</pre>
            </>
          ) : <p className="test-sub">It wrote nothing to stderr.</p>}
        </>
      )}
      {result.notes.length > 0 && <ul className="notes">{result.notes.map((n, i) => <li key={i}>{n}</li>)}</ul>}
    </section>
  );
}
