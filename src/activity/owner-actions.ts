// Owner decisions about people, recorded in the activity log wherever they are made: the admin
// API (and the `users` CLI through it) and the tray both end in the user directory with
// `decidedBy: "owner"`, so the log follows the directory rather than each caller. The other owner
// actions (servers, access, invites, clients) are recorded by the admin routes that make them.
import type { Publisher } from '../publisher.ts';
import type { SignIn } from '../sign-in.ts';
import type { UserChange, UserStatus } from '../identity/users.ts';
import type { ActivityLog } from './activity-log.ts';

const ACTION_OF: Record<UserStatus, string> = { allowed: 'person.approved', denied: 'person.denied', removed: 'person.removed', pending: 'person.pending' };

/** Records each owner decision about a person until the returned function is called. */
export function recordPersonDecisions(publisher: Publisher, activity: ActivityLog): () => void {
  let following: SignIn | undefined;
  let stop: (() => void) | undefined;
  const onChange = ({ user, previous }: UserChange) => {
    if (user.decidedBy !== 'owner' || !previous || previous.status === user.status) return;
    activity.recordOwnerAction({ action: ACTION_OF[user.status], target: user.email ?? user.id });
  };
  // Sign-in exists only while the gateway runs: follow the directory of the current one.
  const follow = () => {
    if (publisher.signIn === following) return;
    stop?.();
    following = publisher.signIn;
    stop = following?.users.onChange(onChange);
  };
  follow();
  publisher.on('status', follow);
  return () => { publisher.off('status', follow); stop?.(); };
}
