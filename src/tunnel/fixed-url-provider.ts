// The owner's own public URL (DESIGN §8 "own URL"): their reverse proxy forwards to the gateway
// port, so there is nothing to open. It is online at once; the self-check still says when the
// proxy stops reaching the gateway (`reconnecting` until it answers again).
import { SupervisedTunnel, type SupervisorOptions, type TunnelConnection } from './supervisor.ts';
import { TunnelError } from './tunnel-error.ts';

export interface FixedUrlOptions extends SupervisorOptions {
  /** The public origin people use, e.g. https://mcp.example.com. */
  url: string;
}

export class FixedUrlProvider extends SupervisedTunnel {
  readonly kind = 'url' as const;
  readonly url: string;

  constructor(options: FixedUrlOptions) {
    super('url', options);
    this.url = publicOrigin(options.url);
  }

  protected async connect(): Promise<TunnelConnection> {
    return { url: this.url, dropped: new Promise<string>(() => {}), close: async () => {} };
  }
}

/** The origin of an http(s) URL; the public URL is the OAuth issuer, so it carries no path. */
function publicOrigin(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TunnelError('invalid-option', `the public URL ${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new TunnelError('invalid-option', `the public URL ${JSON.stringify(url)} must be an https URL`);
  }
  if (parsed.pathname !== '/' || parsed.search || parsed.hash) {
    throw new TunnelError('invalid-option', `the public URL ${JSON.stringify(url)} must be an origin without a path (it becomes the OAuth issuer)`);
  }
  return parsed.origin;
}
