// The `permissions` of a server (issue 14): who may use which of its tools, prompts and resources.
import { z } from 'zod';

/**
 * Who a permission rule is for: "*" (everyone), "ana@example.com" (a verified email), "@example.com"
 * (a verified email's domain), "group:<OIDC group>", "github-org:<org>", "github-team:<org>/<team>",
 * "user:<our user id>", or a login subject as in `allow.subjects` ("oidc:<sub>", "github:<id>", "local:<id>").
 */
export const PermissionWho = z.string().trim().min(1).refine(
  (v) => v === '*' || /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v) || /^@[^@\s]+\.[^@\s]+$/.test(v) || /^(group|github-org|user|oidc|github|local):\S.*$/.test(v) || /^github-team:[^/\s]+\/[^/\s]+$/.test(v),
  'use "*", an email, "@domain", "group:<name>", "github-org:<org>", "github-team:<org>/<team>", "user:<id>" or a login subject',
);

/** Names of tools and prompts, URIs of resources (and URI templates): "*" matches any run of characters. */
const PermissionItems = {
  tools: z.array(z.string().min(1)).default([]),
  prompts: z.array(z.string().min(1)).default([]),
  resources: z.array(z.string().min(1)).default([]),
};

/**
 * What a group of people may use. "everything"; "read-only": tools whose annotations say
 * `readOnlyHint: true` (a tool without annotations is not read-only), every prompt and resource,
 * plus what `tools` names; "custom": only what `tools`, `prompts` and `resources` name.
 */
export const PermissionPreset = z.enum(['everything', 'read-only', 'custom']);

export const PermissionRule = z.object({
  who: z.array(PermissionWho).min(1),
  preset: PermissionPreset.default('custom'),
  ...PermissionItems,
}).strict();

/** What the people named may never use, whatever an allow rule says (the deny side wins, as in `access`). */
export const PermissionDenyRule = z.object({
  who: z.array(PermissionWho).min(1),
  ...PermissionItems,
}).strict();

/**
 * Which tools, prompts and resources of a server each person may use (the owner always sees
 * everything). A person gets what every allow rule naming them grants together; someone no rule
 * names gets `everyone`. Changing it takes effect at once: no process restarts, open sessions are
 * told their lists changed.
 */
export const ServerPermissions = z.object({
  /** What people no allow rule names may use; default everything. "nothing": they see an empty server. */
  everyone: z.enum(['everything', 'read-only', 'nothing']).default('everything'),
  allow: z.array(PermissionRule).default([]),
  deny: z.array(PermissionDenyRule).default([]),
}).strict();
export type ServerPermissions = z.infer<typeof ServerPermissions>;
export type PermissionRule = z.infer<typeof PermissionRule>;
