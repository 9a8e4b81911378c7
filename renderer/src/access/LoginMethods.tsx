// The sign-in methods on the Access page: local accounts, an OpenID Connect provider, GitHub;
// each provider with its redirect URI to register and a Test button.
import type { AccessView, ProblemView } from '../../../src/admin/api.ts';
import { CopyField } from '../components/CopyButton.tsx';
import { Field } from '../components/Field.tsx';
import type { AccessDraft, GithubDraft, OidcDraft } from './access-draft.ts';
import { SecretField } from './SecretField.tsx';
import { TestSignIn } from './TestSignIn.tsx';

interface Props {
  d: AccessDraft;
  saved: AccessView;
  dirty: boolean;
  problems: ProblemView[];
  update(patch: Partial<AccessDraft>): void;
}

export function LoginMethods({ d, saved, dirty, problems, update }: Props) {
  const oidc = (patch: Partial<OidcDraft>) => update({ oidc: { ...d.oidc, ...patch } });
  const github = (patch: Partial<GithubDraft>) => update({ github: { ...d.github, ...patch } });
  const typedIssuer = d.oidc.issuer.trim().replace(/\/+$/, '');
  return (
    <section className="card" aria-labelledby="login-title">
      <h2 id="login-title">How people sign in</h2>
      <label className="check method">
        <input type="checkbox" checked={d.local} onChange={(e) => update({ local: e.target.checked })} />
        <span><strong>Accounts you create</strong><span className="muted block">Email and password; you invite each person with a one-time link (Users page).</span></span>
      </label>

      <label className="check method">
        <input type="checkbox" checked={d.oidcOn} onChange={(e) => update({ oidcOn: e.target.checked })} />
        <span><strong>Your identity provider (OpenID Connect)</strong><span className="muted block">Google, Microsoft Entra ID, Okta, Keycloak, Auth0…</span></span>
      </label>
      {d.oidcOn && (
        <div className="method-body">
          <CopyField stacked label="Redirect URI to register at your provider" value={saved.redirectUris.oidc} />
          <div className="grid-2">
            <Field label="Issuer URL" hint="For example https://accounts.google.com" path="access.login.oidc.issuer" problems={problems}>
              {(p) => <input {...p} type="url" value={d.oidc.issuer} onChange={(e) => oidc({ issuer: e.target.value })} spellCheck={false} placeholder="https://accounts.google.com" />}
            </Field>
            <Field label="Client ID" path="access.login.oidc.clientId" problems={problems}>
              {(p) => <input {...p} value={d.oidc.clientId} onChange={(e) => oidc({ clientId: e.target.value })} spellCheck={false} autoComplete="off" />}
            </Field>
          </div>
          <SecretField label="Client secret" value={d.oidc.secret} stored={d.oidc.secretRef} onChange={(secret) => oidc({ secret })} problems={problems} path="access.login.oidc.clientSecret" optional />
          <details className="more">
            <summary>More OpenID Connect settings</summary>
            <div className="grid-2">
              <Field label="Email claim" hint='Taken as the email; Entra ID users may want "upn".' path="access.login.oidc.identityClaim" problems={problems}>
                {(p) => <input {...p} value={d.oidc.identityClaim} onChange={(e) => oidc({ identityClaim: e.target.value })} spellCheck={false} />}
              </Field>
              <Field label="Groups claim" path="access.login.oidc.groupsClaim" problems={problems}>
                {(p) => <input {...p} value={d.oidc.groupsClaim} onChange={(e) => oidc({ groupsClaim: e.target.value })} spellCheck={false} />}
              </Field>
              <Field label="Scopes" hint='Space-separated; add "groups" where your provider needs it.' path="access.login.oidc.scopes" problems={problems}>
                {(p) => <input {...p} value={d.oidc.scopes} onChange={(e) => oidc({ scopes: e.target.value })} spellCheck={false} />}
              </Field>
              <Field label="Button text (optional)" path="access.login.oidc.label" problems={problems}>
                {(p) => <input {...p} value={d.oidc.label} onChange={(e) => oidc({ label: e.target.value })} placeholder="Sign in with …" />}
              </Field>
            </div>
            <label className="check"><input type="checkbox" checked={d.oidc.trustEmails} onChange={(e) => oidc({ trustEmails: e.target.checked })} /> Trust the provider's emails as verified (only for providers whose directory owns the addresses, such as Entra ID)</label>
          </details>
          <TestSignIn name="OpenID Connect" dirty={dirty} request={{ provider: 'oidc', ...(typedIssuer && typedIssuer !== saved.login.oidc?.issuer ? { issuer: typedIssuer } : {}) }} />
        </div>
      )}

      <label className="check method">
        <input type="checkbox" checked={d.githubOn} onChange={(e) => update({ githubOn: e.target.checked })} />
        <span><strong>GitHub</strong><span className="muted block">With a GitHub OAuth app (GitHub Enterprise Server too).</span></span>
      </label>
      {d.githubOn && (
        <div className="method-body">
          <CopyField stacked label="Authorization callback URL to set in the GitHub OAuth app" value={saved.redirectUris.github} />
          <div className="grid-2">
            <Field label="Client ID" path="access.login.github.clientId" problems={problems}>
              {(p) => <input {...p} value={d.github.clientId} onChange={(e) => github({ clientId: e.target.value })} spellCheck={false} autoComplete="off" />}
            </Field>
            <SecretField label="Client secret" value={d.github.secret} stored={d.github.secretRef} onChange={(secret) => github({ secret })} problems={problems} path="access.login.github.clientSecret" />
          </div>
          <details className="more">
            <summary>GitHub Enterprise Server</summary>
            <div className="grid-2">
              <Field label="GitHub URL" path="access.login.github.baseUrl" problems={problems}>
                {(p) => <input {...p} type="url" value={d.github.baseUrl} onChange={(e) => github({ baseUrl: e.target.value })} spellCheck={false} />}
              </Field>
              <Field label="API URL" path="access.login.github.apiUrl" problems={problems}>
                {(p) => <input {...p} type="url" value={d.github.apiUrl} onChange={(e) => github({ apiUrl: e.target.value })} spellCheck={false} />}
              </Field>
            </div>
          </details>
          <TestSignIn name="GitHub" dirty={dirty} request={{ provider: 'github' }} />
        </div>
      )}
    </section>
  );
}
