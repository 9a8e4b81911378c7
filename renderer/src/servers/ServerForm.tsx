// Adding a server by hand or editing one: a command (stdio) or a local URL, its environment, the
// values each person gives (userEnv) and its isolation. Test runs the entry as typed, before it
// is saved; the API's problems show next to the field they are about.
import { useEffect, useRef, useState } from 'react';
import type { ProblemView, ServerTestResult, ServerView } from '../../../src/admin/api.ts';
import { useApp } from '../app-context.ts';
import type { ApiFailure } from '../api.ts';
import { asFailure } from '../use-load.ts';
import { jsonPath } from '../json-path.ts';
import { Field } from '../components/Field.tsx';
import { FieldError, ProblemSummary, problemsAt } from '../components/Problems.tsx';
import { SERVER_NAME, SERVER_PATH, draftOf, emptyDraft, entryOf, relative, type Isolation, type ServerDraft, type UserEnvDraft } from './server-draft.ts';
import { TestResult } from './TestResult.tsx';
import { useUnsaved } from '../unsaved.ts';

export function ServerForm({ server, existing, onSaved, onCancel }: {
  /** The server being edited; absent for a new one. */
  server?: ServerView;
  existing: string[];
  onSaved(view: ServerView): void;
  onCancel(): void;
}) {
  const { client, unsaved } = useApp();
  const [d, setD] = useState<ServerDraft>(() => (server ? draftOf(server) : emptyDraft()));
  const [problems, setProblems] = useState<ProblemView[]>([]);
  const [error, setError] = useState<ApiFailure>();
  const [busy, setBusy] = useState<'save' | 'test'>();
  const [result, setResult] = useState<ServerTestResult>();
  const [focusTick, setFocusTick] = useState(0);
  const form = useRef<HTMLFormElement>(null);
  const initial = useRef(JSON.stringify(d));
  const dirty = JSON.stringify(d) !== initial.current;
  const what = server ? `your changes to ${server.name}` : 'the new server';
  useUnsaved(what, dirty);
  const cancel = async () => { if (!dirty || await unsaved.confirmDiscard([what])) onCancel(); };
  // After a refusal: the first field with a problem is scrolled to and focused.
  useEffect(() => {
    if (!focusTick) return;
    const first = form.current?.querySelector<HTMLElement>('[aria-invalid="true"]') ?? form.current?.querySelector<HTMLElement>('.banner');
    first?.scrollIntoView({ block: 'center' });
    first?.focus();
  }, [focusTick]);

  /** Changes a field; the problems about it go (the others stay until the next Save or Test). */
  const set = <K extends keyof ServerDraft>(k: K, v: ServerDraft[K]) => {
    setD((x) => ({ ...x, [k]: v }));
    const path = k === 'name' ? at() : at(k);
    setProblems((ps) => ps.filter((p) => (k === 'name' ? p.path !== path : !problemsAt([p], path).length)));
  };
  const at = (...p: (string | number)[]) => jsonPath(SERVER_PATH, ...p);

  const show = (found: ProblemView[]) => {
    setProblems(found);
    if (found.length) setFocusTick((n) => n + 1);
  };

  const prepare = (): Record<string, unknown> | undefined => {
    const { entry, problems: local } = entryOf(d, server);
    const name = d.name.trim();
    if (!server && !name) local.unshift({ path: at(), reason: 'Give it a name: it becomes part of its URL, for example github' });
    else if (!server && !SERVER_NAME.test(name)) local.unshift({ path: at(), reason: 'Use letters, digits, ".", "_" and "-" (at most 64), starting with a letter or digit' });
    if (!server && existing.includes(name)) local.unshift({ path: at(), reason: 'A server with this name exists already: choose another name' });
    setError(undefined);
    show(local);
    return local.length ? undefined : entry;
  };

  /** Saves or tests the entry in the form; a refusal shows its message and its fields' problems. */
  const attempt = async (kind: 'save' | 'test', act: (entry: NonNullable<ReturnType<typeof prepare>>) => Promise<void>) => {
    const entry = prepare();
    if (!entry) return;
    setBusy(kind);
    try {
      await act(entry);
    } catch (e) {
      const f = asFailure(e);
      setError(f);
      show(f.problems.map(relative));
    } finally {
      setBusy(undefined);
    }
  };

  const save = () => attempt('save', async (entry) => {
    const saved = await client.saveServer(d.name.trim(), entry);
    initial.current = JSON.stringify(d);
    unsaved.set(what, false);
    onSaved(saved);
  });

  const test = () => attempt('test', async (entry) => {
    setResult(undefined);
    setResult(await client.testServer(d.name.trim() || 'new', entry));
  });

  const nameProblems = problems.filter((p) => p.path === at());
  return (
    <form ref={form} noValidate className="card server-form" aria-label={server ? `Edit ${server.name}` : 'New server'} onSubmit={(e) => { e.preventDefault(); void save(); }}>
      <h2>{server ? `Edit ${server.name}` : 'New server'}</h2>
      <ProblemSummary problems={problems} error={error} />
      <div className="grid-2">
        <Field label="Name" path={at()} problems={nameProblems.length ? nameProblems : undefined} hint={server ? 'The name is part of its URL; it cannot be changed here.' : 'Letters, digits, ".", "_" and "-". It becomes part of the MCP URL.'}>
          {(p) => <input {...p} value={d.name} readOnly={Boolean(server)} required onChange={(e) => set('name', e.target.value)} autoComplete="off" spellCheck={false} />}
        </Field>
        <Field label="Title (optional)" hint="Shown in this window instead of the name." path={at('title')} problems={problems}>
          {(p) => <input {...p} value={d.title} onChange={(e) => set('title', e.target.value)} />}
        </Field>
      </div>

      <fieldset className="segmented">
        <legend>It is</legend>
        <label><input type="radio" name="kind" checked={d.kind === 'stdio'} onChange={() => set('kind', 'stdio')} /> A command to run (stdio)</label>
        <label><input type="radio" name="kind" checked={d.kind === 'http'} onChange={() => set('kind', 'http')} /> A server at a local URL (HTTP)</label>
      </fieldset>

      {d.kind === 'stdio' ? (
        <>
          <div className="grid-2">
            <Field label="Command" hint="The program, found on PATH (npx, uvx, node, docker…). Run without a shell." path={at('command')} problems={problems}>
              {(p) => <input {...p} value={d.command} onChange={(e) => set('command', e.target.value)} spellCheck={false} placeholder="npx" />}
            </Field>
            <Field label="Working directory (optional)" hint="Default: your home folder." path={at('cwd')} problems={problems}>
              {(p) => <input {...p} value={d.cwd} onChange={(e) => set('cwd', e.target.value)} spellCheck={false} />}
            </Field>
          </div>
          <div className="grid-2">
            <Field label="Arguments" hint="One per line." path={at('args')} problems={problems}>
              {(p) => <textarea {...p} rows={4} value={d.args} onChange={(e) => set('args', e.target.value)} spellCheck={false} placeholder={'-y\n@modelcontextprotocol/server-memory'} />}
            </Field>
            <Field label="Environment" hint="NAME=value per line, the same for everyone. Ask each person for their own tokens below instead." path={at('env')} problems={problems}>
              {(p) => <textarea {...p} rows={4} value={d.env} onChange={(e) => set('env', e.target.value)} spellCheck={false} placeholder="LOG_LEVEL=info" />}
            </Field>
          </div>
          <Field label="Processes" path={at('isolation')} problems={problems}
            hint={d.isolation === 'shared' ? 'Everyone shares one process: only for servers that keep nothing per person.'
              : d.isolation === 'per-session' ? 'A fresh process for each session: the strongest isolation, and exact routing for servers that use sampling or elicitation.'
                : d.isolation === 'per-user' ? 'Each person gets their own process, shared by all their sessions. A question the server asks (sampling, elicitation) while several of their sessions are busy is refused rather than sent to the wrong one.'
                  : 'Each person gets their own process with their own environment (the usual choice). Once the server is seen asking questions during a call (sampling, elicitation), each new session gets its own process, so every question reaches the conversation that caused it.'}>
            {(p) => (
              <select {...p} value={d.isolation} onChange={(e) => set('isolation', e.target.value as Isolation)}>
                <option value="auto">Automatic</option>
                <option value="per-user">One per person</option>
                <option value="per-session">One per session</option>
                <option value="shared">One for everyone</option>
              </select>
            )}
          </Field>
          <UserEnvEditor fields={d.userEnv} onChange={(v) => set('userEnv', v)} problems={problems} path={at('userEnv')} />
        </>
      ) : (
        <div className="grid-2">
          <Field label="URL" hint="A Streamable HTTP MCP server on this computer, e.g. http://127.0.0.1:8080/mcp." path={at('url')} problems={problems}>
            {(p) => <input {...p} type="url" value={d.url} onChange={(e) => set('url', e.target.value)} spellCheck={false} placeholder="http://127.0.0.1:8080/mcp" />}
          </Field>
          <Field label="Headers (optional)" hint="Name: value per line, sent to it. Clients' own headers are never passed on." path={at('headers')} problems={problems}>
            {(p) => <textarea {...p} rows={3} value={d.headers} onChange={(e) => set('headers', e.target.value)} spellCheck={false} />}
          </Field>
        </div>
      )}

      <label className="check"><input type="checkbox" checked={d.enabled} onChange={(e) => set('enabled', e.target.checked)} /> Enabled (a disabled server stays in the config but is not served)</label>

      {result && <TestResult result={result} name={d.name || 'the new server'} />}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy !== undefined}>{busy === 'save' ? 'Saving…' : server ? 'Save changes' : 'Add server'}</button>
        <button type="button" className="btn" onClick={test} disabled={busy !== undefined}>{busy === 'test' ? 'Testing…' : 'Test'}</button>
        <button type="button" className="btn btn-ghost" onClick={() => void cancel()}>Cancel</button>
      </div>
    </form>
  );
}

