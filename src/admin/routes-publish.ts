// Admin routes for how the public URL is made (issue 12 #3): the config's `publish` block with
// the tunnel tokens shown only as references (and whether one is stored), and saving it: a token
// typed in goes to the SecretStore, the config keeps its key. While published, the tunnel is
// opened again with the new settings, and the status stream tells how that goes.
import { z } from 'zod';
import { ConfigError, parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import { DEFAULT_TUNNEL_SECRET_KEYS } from '../tunnel/create.ts';
import type { PublishSettingsView } from './api.ts';
import { AdminError, type AdminDeps, type Routes } from './routing.ts';

const Input = z.object({
  tunnel: z.enum(['localtunnel', 'cloudflared', 'ngrok', 'none']),
  subdomain: z.string().optional(),
  host: z.string().optional(),
  hostname: z.string().optional(),
  ngrokDomain: z.string().optional(),
  publicUrl: z.string().nullable().optional(),
  cloudflaredToken: z.string().optional(),
  ngrokAuthtoken: z.string().optional(),
});

async function isSet(secrets: SecretStore | undefined, key: string): Promise<boolean> {
  return secrets ? (await secrets.list(key)).includes(key) : false;
}

const keyOf = (p: Config['publish'], which: 'cloudflaredToken' | 'ngrokAuthtoken') => p[which]?.keychain ?? DEFAULT_TUNNEL_SECRET_KEYS[which];

export async function publishSettingsView(p: Config['publish'], secrets: SecretStore | undefined): Promise<PublishSettingsView> {
  const ref = async (which: 'cloudflaredToken' | 'ngrokAuthtoken') => ({ keychain: keyOf(p, which), set: await isSet(secrets, keyOf(p, which)) });
  return {
    tunnel: p.tunnel, subdomain: p.subdomain, publicUrl: p.publicUrl,
    ...(p.host ? { host: p.host } : {}), ...(p.hostname ? { hostname: p.hostname } : {}), ...(p.ngrokDomain ? { ngrokDomain: p.ngrokDomain } : {}),
    cloudflaredToken: await ref('cloudflaredToken'), ngrokAuthtoken: await ref('ngrokAuthtoken'),
  };
}

export function publishRoutes(deps: AdminDeps): Routes {
  const { publisher, secrets } = deps;
  return {
    'GET /api/publish/settings': async () => publishSettingsView(publisher.currentConfig.publish, secrets),

    'PUT /api/publish/settings': async ({ body }) => {
      const input = await body(Input);
      const current = publisher.currentConfig.publish;
      const text = (v: string | null | undefined) => (v?.trim() ? v.trim() : undefined);
      const writes: [string, string][] = [];
      for (const which of ['cloudflaredToken', 'ngrokAuthtoken'] as const) {
        const typed = text(input[which]);
        if (typed) writes.push([keyOf(current, which), typed]);
      }
      await deps.config.edit(async (raw) => {
        const kept = (raw.publish ?? {}) as Record<string, unknown>;
        const next: Record<string, unknown> = { ...kept, tunnel: input.tunnel, subdomain: text(input.subdomain) ?? 'auto', publicUrl: text(input.publicUrl) ?? null };
        for (const k of ['host', 'hostname', 'ngrokDomain'] as const) {
          const v = text(input[k]);
          if (v) next[k] = v; else delete next[k];
        }
        raw.publish = next;
        // Validate before a token is stored: settings that cannot be saved store nothing.
        const publish = parseConfig(raw).publish;
        if (publish.tunnel === 'none' && !publish.publicUrl) throw new ConfigError('invalid_config', undefined, [{ path: 'publish.publicUrl', reason: 'Enter your public URL, for example https://mcp.example.com' }]);
        if (writes.length && !secrets) throw new AdminError(500, 'internal', 'there is no secret store to keep the token in');
        for (const [key, value] of writes) await secrets!.set(key, value);
      });
      deps.logger.info({ tunnel: input.tunnel }, 'owner saved the publish settings');
      deps.activity.recordOwnerAction({ action: 'publish.settings.changed', detail: `tunnel: ${input.tunnel}` });
      // Published: open the public URL again the new way (the status stream says how it goes).
      if (publisher.status().published) {
        await publisher.unpublish();
        publisher.publish().catch((e: Error) => deps.logger.warn({ err: e.message }, 'publishing with the new settings failed'));
      }
      return publishSettingsView(publisher.currentConfig.publish, secrets);
    },
  };
}
