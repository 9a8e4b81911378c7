// A list of short values (emails, domains, groups…) as removable chips with an input to add more:
// Enter or the Add button adds, each chip has its own labelled Remove button.
import { useId, useState } from 'react';
import type { ProblemView } from '../../../src/admin/api.ts';
import { FieldError, problemsAt } from './Problems.tsx';

export function ListEditor({ label, values, onChange, placeholder, hint, problems, path, normalize = (v) => v.trim() }: {
  label: string;
  values: string[];
  onChange(values: string[]): void;
  placeholder?: string;
  hint?: string;
  problems?: readonly ProblemView[];
  path?: string;
  normalize?: (value: string) => string;
}) {
  const id = useId();
  const [draft, setDraft] = useState('');
  const invalid = path ? problemsAt(problems, path).length > 0 : false;
  const add = () => {
    const parts = draft.split(/[\s,;]+/).map(normalize).filter(Boolean);
    const next = [...values];
    for (const p of parts) if (!next.some((v) => v.toLowerCase() === p.toLowerCase())) next.push(p);
    onChange(next);
    setDraft('');
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
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); add(); } }}
        />
        <button type="button" className="btn" onClick={add} disabled={!draft.trim()} aria-label={`Add to ${label.toLowerCase()}`}>Add</button>
      </div>
      {hint && <div className="hint" id={`${id}-hint`}>{hint}</div>}
      {path && <FieldError id={`${id}-error`} problems={problems} path={path} />}
    </div>
  );
}
