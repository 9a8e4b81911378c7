// Inviting someone to a local account: their email (and name), then the one-time link to send
// them; the invites not used yet, each with Copy, Revoke and when it expires. Inviting someone
// again says that it replaces their earlier link; a link on this computer's own address says
// that nobody elsewhere can open it until the servers are published.
import { useId, useState } from 'react';
import type { InviteView, ProblemView } from '../../../src/admin/api.ts';
import { useApp, useEvent } from '../app-context.ts';
import type { ApiFailure } from '../api.ts';
import { asFailure, useLoad } from '../use-load.ts';
import { CopyField } from '../components/CopyButton.tsx';
import { Field } from '../components/Field.tsx';
import { ErrorBanner } from '../components/Problems.tsx';
import { ago, dateTime } from '../format.ts';

export function InviteForm({ onInvited }: { onInvited(): void }) {
  const { client } = useApp();
  const id = useId();
  const invites = useLoad(() => client.invites(), [client]);
  // The links follow the public URL: load them again when it changes.
  useEvent('status', (s) => { if (invites.data?.[0] && new URL(invites.data[0].invite ?? 'http://x').origin !== (s.issuer ?? '')) invites.reload(); });
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [invite, setInvite] = useState<InviteView>();
  const [error, setError] = useState<ApiFailure>();
  const problems: ProblemView[] = error?.problems ?? [];
  const earlier = invites.data?.find((i) => i.email.toLowerCase() === email.trim().toLowerCase());

  const submit = async () => {
    setBusy(true); setError(undefined); setInvite(undefined);
    try {
      setInvite(await client.invite({ email: email.trim(), ...(name.trim() ? { name: name.trim() } : {}) }));
      setEmail(''); setName('');
      invites.reload();
      onInvited();
    } catch (e) {
      setError(asFailure(e));
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (i: InviteView) => {
    setError(undefined);
    try { await client.revokeInvite(i.id); invites.reload(); if (invite?.id === i.id) setInvite(undefined); } catch (e) { setError(asFailure(e)); }
  };

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Invite someone</h2>
      <p className="hint">Creates an account with this email and a link that lets them choose a password. The link works once, for 7 days; they show under People once they sign in.</p>
      <form className="invite-form" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
        <Field label="Email" path="email" problems={problems} hint={earlier ? `${earlier.email} has a link from ${ago(earlier.createdAt)}: a new one replaces it, and the old one stops working.` : undefined}>
          {(p) => <input {...p} type="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" placeholder="name@example.com" />}
        </Field>
        <Field label="Name (optional)" path="name" problems={problems}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}
        </Field>
        <button type="submit" className="btn btn-primary" disabled={busy || !email.trim()}>{busy ? 'Creating…' : earlier ? 'Replace the invite link' : 'Create invite link'}</button>
      </form>
      {error?.code === 'local_disabled'
        ? <div className="banner banner-warn" role="alert">Accounts you create are turned off. Turn them on under Access → How people sign in.</div>
        : <ErrorBanner error={error} />}
      {invite && (
        <div className="invite-result" role="status">
          <p>
            Send this link to <strong>{invite.email}</strong>. It works once, until {dateTime(invite.expiresAt)}; anyone who has it can set the password.
            {invite.replaced && ' The link you sent them before no longer works.'}
          </p>
          {invite.invite && <CopyField label="Invite link" name={`Invite link for ${invite.email}`} value={invite.invite} />}
          {invite.localOnly && <LocalOnly />}
        </div>
      )}
      {invites.data && invites.data.length > 0 && (
        <div className="pending-invites">
          <h3>Invites not used yet</h3>
          {invites.data.some((i) => i.localOnly) && !invite?.localOnly && <LocalOnly />}
          <table className="table compact">
            <caption className="visually-hidden">Invites not used yet</caption>
            <thead><tr><th scope="col">Person</th><th scope="col">Sent</th><th scope="col">Expires</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {invites.data.map((i) => (
                <tr key={i.id}>
                  <td data-label="Person">{i.name ? <>{i.name} <span className="muted small">{i.email}</span></> : i.email}</td>
                  <td data-label="Sent" title={dateTime(i.createdAt)}>{ago(i.createdAt)}</td>
                  <td data-label="Expires">{dateTime(i.expiresAt)}</td>
                  <td className="row-actions">
                    {i.invite && <CopyButtonFor invite={i} />}
                    <button type="button" className="btn btn-small btn-danger-quiet" onClick={() => void revoke(i)} aria-label={`Revoke the invite for ${i.email}`}>Revoke</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function LocalOnly() {
  return (
    <div className="banner banner-warn" role="note">
      <strong>This link works only on this computer.</strong> It starts with this computer's own address, which a colleague cannot open.
      {' '}Turn on Publish first, then copy the link again here: it then uses your public URL.
    </div>
  );
}

function CopyButtonFor({ invite }: { invite: InviteView }) {
  return <CopyField label="Link" name={`invite link for ${invite.email}`} value={invite.invite!} />;
}
