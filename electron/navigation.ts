// Where the settings window may go (STYLE 7: the decision here, window.ts carries it out): its
// own admin-API origin only; web links open in the browser; anything else is refused.
import type { AdminEndpoint } from '../src/admin/api.ts';

/**
 * The settings UI's URL with the per-launch token in the fragment: a fragment never reaches the
 * server, its logs or a Referer header; the UI reads it and sends `Authorization: Bearer`.
 */
export function settingsUrl(endpoint: Pick<AdminEndpoint, 'url' | 'token'>): string {
  return `${endpoint.url}/#token=${encodeURIComponent(endpoint.token)}`;
}

export type NavigationDecision = 'allow' | 'open-external' | 'block';

/** What the window does when its page tries to go to `target` (link, redirect, window.open). */
export function navigationFor(target: string, allowedOrigin: string): NavigationDecision {
  let url: URL;
  try { url = new URL(target); } catch { return 'block'; }
  if (url.origin === new URL(allowedOrigin).origin) return 'allow';
  // Only plain web and mail links leave the app, and only to the default browser or mail client.
  if (url.protocol === 'https:' || url.protocol === 'http:' || url.protocol === 'mailto:') return 'open-external';
  return 'block';
}
