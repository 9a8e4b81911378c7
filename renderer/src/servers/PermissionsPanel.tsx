// A server's Tools tab: its tools as a test start lists them (name, title, description, what
// they say of their behaviour), who may use each, the rules that decide it (presets per person,
// domain or group; deny rules that win), and a preview of the server as one person would see it.
// The preview follows the rules as they are typed; nothing applies until Save.
import { useEffect, useRef, useState } from 'react';
import type { PermissionPreview, ProblemView, ServerView, ToolView, UserView } from '../../../src/admin/api.ts';
import { useApp } from '../app-context.ts';
import type { ApiFailure } from '../api.ts';
import { asFailure, useLoad } from '../use-load.ts';
import { Badge } from '../components/Badge.tsx';
import { Field } from '../components/Field.tsx';
import { ErrorBanner, ProblemSummary } from '../components/Problems.tsx';
import { useUnsaved } from '../unsaved.ts';
import { jsonPath } from '../json-path.ts';
import { entries, permissionsDraftOf, permissionsOf, PRESET_WORDS, type DenyDraft, type Everyone, type PermissionsDraft, type Preset, type RuleDraft } from './permissions-draft.ts';

const WHO_HINT = 'Emails, @domain, group:<OIDC group>, github-org:<org>, github-team:<org>/<team>, or * for everyone; separate with commas.';
/** Someone not signed in yet, described by hand: an email and groups. */
const SOMEONE = '__someone__';

