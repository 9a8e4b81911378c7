// Where the admin token comes from: the settings URL carries it in the fragment
// (`<admin url>/#token=<token>`, which never reaches a server, a log or a Referer). It is kept in
// sessionStorage for reloads of this tab and taken out of the address bar at once.
const KEY = 'mcp-publish.admin-token';

/** The token from the address bar (then removed from it) or from this tab's storage. */
export function takeToken(): string | undefined {
  const fragment = new URLSearchParams(location.hash.replace(/^#\/?/, ''));
  const given = fragment.get('token');
  if (given) {
    sessionStorage.setItem(KEY, given);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}