function UserEnvEditor({ fields, onChange, problems, path }: { fields: UserEnvDraft[]; onChange(v: UserEnvDraft[]): void; problems: ProblemView[]; path: string }) {
  const update = (i: number, patch: Partial<UserEnvDraft>) => onChange(fields.map((f, j) => (j === i ? { ...f, ...patch } : f)));
  return (
    <fieldset className="user-env">
      <legend>Asked of each person</legend>
      <p className="hint">Values each person types on first use (their own API token, say). Secret ones go to the keychain, never to the config file.</p>
      {fields.map((f, i) => (
        <div className="user-env-row" key={i}>
          <Field label="Variable" path={`${path}[${i}].name`} problems={problems}>
            {(p) => <input {...p} value={f.name} onChange={(e) => update(i, { name: e.target.value })} spellCheck={false} placeholder="GITHUB_TOKEN" />}
          </Field>
          <Field label="Label">
            {(p) => <input {...p} value={f.label} onChange={(e) => update(i, { label: e.target.value })} placeholder="GitHub token" />}
          </Field>
          <Field label="Description" className="grow">
            {(p) => <input {...p} value={f.description} onChange={(e) => update(i, { description: e.target.value })} />}
          </Field>
          <label className="check"><input type="checkbox" checked={f.secret} onChange={(e) => update(i, { secret: e.target.checked })} /> Secret</label>
          <label className="check"><input type="checkbox" checked={f.optional} onChange={(e) => update(i, { optional: e.target.checked })} /> Optional</label>
          <button type="button" className="btn btn-small btn-ghost" aria-label={`Remove ${f.name || 'this field'}`} onClick={() => onChange(fields.filter((_, j) => j !== i))}>Remove</button>
        </div>
      ))}
      <FieldError id={`${path}-error`} problems={problems.filter((p) => p.path === path)} path={path} />
      <button type="button" className="btn btn-small" onClick={() => onChange([...fields, { name: '', label: '', description: '', secret: true, optional: false }])}>Add a value to ask for</button>
    </fieldset>
  );
}
