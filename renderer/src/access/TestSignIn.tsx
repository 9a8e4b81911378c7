// "Test sign-in": asks the API to check the IdP (discovery document, PKCE, the stored secret) and
// shows what is wrong in plain words, what is worth knowing, and the exact redirect URI to register.
import { useState } from 'react';
import type { TestSignInRequest, TestSignInResult } from '../../../src/admin/api.ts';
import { useApp } from '../app-context.ts';
import type { ApiFailure } from '../api.ts';
import { asFailure } from '../use-load.ts';
import { CopyField } from '../components/CopyButton.tsx';
import { ErrorBanner } from '../components/Problems.tsx';
import { duration } from '../format.ts';

export function TestSignIn({ request, dirty, name }: { request: TestSignInRequest; dirty: boolean; name: string }) {
  const { client } = useApp();
  const [result, setResult] = useState<TestSignInResult>();
  const [error, setError] = useState<ApiFailure>();
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true); setError(undefined); setResult(undefined);
    try { setResult(await client.testSignIn(request)); } catch (e) { setError(asFailure(e)); } finally { setBusy(false); }
  };
  return (
    <div className="test-sign-in">
      <div className="form-actions">
        <button type="button" className="btn" onClick={run} disabled={busy}>{busy ? 'Testing…' : `Test ${name} sign-in`}</button>
        {dirty && <span className="muted small">Tests the saved settings{request.issuer ? ' (with the issuer as typed)' : ''}: save first to test your changes.</span>}
      </div>
      <ErrorBanner error={error} />
      {result && (
        <div className={`test-result ${result.ok ? 'is-ok' : 'is-failed'}`} role="status" aria-label={`${name} sign-in test`}>
          <p className="test-headline">
            <span className="test-icon" aria-hidden="true">{result.ok ? '✓' : '✕'}</span>
            {result.ok ? `${name} sign-in looks right` : `${name} sign-in will not work yet`}
            {result.issuer && <span className="muted"> · {result.issuer}</span>}
            <span className="muted"> · {duration(result.ms)}</span>
          </p>
          {result.problems.length > 0 && <ul className="problems">{result.problems.map((p, i) => <li key={i}>{p}</li>)}</ul>}
          <CopyField stacked label="Redirect URI to register" value={result.redirectUri} />
          {result.notes.length > 0 && <ul className="notes">{result.notes.map((n, i) => <li key={i}>{n}</li>)}</ul>}
          {result.endpoints && (
            <dl className="endpoints">
              {Object.entries(result.endpoints).filter(([, v]) => v).map(([k, v]) => <div key={k}><dt>{k}</dt><dd><code>{v}</code></dd></div>)}
            </dl>
          )}
        </div>
      )}
    </div>
  );
}
