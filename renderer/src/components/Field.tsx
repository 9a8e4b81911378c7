// One labelled form field: the label, the control, a hint and the API's problems for its JSON
// path, wired together with ids so screen readers read them with the control.
import { useId, type ReactNode } from 'react';
import type { ProblemView } from '../../../src/admin/api.ts';
import { FieldError, problemsAt } from './Problems.tsx';

export interface ControlProps {
  id: string;
  'aria-describedby'?: string;
  'aria-invalid'?: boolean;
}

export function Field({ label, hint, problems, path, children, className = '' }: {
  label: ReactNode;
  hint?: ReactNode;
  problems?: readonly ProblemView[];
  /** The JSON path whose problems show here. */
  path?: string;
  children: (control: ControlProps) => ReactNode;
  className?: string;
}) {
  const id = useId();
  const invalid = path ? problemsAt(problems, path).length > 0 : false;
  const described = [hint ? `${id}-hint` : '', invalid ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className={`field ${invalid ? 'is-invalid' : ''} ${className}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, ...(described ? { 'aria-describedby': described } : {}), ...(invalid ? { 'aria-invalid': true } : {}) })}
      {hint && <div className="hint" id={`${id}-hint`}>{hint}</div>}
      {path && <FieldError id={`${id}-error`} problems={problems} path={path} />}
    </div>
  );
}