export function PermissionsPanel({ server, onSaved, onClose }: { server: ServerView; onSaved(view: ServerView): void; onClose(): void }) {
  const { client, unsaved } = useApp();
  const name = server.name;
  const config = server.config as Record<string, unknown>;
  const [d, setD] = useState<PermissionsDraft>(() => permissionsDraftOf(config.permissions));
  const initial = useRef(JSON.stringify(d));
  const dirty = JSON.stringify(d) !== initial.current;
  useUnsaved(`the permissions of ${name}`, dirty);
  const tools = useLoad(() => client.serverTools(name), [client, name]);
  const people = useLoad(() => client.users().catch(() => [] as UserView[]), [client]);
  const [as, setAs] = useState('');
  const [someone, setSomeone] = useState({ email: '', groups: '' });
  const [preview, setPreview] = useState<PermissionPreview>();
  const [previewProblems, setPreviewProblems] = useState<ProblemView[]>([]);
  const [problems, setProblems] = useState<ProblemView[]>([]);
  const [error, setError] = useState<ApiFailure>();
  const [saving, setSaving] = useState(false);

  const list: ToolView[] | undefined = tools.data?.ok ? tools.data.tools : undefined;
  const person = as === '' ? undefined
    : as === SOMEONE ? { email: someone.email.trim() || undefined, groups: entries(someone.groups), githubOrgs: [], githubTeams: [] }
      : { user: as, groups: [], githubOrgs: [], githubTeams: [] };

  // The preview follows the rules and the person as they change (a moment after typing stops).
  const key = JSON.stringify([d, as, someone, Boolean(list)]);
  useEffect(() => {
    if (!list) return;
    const t = window.setTimeout(() => {
      client.previewPermissions(name, { permissions: permissionsOf(d) ?? {}, tools: list, ...(person ? { person } : {}) }).then(
        (p) => { setPreview(p); setPreviewProblems([]); },
        (e) => setPreviewProblems(asFailure(e).problems),
      );
    }, 250);
    return () => window.clearTimeout(t);
  }, [key]);

  const setRule = (i: number, change: Partial<RuleDraft>) => setD((x) => ({ ...x, allow: x.allow.map((r, j) => (j === i ? { ...r, ...change } : r)) }));
  const setDeny = (i: number, change: Partial<DenyDraft>) => setD((x) => ({ ...x, deny: x.deny.map((r, j) => (j === i ? { ...r, ...change } : r)) }));

  const save = async () => {
    setSaving(true); setError(undefined); setProblems([]);
    try {
      const view = await client.savePermissions(name, permissionsOf(d));
      initial.current = JSON.stringify(d);
      onSaved(view);
    } catch (e) {
      const f = asFailure(e);
      setError(f); setProblems(f.problems);
    } finally {
      setSaving(false);
    }
  };
  const close = async () => { if (!dirty || await unsaved.confirmDiscard([`the permissions of ${name}`])) onClose(); };
  const headingId = `permissions-${name}`;
  /** Problems of the save, else of the preview, shown beside the field they are about. */
  const shown = problems.length ? problems : previewProblems;
  const at = (...p: (string | number)[]) => jsonPath('mcpServers', name, 'permissions', ...p);
  const personName = preview?.person;

  return (
    <section className="card permissions" aria-labelledby={headingId}>
      <header className="server-head">
        <div>
          <h2 id={headingId}>Tools and permissions: {server.title ?? name}</h2>
          <p className="muted small">Who may use which of its tools, prompts and resources. You always see everything. Changes apply at once to open sessions; no process restarts.</p>
        </div>
        <div className="actions">
          <button type="button" className="btn" onClick={() => void close()}>Close</button>
        </div>
      </header>

      <h3>Rules</h3>
      <Field label="Everyone else (people no rule below names)">
        {(c) => (
          <select {...c} value={d.everyone} onChange={(e) => setD((x) => ({ ...x, everyone: e.target.value as Everyone }))}>
            {(['everything', 'read-only', 'nothing'] as const).map((p) => <option key={p} value={p}>{PRESET_WORDS[p]}</option>)}
          </select>
        )}
      </Field>
      {d.allow.map((r, i) => (
        <fieldset key={i} className="rule">
          <legend>Rule {i + 1}</legend>
          <div className="grid-2">
            <Field label="Who" hint={WHO_HINT} problems={shown} path={at('allow', i, 'who')}>{(c) => <input {...c} value={r.who} onChange={(e) => setRule(i, { who: e.target.value })} placeholder="group:contractors" />}</Field>
            <Field label="May use">
              {(c) => (
                <select {...c} value={r.preset} onChange={(e) => setRule(i, { preset: e.target.value as Preset })}>
                  {(['everything', 'read-only', 'custom'] as const).map((p) => <option key={p} value={p}>{PRESET_WORDS[p]}</option>)}
                </select>
              )}
            </Field>
            {r.preset !== 'everything' && (
              <Field label={r.preset === 'read-only' ? 'Also these tools' : 'Tools'} hint="Names; * matches anything (read_*)." problems={shown} path={at('allow', i, 'tools')}>
                {(c) => <input {...c} value={r.tools} onChange={(e) => setRule(i, { tools: e.target.value })} />}
              </Field>
            )}
            {r.preset === 'custom' && <>
              <Field label="Prompts">{(c) => <input {...c} value={r.prompts} onChange={(e) => setRule(i, { prompts: e.target.value })} />}</Field>
              <Field label="Resources" hint="URIs; * matches anything (file:///docs/*).">{(c) => <input {...c} value={r.resources} onChange={(e) => setRule(i, { resources: e.target.value })} />}</Field>
            </>}
          </div>
          <button type="button" className="btn btn-small btn-danger-quiet" onClick={() => setD((x) => ({ ...x, allow: x.allow.filter((_, j) => j !== i) }))}>Remove rule {i + 1}</button>
        </fieldset>
      ))}
      {d.deny.map((r, i) => (
        <fieldset key={`deny-${i}`} className="rule rule-deny">
          <legend>Never allowed {i + 1}</legend>
          <div className="grid-2">
            <Field label="Who" hint={WHO_HINT} problems={shown} path={at('deny', i, 'who')}>{(c) => <input {...c} value={r.who} onChange={(e) => setDeny(i, { who: e.target.value })} />}</Field>
            <Field label="Tools" hint="Wins over every rule above.">{(c) => <input {...c} value={r.tools} onChange={(e) => setDeny(i, { tools: e.target.value })} />}</Field>
            <Field label="Prompts">{(c) => <input {...c} value={r.prompts} onChange={(e) => setDeny(i, { prompts: e.target.value })} />}</Field>
            <Field label="Resources">{(c) => <input {...c} value={r.resources} onChange={(e) => setDeny(i, { resources: e.target.value })} />}</Field>
          </div>
          <button type="button" className="btn btn-small btn-danger-quiet" onClick={() => setD((x) => ({ ...x, deny: x.deny.filter((_, j) => j !== i) }))}>Remove never-allowed {i + 1}</button>
        </fieldset>
      ))}
      <div className="actions">
        <button type="button" className="btn" onClick={() => setD((x) => ({ ...x, allow: [...x.allow, { who: '', preset: 'read-only', tools: '', prompts: '', resources: '' }] }))}>Add a rule</button>
        <button type="button" className="btn" onClick={() => setD((x) => ({ ...x, deny: [...x.deny, { who: '', tools: '', prompts: '', resources: '' }] }))}>Add a never-allowed rule</button>
      </div>

      <h3>Tools</h3>
      <div className="grid-2 preview-as">
        <Field label="Preview as" hint="See the tools as one person would: someone who signed in, or someone described here.">
          {(c) => (
            <select {...c} value={as} onChange={(e) => setAs(e.target.value)}>
              <option value="">Nobody in particular</option>
              {(people.data ?? []).filter((u) => u.status === 'allowed').map((u) => <option key={u.id} value={u.id}>{u.email ?? u.name ?? u.id}</option>)}
              <option value={SOMEONE}>Someone else…</option>
            </select>
          )}
        </Field>
        {as === SOMEONE && <div className="grid-2">
          <Field label="Their email">{(c) => <input {...c} type="email" value={someone.email} onChange={(e) => setSomeone((x) => ({ ...x, email: e.target.value }))} />}</Field>
          <Field label="Their groups">{(c) => <input {...c} value={someone.groups} onChange={(e) => setSomeone((x) => ({ ...x, groups: e.target.value }))} placeholder="contractors" />}</Field>
        </div>}
      </div>
      {previewProblems.length > 0 && <ProblemSummary problems={previewProblems} title="The rules are not complete yet" />}
      {!tools.data && !tools.error && <p className="muted" role="status">Starting {name} to list its tools…</p>}
      <ErrorBanner error={tools.error} title="Could not list the tools" />
      {tools.data && !tools.data.ok && <div className="banner banner-error" role="alert">{name} could not be started to list its tools: {tools.data.error}</div>}
      {list && (
        <table className="table compact tools">
          <caption className="visually-hidden">Tools of {name} and who may use them</caption>
          <thead><tr><th scope="col">Tool</th><th scope="col">Behaviour</th><th scope="col">Who may use it</th>{personName && <th scope="col">As {personName}</th>}</tr></thead>
          <tbody>
            {(preview?.tools ?? list.map((t): PermissionPreview['tools'][number] => ({ ...t, readOnly: t.annotations?.readOnlyHint === true, grantedBy: [], deniedBy: [] }))).map((t) => (
              <tr key={t.name} className={t.allowed === false ? 'is-error' : ''}>
                <td data-label="Tool"><code>{t.name}</code>{t.title && <div>{t.title}</div>}{t.description && <div className="muted small">{t.description}</div>}</td>
                <td data-label="Behaviour">
                  {t.readOnly ? <Badge tone="green">Read-only</Badge> : t.annotations?.destructiveHint === true ? <Badge tone="red">Changes things</Badge> : <Badge tone="grey" title="Not marked read-only: read-only rules leave it out">Not stated</Badge>}
                </td>
                <td data-label="Who may use it">
                  {!preview ? <span className="muted">…</span> : t.grantedBy.length ? t.grantedBy.join('; ') : <span className="muted">only you</span>}
                  {t.deniedBy.length > 0 && <div className="small">never: {t.deniedBy.join('; ')}</div>}
                </td>
                {personName && <td data-label={`As ${personName}`}>{t.allowed ? <Badge tone="green">Allowed</Badge> : <><Badge tone="red">Refused</Badge><div className="muted small">{t.reason}</div></>}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <ProblemSummary problems={problems} error={error} />
      <div className="actions form-actions">
        <button type="button" className="btn btn-primary" onClick={() => void save()} disabled={saving || !dirty}>{saving ? 'Saving…' : 'Save permissions'}</button>
        <button type="button" className="btn" onClick={() => void close()}>Cancel</button>
      </div>
    </section>
  );
}
