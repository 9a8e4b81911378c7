// Why publishing fails, in one message with a next step (issue 12 #3): the tunnel's own reason
// ("the localtunnel server https://localtunnel.me cannot be reached: getaddrinfo ENOTFOUND
// localtunnel.me") becomes "Can't reach localtunnel.me" and what to do about it, naming the
// tunnel in use. The raw reason stays available as `detail`.
import type { Config } from '../config/schema.ts';
import type { TunnelStatus } from '../tunnel/tunnel-provider.ts';
import type { TunnelProblemView } from './api.ts';

/** The tunnel the settings choose, in words, and the service it talks to. */
export function tunnelName(publish: Config['publish']): { label: string; service: string } {
  switch (publish.tunnel) {
    case 'localtunnel': {
      const service = hostOf(publish.host ?? 'https://localtunnel.me');
      return { label: publish.host ? `localtunnel (your server ${service})` : 'localtunnel (localtunnel.me)', service };
    }
    case 'cloudflared': return { label: publish.hostname ? `Cloudflare named tunnel (${hostOf(publish.hostname)})` : 'Cloudflare quick tunnel', service: 'Cloudflare' };
    case 'ngrok': return { label: publish.ngrokDomain ? `ngrok (${publish.ngrokDomain})` : 'ngrok', service: 'ngrok' };
    case 'none': return { label: publish.publicUrl ? `your own URL (${hostOf(publish.publicUrl)})` : 'your own URL (not set)', service: publish.publicUrl ? hostOf(publish.publicUrl) : 'your own URL' };
  }
}

/** Reasons that are not failures: the owner turned it off, or it never ran. */
const QUIET = new Set(['not published', 'not started', 'stopped']);

export function tunnelProblem(publish: Config['publish'], status: TunnelStatus): TunnelProblemView | undefined {
  if (status.state === 'online' || status.state === 'connecting') return undefined;
  const reason = status.reason;
  if (status.state === 'offline' && QUIET.has(reason)) return undefined;
  const { service } = tunnelName(publish);
  const other = publish.tunnel === 'cloudflared' ? 'localtunnel' : 'Cloudflare';
  const retrying = status.state === 'reconnecting';
  const orSwitch = `, or switch to ${other} below`;
  const said = (title: string, next: string): TunnelProblemView => ({ title, next, detail: reason });
  if (/ENOTFOUND|EAI_AGAIN|getaddrinfo/.test(reason)) {
    const host = /(?:ENOTFOUND|EAI_AGAIN) ([^\s:;,]+)/.exec(reason)?.[1] ?? service;
    return said(`Can't reach ${host}`, `This computer could not look up ${host}: check its internet connection${orSwitch}.`);
  }
  if (/ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|cannot be reached|socket hang up/.test(reason)) {
    return said(`Can't reach ${service}`, `Check this computer's internet connection (and any firewall or proxy)${orSwitch}.`);
  }
  if (/ETIMEDOUT|timed out|timeout|no \w+ tunnel after/i.test(reason)) {
    return said(`${service} did not answer in time`, `Check this computer's internet connection${orSwitch}.`);
  }
  const status5xx = /answered (5\d\d|429)/.exec(reason)?.[1];
  if (status5xx) return said(`${service} is not working right now (it answered ${status5xx})`, `${retrying ? 'It is tried again by itself.' : 'Try again in a while.'} If it keeps failing, switch to ${other} below.`);
  if (/cloudflared/.test(reason) && /not installed|not found|PATH/i.test(reason)) {
    return said('cloudflared is not installed', 'Install it (macOS: brew install cloudflared; Windows: winget install Cloudflare.cloudflared; Linux: your package manager), or choose localtunnel or ngrok below.');
  }
  if (/authtoken/i.test(reason) && /not set/.test(reason)) return said('ngrok needs your authtoken', 'Paste it below: it is on your ngrok dashboard, under "Your Authtoken".');
  if (/authtoken|ERR_NGROK_1\d\d|ERR_NGROK_4\d\d/i.test(reason)) return said('ngrok refused the tunnel', 'Check the authtoken and the static domain below (both from your ngrok dashboard).');
  if (/token/i.test(reason) && /not set/.test(reason)) return said('The Cloudflare tunnel token is missing', 'Paste the token of your named tunnel below (Cloudflare Zero Trust → Networks → Tunnels).');
  if (/self-check|through the public URL/i.test(reason)) {
    return said('The tunnel is up, but the public URL does not answer', retrying ? 'It reconnects by itself. If it keeps failing, switch to another tunnel below.' : 'Turn Publish on again, or switch to another tunnel below.');
  }
  if (/is not a URL|must be an https URL|must be an origin|subdomain/.test(reason)) return said('The tunnel settings cannot work', `${capital(reason)}: change them below.`);
  return said('The public URL could not be opened', retrying ? `It is tried again by itself. If it keeps failing, switch to ${other} below.` : `Turn Publish on to try again${orSwitch}.`);
}

function hostOf(url: string): string {
  try { return new URL(url).host; } catch { return url; }
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
