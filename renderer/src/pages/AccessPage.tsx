// Access: how people sign in (local accounts, an OpenID Connect provider, GitHub), who comes in
// at once (allow lists), who never does (deny list), what happens to everyone else, and how long
// tokens live. One Save for the page; the API's problems show next to their fields.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { AccessView, ProblemView } from '../../../src/admin/api.ts';
import { useApp } from '../app-context.ts';
import type { ApiFailure } from '../api.ts';
import { asFailure, useLoad } from '../use-load.ts';
import { Field } from '../components/Field.tsx';
import { ListEditor } from '../components/ListEditor.tsx';
import { ErrorBanner, ProblemSummary, problemsAt } from '../components/Problems.tsx';
import { draftOf, inputOf, type AccessDraft } from '../access/access-draft.ts';
import { LoginMethods } from '../access/LoginMethods.tsx';
import { useUnsaved } from '../unsaved.ts';

const lower = (v: string) => v.trim().toLowerCase();
const domain = (v: string) => v.trim().toLowerCase().replace(/^@/, '');
// As the admin API checks them (src/admin/problem-words.ts), so a typo is caught as it is added.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const isEmail = (v: string) => (EMAIL.test(v) ? undefined : `"${v}" is not an email address: write it as name@example.com`);
const isDomain = (v: string) => (DOMAIN.test(v) ? undefined : `"${v}" is not a domain: write it as example.com, without @ or https://`);

/** Where each part of the draft is in the config, so a change clears the problems about it. */
const PATH_OF: Record<string, string> = {
  local: 'access.login.local', oidcOn: 'access.login.oidc', oidc: 'access.login.oidc', githubOn: 'access.login.github', github: 'access.login.github',
  unknownUsers: 'access.unknownUsers', accessTokenMinutes: 'access.tokens.accessTokenMinutes', refreshTokenDays: 'access.tokens.refreshTokenDays',
};

