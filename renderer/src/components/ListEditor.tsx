// A list of short values (emails, domains, groups…) as removable chips with an input to add more:
// Enter or the Add button adds, each chip has its own labelled Remove button.
import { useId, useState } from 'react';
import type { ProblemView } from '../../../src/admin/api.ts';
import { FieldError, problemsAt } from './Problems.tsx';

export function ListEditor({ label, values, onChange, placeholder, hint, problems, path, normalize = (v) => v.trim(), validate }: {
  label: string;
  values: string[];
  onChange(values: string[]): void;
  placeholder?: string;
  hint?: string;
  problems?: readonly ProblemView[];
  path?: string;
  normalize?: (value: string) => string;
  /** Why a value cannot be added (it stays in the input, the reason beside it), or undefined. */
  validate?: (value: string) => string | undefined;
}) {
  const id = useId();
  const [draft, setDraft] = useState('');
  const [rejected, setRejected] = useState<string[]>([]);
  const invalid = rejected.length > 0 || (path ? problemsAt(problems, path).length > 0 : false);
  const add = () => {
    const parts = draft.split(/[\s,;]+/).map(normalize).filter(Boolean);
    const reasons = parts.map((p) => validate?.(p));
    const next = [...values];
    parts.forEach((p, i) => { if (!reasons[i] && !next.some((v) => v.toLowerCase() === p.toLowerCase())) next.push(p); });
    if (next.length !== values.length) onChange(next);
    // What could not be added stays in the input to be corrected.
    setDraft(parts.filter((_, i) => reasons[i]).join(' '));
    setRejected(reasons.filter((r): r is string => Boolean(r)));
  };
  return (
    <div className={`field list-editor ${invalid ? 'is-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {values.length > 0 ? (
        <ul className="chips" aria-label={`Current ${label.toLowerCase()}`}>
          {values.map((v) => (
            <li key={v} className="chip">
              <span>{v}</span>
              <button type="button" className="chip-remove" aria-label={`Remove ${v} from ${label.toLowerCase()}`} onClick={() => onChange(values.filter((x) => x !== v))}>×</button>
            </li>
          ))}
        </ul>
      ) : <div className="chips-empty">None</div>}
      <div className="inline-add">
        <input
          id={id} type="text" value={draft} placeholder={placeholder} autoComplete="off"
          aria-describedby={[hint ? `${id}-hint` : '', invalid ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined}
          aria-invalid={invalid || undefined}
          onChange={(e) => { setDraft(e.target.value); setRejected([]); }}
          onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); add(); } }}
        />
        <button type="button" className="btn" onClick={add} disabled={!draft.trim()} aria-label={`Add to ${label.toLowerCase()}`}>Add</button>
      </div>
      {hint && <div className="hint" id={`${id}-hint`}>{hint}</div>}
      {rejected.length > 0
        ? <div className="field-error" id={`${id}-error`} role="alert">{rejected.map((r, i) => <div key={i}>{r}.</div>)}</div>
        : path && <FieldError id={`${id}-error`} problems={problems} path={path} />}
    </div>
  );
}
