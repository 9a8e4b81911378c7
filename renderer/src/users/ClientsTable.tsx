// The client applications people signed in to (one row per person × client) and Revoke, which
// stops that client's tokens at once.
import { useState } from 'react';
import type { ClientView } from '../../../src/admin/api.ts';
import { useApp } from '../app-context.ts';
import type { ApiFailure } from '../api.ts';
import { asFailure } from '../use-load.ts';
import { Empty } from '../components/Empty.tsx';
import { ErrorBanner } from '../components/Problems.tsx';
import { ago, dateTime } from '../format.ts';

export function ClientsTable({ clients, onChanged }: { clients: ClientView[]; onChanged(): void }) {
  const { client } = useApp();
  const [confirm, setConfirm] = useState<string>();
  const [error, setError] = useState<ApiFailure>();
  const revoke = async (id: string) => {
    setError(undefined);
    try { await client.revokeClient(id); onChanged(); } catch (e) { setError(asFailure(e)); } finally { setConfirm(undefined); }
  };
  if (!clients.length) return <Empty title="No connected clients">When someone adds one of your servers to Claude, ChatGPT, VS Code or another client and signs in, it shows here.</Empty>;
  return (
    <>
      <ErrorBanner error={error} />
      <table className="table">
        <caption className="visually-hidden">Connected clients</caption>
        <thead><tr><th scope="col">Client</th><th scope="col">Person</th><th scope="col">Servers</th><th scope="col">Since</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          {clients.map((c) => (
            <tr key={c.id}>
              <td><strong>{c.clientName}</strong>{c.clientName !== c.clientId && <div className="muted small mono ellipsis" title={c.clientId}>{c.clientId}</div>}</td>
              <td data-label="Person">{c.user.email ?? c.user.name ?? c.user.id}</td>
              <td data-label="Servers">{c.servers.length ? c.servers.map((s) => <code key={s} className="tag">{s}</code>) : <span className="muted">—</span>}</td>
              <td data-label="Since" title={c.createdAt ? dateTime(c.createdAt) : undefined}>{c.createdAt ? ago(c.createdAt) : '—'}{c.expiresAt && <div className="muted small">until {dateTime(c.expiresAt)}</div>}</td>
              <td className="row-actions">
                {confirm === c.id ? (
                  <span className="confirm-inline">
                    <button type="button" className="btn btn-danger btn-small" onClick={() => revoke(c.id)} autoFocus>Revoke now</button>
                    <button type="button" className="btn btn-small" onClick={() => setConfirm(undefined)}>Cancel</button>
                  </span>
                ) : <button type="button" className="btn btn-small btn-danger-quiet" onClick={() => setConfirm(c.id)} aria-label={`Revoke ${c.clientName} for ${c.user.email ?? c.user.id}`}>Revoke</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
