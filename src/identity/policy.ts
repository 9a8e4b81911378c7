// The access policy (DESIGN §3 `access`, §4 step 3): given who signed in and what we know of
// them, allow, deny or ask the owner. A pure function; the order of the rules is the contract.
import type { AccessConfig } from '../config/schema.ts';
import { emailDomain, normalizeEmail, type LoginMethod, type LoginProfile } from './profile.ts';
import type { UserStatus } from './users.ts';

export type Verdict = 'allow' | 'deny' | 'pending';

/** `decidedBy` of a user status the policy set (anything else names an owner's decision). */
export const POLICY_DECIDER = 'policy';

/** Which rule decided, in the order they are tried. Callers and tests switch on it. */
export const DECISION_RULES = [
  'deny-list', 'owner', 'removed', 'owner-approved', 'owner-denied',
  'allow-email', 'allow-domain', 'allow-subject', 'allow-group', 'allow-github-team', 'allow-github-org',
  'unknown-denied', 'unknown-ask-owner',
] as const;
export type DecisionRule = (typeof DECISION_RULES)[number];

export interface Decision {
  verdict: Verdict;
  /** One sentence for the person signing in (the denied or waiting page) and for the log. */
  reason: string;
  rule: DecisionRule;
}

/** What the policy reads of the user's record; undefined for someone not in the directory yet. */
export interface PolicyUser {
  status: UserStatus;
  /** `"policy"` when the policy set the status; anything else names the owner's decision. */
  decidedBy?: string;
  owner?: boolean;
  /** Every login of the person, so a subject rule matches whichever method they used today. */
  logins?: { provider: LoginMethod; subject: string }[];
}

/** The parts of the access configuration the policy reads. */
export type AccessPolicy = Pick<AccessConfig, 'allow' | 'deny' | 'unknownUsers'>;

/**
 * Decides whether the person behind `profile` may come in. Rules, first match wins:
 *
 * 1. deny list (email, domain — verified or not —, subject): deny, even the owner;
 * 2. the owner: allow;
 * 3. removed by the owner: deny;
 * 4. approved by the owner: allow; denied by the owner: deny;
 * 5. allow list: email and domain (verified emails only: an IdP that does not say is not
 *    believed, unless the owner set `trustEmails`), subject, OIDC group, GitHub team
 *    ("org/team"), GitHub organization;
 * 6. anyone else: deny, or pending with `unknownUsers: "ask-owner"`.
 */
export function decide(profile: LoginProfile, user: PolicyUser | undefined, access: AccessPolicy): Decision {
  const who = describe(profile);
  const email = profile.email ? normalizeEmail(profile.email) : undefined;
  const domain = profile.email ? emailDomain(profile.email) : undefined;
  const logins = [{ provider: profile.provider, subject: profile.subject }, ...(user?.logins ?? [])];
  const subjectListed = (list: string[]) => list.some((entry) => logins.some((l) => subjectMatches(entry, l)));

  // 1. The deny list wins over everything, so matching is loose: verified or not.
  if ((email && has(access.deny.emails, email)) || (domain && has(access.deny.domains, domain)) || subjectListed(access.deny.subjects)) {
    return { verdict: 'deny', rule: 'deny-list', reason: `${who} is on this server's deny list.` };
  }
  // 2–4. The owner, and the owner's decisions about this person.
  if (user?.owner) return { verdict: 'allow', rule: 'owner', reason: `${who} is the owner.` };
  if (user?.status === 'removed') return { verdict: 'deny', rule: 'removed', reason: `The owner removed ${who}'s access.` };
  const byOwner = user?.decidedBy !== undefined && user.decidedBy !== POLICY_DECIDER;
  if (byOwner && user?.status === 'allowed') return { verdict: 'allow', rule: 'owner-approved', reason: `The owner let ${who} in.` };
  if (byOwner && user?.status === 'denied') return { verdict: 'deny', rule: 'owner-denied', reason: `The owner refused ${who} access.` };

  // 5. The allow list. Only a verified email matches: where people can edit their email at the
  //    IdP, an address the IdP does not vouch for is anyone's claim (account takeover).
  const allow = access.allow;
  if (email && profile.emailVerified === true && has(allow.emails, email)) {
    return { verdict: 'allow', rule: 'allow-email', reason: `${who} is on the allow list.` };
  }
  if (domain && profile.emailVerified === true && has(allow.domains, domain)) {
    return { verdict: 'allow', rule: 'allow-domain', reason: `Addresses at ${domain} are allowed.` };
  }
  if (subjectListed(allow.subjects)) return { verdict: 'allow', rule: 'allow-subject', reason: `${who} is on the allow list.` };
  const group = profile.groups.find((g) => allow.groups.includes(g));
  if (group !== undefined) return { verdict: 'allow', rule: 'allow-group', reason: `Members of the group ${group} are allowed.` };
  const team = (profile.githubTeams ?? []).find((t) => has(allow.githubTeams, t.toLowerCase()));
  if (team !== undefined) return { verdict: 'allow', rule: 'allow-github-team', reason: `Members of the GitHub team ${team} are allowed.` };
  const org = (profile.githubOrgs ?? []).find((o) => has(allow.githubOrgs, o.toLowerCase()));
  if (org !== undefined) return { verdict: 'allow', rule: 'allow-github-org', reason: `Members of the GitHub organization ${org} are allowed.` };

  // 6. Everyone else.
  if (access.unknownUsers === 'ask-owner') {
    return { verdict: 'pending', rule: 'unknown-ask-owner', reason: `${who} is not on the allow list yet; the owner has been asked to let you in.` };
  }
  return { verdict: 'deny', rule: 'unknown-denied', reason: `${who} is not on this server's allow list. Ask its owner to add you.` };
}

/** Whether a list (as written in the config) holds `value`, compared case-insensitively. */
function has(list: string[], value: string): boolean {
  return list.some((entry) => normalizeEmail(entry) === value);
}

/**
 * `allow.subjects` / `deny.subjects` entries: "oidc:<sub>", "github:<id>", "local:<id>", or a
 * bare "<sub>", which means the OIDC IdP's (a GitHub id and an OIDC sub may look alike).
 */
export function subjectMatches(entry: string, login: { provider: LoginMethod; subject: string }): boolean {
  const m = /^(oidc|github|local):(.*)$/s.exec(entry);
  return m ? m[1] === login.provider && m[2] === login.subject : login.provider === 'oidc' && entry === login.subject;
}

/** How the pages name the person: their email, else their GitHub login, else method and subject. */
export function describe(profile: LoginProfile): string {
  if (profile.email) return profile.email;
  if (profile.githubLogin) return `GitHub user ${profile.githubLogin}`;
  return `${profile.provider} user ${profile.subject}`;
}
