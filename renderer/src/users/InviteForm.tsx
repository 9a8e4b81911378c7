// Inviting someone to a local account: their email (and name), then the one-time link to send them.
import { useId, useState } from 'react';
import type { InviteView, ProblemView } from '../../../src/admin/api.ts';
import { useApp } from '../app-context.ts';
import type { ApiFailure } from '../api.ts';
import { asFailure } from '../use-load.ts';
import { CopyField } from '../components/CopyButton.tsx';
import { Field } from '../components/Field.tsx';
import { ErrorBanner } from '../components/Problems.tsx';

export function InviteForm({ onInvited }: { onInvited(): void }) {
  const { client } = useApp();
  const id = useId();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [invite, setInvite] = useState<InviteView>();
  const [error, setError] = useState<ApiFailure>();
  const problems: ProblemView[] = error?.problems ?? [];

  const submit = async () => {
    setBusy(true); setError(undefined); setInvite(undefined);
    try {
      setInvite(await client.invite({ email: email.trim(), ...(name.trim() ? { name: name.trim() } : {}) }));
      setEmail(''); setName('');
      onInvited();
    } catch (e) {
      setError(asFailure(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Invite someone</h2>
      <p className="hint">Creates an account with this email and a link that lets them choose a password. The link works once, for 7 days; they show under People once they sign in.</p>
      <form className="invite-form" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
        <Field label="Email" path="email" problems={problems}>
          {(p) => <input {...p} type="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" placeholder="name@example.com" />}
        </Field>
        <Field label="Name (optional)" path="name" problems={problems}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}
        </Field>
        <button type="submit" className="btn btn-primary" disabled={busy || !email.trim()}>{busy ? 'Creating…' : 'Create invite link'}</button>
      </form>
      {error?.code === 'local_disabled'
        ? <div className="banner banner-warn" role="alert">Accounts you create are turned off. Turn them on under Access → How people sign in.</div>
        : <ErrorBanner error={error} />}
      {invite && (
        <div className="invite-result" role="status">
          <p>Send this link to <strong>{invite.email}</strong>. It works once; anyone who has it can set the password.</p>
          <CopyField label="Invite link" name={`Invite link for ${invite.email}`} value={invite.invite} />
        </div>
      )}
    </section>
  );
}
