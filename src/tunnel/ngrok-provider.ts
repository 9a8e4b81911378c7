// ngrok through its Node SDK, @ngrok/ngrok (DESIGN §8): a free account's authtoken (kept in the
// SecretStore) and optionally its one static domain. Free plans show browsers a one-time warning
// page; programs skip it with `ngrok-skip-browser-warning` (the self-check sends it).
import { readSecret, type SecretSource } from './secret-source.ts';
import { SupervisedTunnel, type SupervisorOptions, type TunnelConnection } from './supervisor.ts';
import { reasonOf, TunnelError, type TunnelErrorCode } from './tunnel-error.ts';

export const NGROK_BROWSER_NOTICE =
  "A person opening the sign-in page in a browser may first see ngrok's warning page (free plans); they press \"Visit Site\" once";

export interface NgrokOptions extends SupervisorOptions {
  /** The account's authtoken, from the SecretStore. */
  authtoken: SecretSource;
  /** The account's static domain, e.g. my-name.ngrok-free.app; default a random one per start. */
  domain?: string;
  /** Where the gateway listens; default 127.0.0.1. */
  localHost?: string;
}

type NgrokModule = typeof import('@ngrok/ngrok');

export class NgrokProvider extends SupervisedTunnel {
  readonly kind = 'ngrok' as const;
  private readonly authtoken: SecretSource;
  private readonly domain: string | undefined;
  private readonly localHost: string;

  constructor(options: NgrokOptions) {
    super('ngrok', options);
    this.authtoken = options.authtoken;
    this.domain = options.domain?.replace(/^https?:\/\//, '').replace(/\/+$/, '') || undefined;
    this.localHost = options.localHost ?? '127.0.0.1';
  }

  protected async connect(localPort: number, signal: AbortSignal): Promise<TunnelConnection> {
    const authtoken = await readSecret(this.authtoken, 'the ngrok authtoken (from dashboard.ngrok.com, saved in the keychain)');
    const ngrok = await loadNgrok();
    if (signal.aborted) throw signal.reason;
    let connected = false;
    let closing = false;
    let drop: (reason: string) => void = () => {};
    const dropped = new Promise<string>((resolve) => { drop = resolve; });
    let listener: Awaited<ReturnType<NgrokModule['forward']>>;
    try {
      // forward() cannot be cancelled: the supervisor closes a listener that arrives too late.
      listener = await ngrok.forward({
        addr: `${this.localHost}:${localPort}`,
        authtoken,
        ...(this.domain ? { domain: this.domain } : {}),
        onStatusChange: (status: string) => {
          if (connected && !closing && status === 'closed') drop('the ngrok session was lost');
        },
      });
    } catch (e) {
      throw ngrokError(e, authtoken);
    }
    connected = true;
    const url = listener.url();
    const close = async () => {
      if (closing) return;
      closing = true;
      await listener.close().catch(() => {});
      // The SDK keeps its session for later forwards: end it when nothing else uses it.
      const left = await ngrok.listeners().catch(() => []);
      if (left.length === 0) await ngrok.disconnect().catch(() => {});
    };
    if (!url) {
      await close();
      throw new TunnelError('unreachable', 'ngrok opened a listener without a URL');
    }
    return { url: new URL(url).origin, browserNotice: NGROK_BROWSER_NOTICE, dropped, close };
  }
}

async function loadNgrok(): Promise<NgrokModule> {
  try {
    const mod = (await import('@ngrok/ngrok')) as NgrokModule & { default?: NgrokModule };
    return mod.default ?? mod;
  } catch (e) {
    throw new TunnelError('not-installed', `the ngrok module cannot be loaded on this system: ${reasonOf(e)}`, { cause: e });
  }
}

/** ngrok's own error codes (ERR_NGROK_…) that no retry fixes: a bad authtoken, a domain not ours. */
const REFUSED_CODES = new Set(['ERR_NGROK_105', 'ERR_NGROK_106', 'ERR_NGROK_107', 'ERR_NGROK_4018', 'ERR_NGROK_313', 'ERR_NGROK_320', 'ERR_NGROK_326']);

function ngrokError(e: unknown, authtoken: string): TunnelError {
  const message = reasonOf(e).split(authtoken).join('[redacted]').replace(/\s+/g, ' ').trim();
  const errorCode = (e as { errorCode?: string }).errorCode ?? /ERR_NGROK_\d+/.exec(message)?.[0];
  let code: TunnelErrorCode = 'unreachable';
  if ((errorCode && REFUSED_CODES.has(errorCode)) || /authtoken|authentication failed/i.test(message)) code = 'refused';
  const hint = code === 'unreachable' && /establish tcp connection|dns|resolve/i.test(message)
    ? ' (no network, or a firewall blocks connect.ngrok-agent.com)'
    : '';
  // No `cause`: the SDK's error may quote the authtoken, and causes end up in logs.
  return new TunnelError(code, `ngrok could not open the tunnel: ${message}${hint}`);
}
