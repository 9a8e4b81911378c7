// The sign-in settings as the Access page edits them, and back to what PUT /api/access takes:
// a client secret is sent only when the owner typed a new one, else its keychain reference.
import type { AccessInput, AccessView, ProblemView, SecretRefView } from '../../../src/admin/api.ts';

export interface OidcDraft {
  issuer: string; clientId: string; secret: string; secretRef?: SecretRefView;
  identityClaim: string; groupsClaim: string; scopes: string; trustEmails: boolean; label: string;
}
export interface GithubDraft { clientId: string; secret: string; secretRef?: SecretRefView; baseUrl: string; apiUrl: string; label: string }
export type AllowDraft = AccessView['allow'];
export type DenyDraft = AccessView['deny'];

export interface AccessDraft {
  local: boolean;
  oidcOn: boolean;
  oidc: OidcDraft;
  githubOn: boolean;
  github: GithubDraft;
  allow: AllowDraft;
  deny: DenyDraft;
  unknownUsers: AccessView['unknownUsers'];
  accessTokenMinutes: string;
  refreshTokenDays: string;
}

export function draftOf(v: AccessView): AccessDraft {
  const o = v.login.oidc;
  const g = v.login.github;
  return {
    local: v.login.local,
    oidcOn: Boolean(o),
    oidc: {
      issuer: o?.issuer ?? '', clientId: o?.clientId ?? '', secret: '', secretRef: o?.clientSecret,
      identityClaim: o?.identityClaim ?? 'email', groupsClaim: o?.groupsClaim ?? 'groups',
      scopes: (o?.scopes ?? ['openid', 'email', 'profile']).join(' '), trustEmails: o?.trustEmails ?? false, label: o?.label ?? '',
    },
    githubOn: Boolean(g),
    github: {
      clientId: g?.clientId ?? '', secret: '', secretRef: g?.clientSecret,
      baseUrl: g?.baseUrl ?? 'https://github.com', apiUrl: g?.apiUrl ?? 'https://api.github.com', label: g?.label ?? '',
    },
    allow: structuredClone(v.allow),
    deny: structuredClone(v.deny),
    unknownUsers: v.unknownUsers,
    accessTokenMinutes: String(v.tokens.accessTokenMinutes),
    refreshTokenDays: String(v.tokens.refreshTokenDays),
  };
}

/** What to PUT, or the problems found before asking (a GitHub app without a secret). */
export function inputOf(d: AccessDraft): { input: AccessInput; problems: ProblemView[] } {
  const problems: ProblemView[] = [];
  const secretOf = (typed: string, ref?: SecretRefView) => typed || (ref ? { keychain: ref.keychain } : undefined);
  const oidcSecret = secretOf(d.oidc.secret, d.oidc.secretRef);
  const githubSecret = secretOf(d.github.secret, d.github.secretRef);
  if (d.githubOn && !githubSecret) problems.push({ path: 'access.login.github.clientSecret', reason: "give the OAuth app's client secret" });
  const label = (s: string) => (s.trim() ? { label: s.trim() } : {});
  const input: AccessInput = {
    login: {
      local: d.local,
      oidc: d.oidcOn ? {
        issuer: d.oidc.issuer.trim().replace(/\/+$/, ''), clientId: d.oidc.clientId.trim(),
        ...(oidcSecret ? { clientSecret: oidcSecret } : {}),
        identityClaim: d.oidc.identityClaim.trim() || 'email', groupsClaim: d.oidc.groupsClaim.trim() || 'groups',
        scopes: d.oidc.scopes.split(/[\s,]+/).filter(Boolean), trustEmails: d.oidc.trustEmails, ...label(d.oidc.label),
      } : null,
      github: d.githubOn ? {
        clientId: d.github.clientId.trim(), clientSecret: githubSecret ?? '',
        baseUrl: d.github.baseUrl.trim(), apiUrl: d.github.apiUrl.trim(), ...label(d.github.label),
      } : null,
    },
    allow: d.allow,
    deny: d.deny,
    unknownUsers: d.unknownUsers,
    tokens: { accessTokenMinutes: toNumber(d.accessTokenMinutes), refreshTokenDays: toNumber(d.refreshTokenDays) },
  };
  return { input, problems };
}

/** A number, or the text itself so the API names what is wrong with it. */
function toNumber(s: string): number {
  const n = Number(s.trim());
  return s.trim() && Number.isFinite(n) ? n : (s as unknown as number);
}
