// A client secret: a password field that never shows the stored value (the API never sends it),
// only whether one is stored; typing replaces it, leaving it empty keeps it.
import type { ProblemView, SecretRefView } from '../../../src/admin/api.ts';
import { Badge } from '../components/Badge.tsx';
import { Field } from '../components/Field.tsx';

export function SecretField({ label, value, stored, onChange, problems, path, optional = false }: {
  label: string;
  value: string;
  stored?: SecretRefView;
  onChange(v: string): void;
  problems?: ProblemView[];
  path: string;
  optional?: boolean;
}) {
  const hint = stored?.set
    ? `A secret is stored in the keychain (${stored.keychain}). Leave this empty to keep it; type to replace it.`
    : stored ? `Nothing is stored under "${stored.keychain}" yet: type the secret.`
      : optional ? 'Leave empty for a public client (PKCE only).' : 'Kept in the keychain, never in the config file.';
  return (
    <Field label={<>{label} {stored?.set ? <Badge tone="green">set</Badge> : null}</>} hint={hint} problems={problems} path={path}>
      {(p) => <input {...p} type="password" autoComplete="new-password" value={value} onChange={(e) => onChange(e.target.value)} placeholder={stored?.set ? '••••••••  (stored)' : ''} />}
    </Field>
  );
}
