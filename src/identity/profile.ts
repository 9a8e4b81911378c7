// What a sign-in tells us about a person (DESIGN §4 step 3): the one shape every login method
// (OIDC, GitHub, local accounts) produces and the access policy and user directory consume.

/** The login methods. */
export type LoginMethod = 'oidc' | 'github' | 'local';

/** Who signed in, as the login method vouches for it. Built only by our login code. */
export interface LoginProfile {
  /** The method that vouched for this person. */
  provider: LoginMethod;
  /** Stable id at that method: the OIDC `sub`, the GitHub numeric user id, the local account id. */
  subject: string;
  /** The email (for OIDC: the configured identity claim's value), as the method gave it. */
  email?: string;
  /** True only when the method says the email is verified (GitHub: verified primary only). */
  emailVerified?: boolean;
  /** Display name. */
  name?: string;
  /** The OIDC groups claim's values; empty for other methods. */
  groups: string[];
  /** GitHub login (user name); mutable at GitHub, so never used to decide access. */
  githubLogin?: string;
  /** GitHub organizations (logins) the person belongs to, as far as the token may see. */
  githubOrgs?: string[];
  /** GitHub teams as "org/team-slug". */
  githubTeams?: string[];
  /** Set only by local accounts the owner marked as their own (`LocalAccounts.ensureOwner`). */
  owner?: boolean;
}

/** "provider:subject", the key one login has everywhere (user directory, allow lists). */
export function loginKey(login: { provider: LoginMethod; subject: string }): string {
  return `${login.provider}:${login.subject}`;
}

/** Emails compare case-insensitively (RFC 5321 local parts may not, but every IdP we meet does). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The domain of an email, lower-cased; undefined for a string without one. */
export function emailDomain(email: string): string | undefined {
  const at = email.lastIndexOf('@');
  if (at < 1 || at === email.length - 1) return undefined;
  return normalizeEmail(email.slice(at + 1));
}
