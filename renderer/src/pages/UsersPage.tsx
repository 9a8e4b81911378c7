// Users: the people who signed in, with their status, when they last did, which per-person values
// they have set; the owner's decisions (Approve, Deny, Remove) live, as people wait; invites to
// local accounts; and the client applications they connected, with Revoke.
import { useState } from 'react';
import type { UserAction, UserView } from '../../../src/admin/api.ts';
import { useApp, useEvent } from '../app-context.ts';
import type { ApiFailure } from '../api.ts';
import { asFailure, useCoalesced, useLoad } from '../use-load.ts';
import { Badge, type Tone } from '../components/Badge.tsx';
import { Empty } from '../components/Empty.tsx';
import { ErrorBanner } from '../components/Problems.tsx';
import { ago, dateTime } from '../format.ts';
import { ClientsTable } from '../users/ClientsTable.tsx';
import { InviteForm } from '../users/InviteForm.tsx';

const STATUS: Record<UserView['status'], { tone: Tone; words: string }> = {
  allowed: { tone: 'green', words: 'Allowed' },
  pending: { tone: 'amber', words: 'Waiting for you' },
  denied: { tone: 'red', words: 'Denied' },
  removed: { tone: 'grey', words: 'Removed' },
};

export function UsersPage() {
  const { client } = useApp();
  const users = useLoad(() => client.users(), [client]);
  const clients = useLoad(() => client.clients(), [client]);
  const [error, setError] = useState<ApiFailure>();
  const usersSoon = useCoalesced(users.reload);
  const clientsSoon = useCoalesced(clients.reload, 1000);
  useEvent('users', usersSoon);
  useEvent('approval', usersSoon);
  // A new client shows once it is used (its first call) or its person changes.
  useEvent('users', clientsSoon);
  useEvent('activity', clientsSoon);

  const decide = async (u: UserView, action: UserAction) => {
    setError(undefined);
    try { await client.decide(u.id, action); users.reload(); clients.reload(); } catch (e) { setError(asFailure(e)); }
  };

  const head = (
    <header className="page-head">
      <div>
        <h1>Users</h1>
        <p className="lead">Everyone who has signed in, and the apps they connected.</p>
      </div>
    </header>
  );
  if (users.error?.code === 'no_sign_in') {
    return <div className="page">{head}<Empty title="Sign-in is off">Anyone who can reach a server's URL may use it. Sign-in starts with the gateway when the config has it on.</Empty></div>;
  }
  const list = [...(users.data ?? [])].sort((a, b) => Number(b.status === 'pending') - Number(a.status === 'pending') || Number(b.owner) - Number(a.owner) || b.lastLoginAt - a.lastLoginAt);
  const pending = list.filter((u) => u.status === 'pending');

  return (
    <div className="page">
      {head}
      <ErrorBanner error={users.error ?? error} />
      {pending.length > 0 && (
        <div className="banner banner-warn" role="status">
          <strong>{pending.length === 1 ? '1 person is' : `${pending.length} people are`} waiting for you.</strong> Their sign-in goes on as soon as you approve.
        </div>
      )}

      <section className="card" aria-labelledby="people-title">
        <h2 id="people-title">People</h2>
        {users.data && list.length === 0 ? (
          <Empty title="Nobody has signed in yet">When someone signs in to use one of your servers, they show here. Invite someone below, or allow their email on the Access page.</Empty>
        ) : (
          <table className="table people">
            <caption className="visually-hidden">People</caption>
            <thead><tr><th scope="col">Person</th><th scope="col">Status</th><th scope="col">Last sign-in</th><th scope="col">Values they set</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {list.map((u) => <PersonRow key={u.id} user={u} onDecide={(a) => decide(u, a)} />)}
            </tbody>
          </table>
        )}
      </section>

      <InviteForm onInvited={users.reload} />

      <section className="card" aria-labelledby="clients-title">
        <h2 id="clients-title">Connected clients</h2>
        {clients.error ? <ErrorBanner error={clients.error} /> : clients.data ? <ClientsTable clients={clients.data} onChanged={clients.reload} /> : <p className="muted">Loading…</p>}
      </section>
    </div>
  );
}

function PersonRow({ user: u, onDecide }: { user: UserView; onDecide(a: UserAction): void }) {
  const s = STATUS[u.status];
  const who = u.email ?? u.name ?? u.id;
  const env = Object.entries(u.userEnv).filter(([, fields]) => fields.length);
  return (
    <tr className={u.status === 'pending' ? 'is-pending' : ''} data-user={u.email ?? u.id}>
      <td>
        <div className="person">
          <span className="avatar" aria-hidden="true">{(u.name ?? u.email ?? '?').slice(0, 1).toUpperCase()}</span>
          <div>
            <div><strong>{u.name ?? u.email ?? u.id}</strong>{u.owner && <> <Badge tone="blue">Owner</Badge></>}</div>
            {u.name && u.email && <div className="muted small">{u.email}</div>}
            {u.logins.length > 0 && <div className="muted small">{signedInWith(u.logins)}</div>}
          </div>
        </div>
      </td>
      <td data-label="Status"><Badge tone={s.tone}>{s.words}</Badge></td>
      <td data-label="Last sign-in" title={dateTime(u.lastLoginAt)}>{ago(u.lastLoginAt)}</td>
      <td data-label="Values they set">
        {env.length ? env.map(([server, fields]) => <div key={server} className="small"><code className="tag">{server}</code> {fields.join(', ')}</div>) : <span className="muted">—</span>}
      </td>
      <td className="row-actions">
        {u.status !== 'allowed' && <button type="button" className="btn btn-small btn-primary" onClick={() => onDecide('approve')} aria-label={`Approve ${who}`}>Approve</button>}
        {u.status !== 'denied' && u.status !== 'removed' && !u.owner && <button type="button" className="btn btn-small" onClick={() => onDecide('deny')} aria-label={`Deny ${who}`}>Deny</button>}
        {u.status !== 'removed' && !u.owner && <button type="button" className="btn btn-small btn-danger-quiet" onClick={() => onDecide('remove')} aria-label={`Remove ${who}`}>Remove</button>}
      </td>
    </tr>
  );
}

const PROVIDERS: Record<string, string> = { local: 'Local account', oidc: 'Identity provider', github: 'GitHub' };

/** "Local account", "GitHub" …: how they sign in, from logins written `provider:subject`. */
function signedInWith(logins: string[]): string {
  const kinds = [...new Set(logins.map((l) => l.split(':')[0] ?? ''))];
  return kinds.map((k) => PROVIDERS[k] ?? k).join(', ');
}
