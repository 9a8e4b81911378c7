// Builds the TunnelProvider the config's `publish` block asks for (DESIGN §8), with the
// self-check and the tokens from the SecretStore wired in. The publisher calls it on publish().
import type { Config } from '../config/schema.ts';
import type { Logger } from '../logging/logger.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import { CloudflaredProvider } from './cloudflared-provider.ts';
import { FixedUrlProvider } from './fixed-url-provider.ts';
import { LocaltunnelProvider, subdomainFor } from './localtunnel-provider.ts';
import { NgrokProvider } from './ngrok-provider.ts';
import type { SecretSource } from './secret-source.ts';
import { createSelfCheck, type SelfCheck, type SelfCheckTransport } from './self-check.ts';
import type { SupervisorOptions } from './supervisor.ts';
import { TunnelError } from './tunnel-error.ts';
import type { TunnelProvider } from './tunnel-provider.ts';

/**
 * `publish` options read here when the schema has them (until then zod strips them and the
 * defaults apply). Each is documented beside its default.
 */
export interface PublishTunnelOptions {
  /** localtunnel: the server; default the public service https://localtunnel.me. A self-hosted server shows no reminder page. */
  host?: string;
  /** cloudflared: the public hostname of a named tunnel, e.g. https://mcp.example.com; default none (a quick tunnel). */
  hostname?: string;
  /** cloudflared named tunnel: where its token is kept; default { keychain: "tunnel/cloudflared-token" }. */
  cloudflaredToken?: { keychain: string };
  /** ngrok: where the authtoken is kept; default { keychain: "tunnel/ngrok-authtoken" }. */
  ngrokAuthtoken?: { keychain: string };
  /** ngrok: the account's static domain, e.g. my-name.ngrok-free.app; default a random domain. */
  ngrokDomain?: string;
  /** How often the public URL is checked while online, in seconds; default 30. */
  selfCheckSeconds?: number;
}

export type PublishSettings = Config['publish'] & PublishTunnelOptions;

/** SecretStore keys used when the config names none. */
export const DEFAULT_TUNNEL_SECRET_KEYS = {
  cloudflaredToken: 'tunnel/cloudflared-token',
  ngrokAuthtoken: 'tunnel/ngrok-authtoken',
} as const;

/** What a tunnel gets from the publisher. */
export interface TunnelDeps {
  logger?: Logger;
  secrets: SecretStore;
  /** A stable id of this installation: the localtunnel subdomain "auto" is derived from it. */
  installId: string;
  /** The path the self-check fetches through the public URL, asked at every check; default: no self-check. */
  checkPath?: () => string;
  /** How the self-check reaches the public URL; default node:http(s). */
  selfCheckTransport?: SelfCheckTransport;
  /** A ready-made self-check, instead of one built from `checkPath`. */
  selfCheck?: SelfCheck;
  /** Overrides `publish.selfCheckSeconds`. */
  selfCheckIntervalMs?: number;
  /** PATH for finding cloudflared and the environment it runs with; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The provider for `publish.tunnel`: localtunnel, cloudflared (quick, or named when `hostname`
 * is set), ngrok, or — with "none" and a `publicUrl` — the owner's own URL. Throws a TunnelError
 * (`invalid-option`) for settings that cannot work, before anything is opened.
 */
export function createTunnel(publish: PublishSettings, deps: TunnelDeps): TunnelProvider {
  const selfCheck = deps.selfCheck ?? (deps.checkPath ? createSelfCheck({ path: deps.checkPath, transport: deps.selfCheckTransport }) : undefined);
  const common: SupervisorOptions = {
    logger: deps.logger,
    selfCheck,
    selfCheckIntervalMs: deps.selfCheckIntervalMs ?? (publish.selfCheckSeconds ? publish.selfCheckSeconds * 1000 : undefined),
  };
  switch (publish.tunnel) {
    case 'localtunnel':
      return new LocaltunnelProvider({ ...common, subdomain: localtunnelSubdomain(publish.subdomain, deps.installId), host: publish.host });
    case 'cloudflared':
      return new CloudflaredProvider({
        ...common,
        env: deps.env,
        named: publish.hostname
          ? { url: publish.hostname, token: fromStore(deps.secrets, publish.cloudflaredToken?.keychain ?? DEFAULT_TUNNEL_SECRET_KEYS.cloudflaredToken) }
          : undefined,
      });
    case 'ngrok':
      return new NgrokProvider({
        ...common,
        authtoken: fromStore(deps.secrets, publish.ngrokAuthtoken?.keychain ?? DEFAULT_TUNNEL_SECRET_KEYS.ngrokAuthtoken),
        domain: publish.ngrokDomain,
      });
    case 'none':
      if (publish.publicUrl) return new FixedUrlProvider({ ...common, url: publish.publicUrl });
      throw new TunnelError('invalid-option', 'publish.tunnel is "none" and publish.publicUrl is not set: there is no public URL to publish');
  }
}

/** "auto": derived from the install id (stable across restarts); "random": a new one each publish; else as written. */
function localtunnelSubdomain(setting: string, installId: string): string | undefined {
  if (setting === 'auto') return subdomainFor(installId);
  if (setting === 'random' || setting === '') return undefined;
  return setting;
}

function fromStore(secrets: SecretStore, key: string): SecretSource {
  return () => secrets.get(key);
}
