// Owner actions in words, for the Activity page: the log keeps dotted names ("server.added").

const WORDS: Record<string, string> = {
  'server.added': 'Added the server',
  'server.edited': 'Changed the server',
  'server.removed': 'Removed the server',
  'access.changed': 'Changed the sign-in settings',
  'publish.settings.changed': 'Changed how the servers are published',
  'person.approved': 'Let in',
  'person.denied': 'Refused',
  'person.removed': 'Removed',
  'person.pending': 'Set back to waiting',
  'invite.created': 'Invited',
  'invite.revoked': 'Revoked the invite of',
  'client.revoked': 'Revoked a client of',
  'permissions.changed': 'Changed the permissions of',
};

export const ownerWords = (action: string): string => WORDS[action] ?? action;