export function AccessPage() {
  const { client } = useApp();
  const access = useLoad(() => client.access(), [client]);
  const [d, setD] = useState<AccessDraft>();
  const [problems, setProblems] = useState<ProblemView[]>([]);
  const [error, setError] = useState<ApiFailure>();
  const [saving, setSaving] = useState(false);
  const [savedAt, setSavedAt] = useState<number>();
  const [focusTick, setFocusTick] = useState(0);
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => { if (access.data && !d) setD(draftOf(access.data)); }, [access.data, d]);
  // After a refusal: the first field with a problem is scrolled to and focused.
  useEffect(() => {
    if (!focusTick) return;
    const first = form.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    first?.scrollIntoView({ block: 'center' });
    first?.focus();
  }, [focusTick]);

  useUnsaved('the sign-in settings', Boolean(d && access.data && JSON.stringify(d) !== JSON.stringify(draftOf(access.data))));

  if (access.error && !access.data) return <Page><ErrorBanner error={access.error} title="Could not load the sign-in settings" /></Page>;
  if (!access.data || !d) return <Page><p className="muted">Loading…</p></Page>;
  const saved: AccessView = access.data;
  const dirty = JSON.stringify(d) !== JSON.stringify(draftOf(saved));
  const clear = (path: string) => setProblems((ps) => ps.filter((p) => !problemsAt([p], path).length));
  const update = (patch: Partial<AccessDraft>) => {
    setD({ ...d, ...patch });
    setSavedAt(undefined);
    for (const k of Object.keys(patch)) if (PATH_OF[k]) clear(PATH_OF[k]);
  };
  const allow = (k: keyof AccessDraft['allow']) => (values: string[]) => { update({ allow: { ...d.allow, [k]: values } }); clear(`access.allow.${k}`); };
  const deny = (k: keyof AccessDraft['deny']) => (values: string[]) => { update({ deny: { ...d.deny, [k]: values } }); clear(`access.deny.${k}`); };

  const save = async () => {
    const { input, problems: local } = inputOf(d);
    setProblems(local); setError(undefined);
    if (local.length) return setFocusTick((n) => n + 1);
    setSaving(true);
    try {
      const next = await client.saveAccess(input);
      access.set(next);
      setD(draftOf(next));
      setSavedAt(Date.now());
    } catch (e) {
      const f = asFailure(e);
      setError(f);
      setProblems(f.problems);
      setFocusTick((n) => n + 1);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Page>
      <form ref={form} noValidate onSubmit={(e) => { e.preventDefault(); void save(); }} aria-label="Sign-in settings" className="stack">
        <ProblemSummary problems={problems} error={error} />
        <LoginMethods d={d} saved={saved} dirty={dirty} problems={problems} update={update} />

        <section className="card" aria-labelledby="allow-title">
          <h2 id="allow-title">Who comes in without asking you</h2>
          <p className="hint">You, the owner, always do. Emails and domains match only addresses the provider has verified.</p>
          <div className="grid-2">
            <ListEditor validate={isEmail} label="Email addresses" values={d.allow.emails} onChange={allow('emails')} placeholder="name@example.com" normalize={lower} problems={problems} path="access.allow.emails" />
            <ListEditor validate={isDomain} label="Email domains" values={d.allow.domains} onChange={allow('domains')} placeholder="example.com" normalize={domain} hint="Exactly this domain, not its subdomains." problems={problems} path="access.allow.domains" />
            <ListEditor label="Groups" values={d.allow.groups} onChange={allow('groups')} placeholder="engineering" hint="Values of your provider's groups claim." problems={problems} path="access.allow.groups" />
            <ListEditor label="GitHub organizations" values={d.allow.githubOrgs} onChange={allow('githubOrgs')} placeholder="my-org" hint="Their members; GitHub asks people to share their organizations." problems={problems} path="access.allow.githubOrgs" />
            <ListEditor label="GitHub teams" values={d.allow.githubTeams} onChange={allow('githubTeams')} placeholder="my-org/team-slug" problems={problems} path="access.allow.githubTeams" />
            <ListEditor label="Subjects" values={d.allow.subjects} onChange={allow('subjects')} placeholder="github:123456" hint='Provider ids: "oidc:<sub>", "github:<id>", "local:<id>".' problems={problems} path="access.allow.subjects" />
          </div>
          <fieldset className="radio-group">
            <legend>Everyone else who signs in</legend>
            <label className="check">
              <input type="radio" name="unknownUsers" checked={d.unknownUsers === 'ask-owner'} onChange={() => update({ unknownUsers: 'ask-owner' })} />
              <span>Waits while you decide <span className="muted">(you approve or deny them on the Users page; their sign-in goes on once you do)</span></span>
            </label>
            <label className="check">
              <input type="radio" name="unknownUsers" checked={d.unknownUsers === 'deny'} onChange={() => update({ unknownUsers: 'deny' })} />
              <span>Is refused</span>
            </label>
          </fieldset>
        </section>

        <section className="card" aria-labelledby="deny-title">
          <h2 id="deny-title">Never let in</h2>
          <p className="hint">Wins over every allow rule and over your approval.</p>
          <div className="grid-3">
            <ListEditor validate={isEmail} label="Denied email addresses" values={d.deny.emails} onChange={deny('emails')} placeholder="someone@example.com" normalize={lower} problems={problems} path="access.deny.emails" />
            <ListEditor validate={isDomain} label="Denied domains" values={d.deny.domains} onChange={deny('domains')} placeholder="example.org" normalize={domain} problems={problems} path="access.deny.domains" />
            <ListEditor label="Denied subjects" values={d.deny.subjects} onChange={deny('subjects')} placeholder="github:123456" problems={problems} path="access.deny.subjects" />
          </div>
        </section>

        <section className="card" aria-labelledby="tokens-title">
          <h2 id="tokens-title">Tokens</h2>
          <div className="grid-2">
            <Field label="Access tokens last (minutes)" path="access.tokens.accessTokenMinutes" problems={problems} hint="Default 60.">
              {(p) => <input {...p} type="number" min={1} max={10080} inputMode="numeric" value={d.accessTokenMinutes} onChange={(e) => update({ accessTokenMinutes: e.target.value })} />}
            </Field>
            <Field label="Refresh tokens last (days)" path="access.tokens.refreshTokenDays" problems={problems} hint="Default 30; renewed each time a client uses one.">
              {(p) => <input {...p} type="number" min={1} max={365} inputMode="numeric" value={d.refreshTokenDays} onChange={(e) => update({ refreshTokenDays: e.target.value })} />}
            </Field>
          </div>
          <p className="tradeoff">
            A longer access-token lifetime keeps clients that never refresh their tokens connected, but a token that leaks stays
            usable for that long too. Removing or denying a person still cuts them off at once.
          </p>
        </section>

        <div className={`save-bar ${dirty ? 'is-dirty' : ''}`}>
          <span className="muted" role="status">{saving ? 'Saving…' : dirty ? 'You have unsaved changes.' : savedAt ? 'Saved.' : 'All changes saved.'}</span>
          <button type="button" className="btn btn-ghost" disabled={!dirty || saving} onClick={() => { setD(draftOf(saved)); setProblems([]); setError(undefined); }}>Revert</button>
          <button type="submit" className="btn btn-primary" disabled={!dirty || saving}>Save</button>
        </div>
      </form>
    </Page>
  );
}

function Page({ children }: { children: ReactNode }) {
  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Access</h1>
          <p className="lead">Who may use your servers, and how they prove who they are.</p>
        </div>
      </header>
      {children}
    </div>
  );
}
