// One configured server: what it runs, its MCP URLs with Copy, its running processes (each with
// its stderr), and Test, Edit and Delete.
import { useEffect, useRef, useState } from 'react';
import type { ServerTestResult, ServerView } from '../../../src/admin/api.ts';
import { useApp } from '../app-context.ts';
import type { ApiFailure } from '../api.ts';
import { asFailure } from '../use-load.ts';
import { Badge } from '../components/Badge.tsx';
import { CopyField } from '../components/CopyButton.tsx';
import { ErrorBanner } from '../components/Problems.tsx';
import { bytes } from '../format.ts';
import { commandLine } from './server-draft.ts';
import { StderrLog } from './StderrLog.tsx';
import { TestResult } from './TestResult.tsx';
import { HealthBadge, HealthProblem } from './Health.tsx';

const ISOLATION = {
  auto: 'One process per person (per session once it asks questions)',
  'per-user': 'One process per person',
  'per-session': 'One process per session',
  shared: 'One process for everyone',
} as const;

export function ServerCard({ server, published, onEdit, onPermissions, onChanged, highlight = false }: { server: ServerView; published: boolean; onEdit(): void; onPermissions(): void; onChanged(): void; highlight?: boolean }) {
  const { client } = useApp();
  const [testing, setTesting] = useState(false);
  const [result, setResult] = useState<ServerTestResult>();
  const [error, setError] = useState<ApiFailure>();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [log, setLog] = useState<string>();
  const config = server.config as Record<string, unknown>;
  const userEnv = (config.userEnv as { name: string; secret?: boolean }[] | undefined) ?? [];
  const headingId = `server-${server.name}`;
  const card = useRef<HTMLElement>(null);
  // Just added or saved: brought into view and marked, so the owner sees where it went.
  useEffect(() => { if (highlight) card.current?.scrollIntoView({ block: 'nearest' }); }, [highlight]);

  const test = async () => {
    setTesting(true); setResult(undefined); setError(undefined);
    try { setResult(await client.testServer(server.name)); } catch (e) { setError(asFailure(e)); } finally { setTesting(false); }
  };
  const remove = async () => {
    setError(undefined);
    try { await client.deleteServer(server.name); onChanged(); } catch (e) { setError(asFailure(e)); setConfirmDelete(false); }
  };

  return (
    <article ref={card} className={`card server ${highlight ? 'is-new' : ''}`} aria-labelledby={headingId} data-highlight={highlight || undefined}>
      <header className="server-head">
        <div>
          <h2 id={headingId}>{server.title ?? server.name}{server.title && <span className="muted server-key"> {server.name}</span>}</h2>
          <div className="badges">
            <HealthBadge server={server} />
            <Badge tone="blue">{server.kind === 'stdio' ? 'Command' : 'HTTP'}</Badge>
            <span className="muted small">{server.kind === 'stdio' ? ISOLATION[server.isolation] : 'One upstream session per client session'}</span>
          </div>
        </div>
        <div className="actions">
          <button type="button" className="btn" onClick={test} disabled={testing} aria-label={`Test ${server.name}`}>{testing ? 'Testing…' : 'Test'}</button>
          <button type="button" className="btn" onClick={onPermissions} aria-label={`Tools and permissions of ${server.name}`}>Tools</button>
          <button type="button" className="btn" onClick={onEdit} aria-label={`Edit ${server.name}`}>Edit</button>
          <button type="button" className="btn btn-danger-quiet" onClick={() => setConfirmDelete(true)} aria-label={`Delete ${server.name}`}>Delete</button>
        </div>
      </header>

      {confirmDelete && (
        <div className="confirm" role="alertdialog" aria-label={`Delete ${server.name}?`}>
          <span>Delete <strong>{server.name}</strong>? Its processes stop and clients using its URL lose it.</span>
          <button type="button" className="btn btn-danger" onClick={remove} autoFocus>Delete</button>
          <button type="button" className="btn" onClick={() => setConfirmDelete(false)}>Cancel</button>
        </div>
      )}

      <HealthProblem server={server} />

      <code className="command-line" title="What it runs">{commandLine(config)}</code>

      <div className="urls">
        {server.localUrl ? <CopyField label="Local MCP URL" name={`Local MCP URL of ${server.name}`} value={server.localUrl} /> : null}
        {server.publicUrl ? <CopyField label="Public MCP URL" name={`Public MCP URL of ${server.name}`} value={server.publicUrl} />
          : server.enabled && <p className="muted small url-note">{published ? 'The public URL appears once the tunnel is online.' : 'Not published: turn on Publish to give it a public URL.'}</p>}
      </div>

      {permissionsSummary(config.permissions) && <p className="small">{permissionsSummary(config.permissions)}</p>}

      {userEnv.length > 0 && (
        <p className="small">Asks each person for {userEnv.map((f, i) => <span key={f.name}>{i > 0 && ', '}<code>{f.name}</code>{f.secret && ' (secret)'}</span>)} on first use.</p>
      )}

      <ErrorBanner error={error} />
      {result && <TestResult result={result} name={server.name} />}

      {server.running.length > 0 && (
        <div className="running">
          <table className="table compact">
            <caption className="visually-hidden">Running processes of {server.name}</caption>
            <thead><tr><th scope="col">Person</th><th scope="col">PID</th><th scope="col">State</th><th scope="col">Sessions</th><th scope="col">In flight</th><th scope="col">stderr</th></tr></thead>
            <tbody>
              {server.running.map((u) => (
                <tr key={u.key}>
                  <td data-label="Person">{u.userEmail ?? (u.user ? u.user : 'everyone (shared)')}</td>
                  <td data-label="PID">{u.pid ?? '—'}</td>
                  <td data-label="State">{u.state}</td>
                  <td data-label="Sessions">{u.sessions}</td>
                  <td data-label="In flight">{u.inflight}</td>
                  <td>
                    <button type="button" className="btn btn-small" aria-expanded={log === u.key} onClick={() => setLog(log === u.key ? undefined : u.key)}>
                      {log === u.key ? 'Hide log' : `Log (${bytes(u.stderrBytes)})`}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {log && server.running.some((u) => u.key === log) && <StderrLog upstreamKey={log} label={`${server.name}, ${server.running.find((u) => u.key === log)?.userEmail ?? 'process'}`} />}
        </div>
      )}
    </article>
  );
}

/** One line on the card about who may use what, when the server has permissions. */
function permissionsSummary(permissions: unknown): string | undefined {
  const p = permissions as { everyone?: string; allow?: unknown[]; deny?: unknown[] } | undefined;
  if (!p) return undefined;
  const rules = (p.allow?.length ?? 0) + (p.deny?.length ?? 0);
  return `Permissions: ${rules} rule${rules === 1 ? '' : 's'}; everyone else may use ${p.everyone === 'nothing' ? 'nothing' : p.everyone === 'read-only' ? 'read-only tools' : 'everything'}.`;
}
