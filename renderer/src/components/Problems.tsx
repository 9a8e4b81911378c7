// The API's errors where they belong: a banner with its `message`, and each problem (a JSON path
// and a reason) next to the field it is about.
import type { ProblemView } from '../../../src/admin/api.ts';
import type { ApiFailure } from '../api.ts';

/** The problems at `path` or below it (`access.allow` takes `access.allow.emails[0]`). */
export function problemsAt(problems: readonly ProblemView[] | undefined, path: string): ProblemView[] {
  return (problems ?? []).filter((p) => p.path === path || p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`));
}

/** The reasons for one field, or nothing; `id` is for the input's aria-describedby. */
export function FieldError({ id, problems, path }: { id: string; problems?: readonly ProblemView[]; path: string }) {
  const mine = problemsAt(problems, path);
  if (!mine.length) return null;
  return (
    <div className="field-error" id={id} role="alert">
      {mine.map((p, i) => <div key={i}>{p.reason}{/[.!?]$/.test(p.reason) ? '' : '.'}</div>)}
    </div>
  );
}

/** A failed call: its message, and the problems listed by path when `showProblems`. */
export function ErrorBanner({ error, title, showProblems = false }: { error?: ApiFailure; title?: string; showProblems?: boolean }) {
  if (!error) return null;
  return (
    <div className="banner banner-error" role="alert">
      {title && <strong>{title}</strong>}
      <p>{error.code === 'invalid_config' ? 'Nothing was changed. ' : ''}{showProblems && error.problems.length ? 'Please fix:' : humanMessage(error)}</p>
      {showProblems && error.problems.length > 0 && (
        <ul className="problems">
          {error.problems.map((p, i) => <li key={i}>{p.path && <code>{p.path}</code>} {p.reason}</li>)}
        </ul>
      )}
    </div>
  );
}

function humanMessage(e: ApiFailure): string {
  return e.message.replace(/^nothing was changed: /, '');
}

/**
 * A form's refusal: every problem in one list at the top (each also shows beside its field), or
 * the error's message when it has none. The form focuses its first invalid field itself.
 */
export function ProblemSummary({ problems, error, title = 'Not saved' }: { problems: readonly ProblemView[]; error?: ApiFailure; title?: string }) {
  if (!problems.length) return <ErrorBanner error={error} title={error ? title : undefined} />;
  const n = problems.length;
  return (
    <div className="banner banner-error" role="alert">
      <strong>{title}: {n === 1 ? 'one thing to fix' : `${n} things to fix`}, marked below.</strong>
      <ul className="problems">{problems.map((p, i) => <li key={i}>{p.reason}</li>)}</ul>
    </div>
  );
}
