// The default tunnel (DESIGN §8): localtunnel, no account. The public service at localtunnel.me
// (URLs on loca.lt) shows browsers a reminder page asking for the "tunnel password" (the owner's
// public IP); a self-hosted localtunnel-server has none. Drops are common: the supervisor reconnects.
import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SocketPool, type RegistrationBody } from './localtunnel-client.ts';
import { httpGet } from './http-get.ts';
import { SupervisedTunnel, type SupervisorOptions, type TunnelConnection } from './supervisor.ts';
import { reasonOf, TunnelError } from './tunnel-error.ts';

/** The public localtunnel service. */
export const LOCALTUNNEL_PUBLIC_HOST = 'https://localtunnel.me';
/** Where the public service tells a machine its tunnel password (its public IP as seen from there). */
export const LOCALTUNNEL_PASSWORD_URL = 'https://loca.lt/mytunnelpassword';

/** What localtunnel servers accept as a subdomain (the server refuses others; the client then hangs). */
const SUBDOMAIN = /^[a-z0-9]{4,63}$/;

export interface LocaltunnelOptions extends SupervisorOptions {
  /**
   * The subdomain asked for: 4–63 lowercase letters and digits (see `subdomainFor`). Default: a
   * random one, kept for this provider's life (reconnects ask for it again). Servers' own
   * random pick (`/?new`) is not used: localtunnel-server 0.1.0 answers it with its home page.
   */
  subdomain?: string;
  /** The localtunnel server; default the public service https://localtunnel.me, else a self-hosted server's URL. */
  host?: string;
  /** Where the gateway listens; default 127.0.0.1. */
  localHost?: string;
  /**
   * Where the tunnel password is read; default https://loca.lt/mytunnelpassword on the public
   * service and none for a self-hosted server (which has no reminder page). `null`: never.
   */
  passwordUrl?: string | null;
  /**
   * When the server grants another subdomain than the one asked for, ask again this many times
   * before accepting it: right after a drop the server may still hold our previous tunnel for a
   * moment (localtunnel-server keeps it 1 s). Default 3.
   */
  subdomainRetries?: number;
  /** The wait between those; default 1.5 s. */
  subdomainRetryDelayMs?: number;
}

/** A stable subdomain for this installation: `mcpp` + 12 hex characters of sha256(installId). */
export function subdomainFor(installId: string): string {
  return 'mcpp' + createHash('sha256').update(installId).digest('hex').slice(0, 12);
}

/** Whether `host` is the public localtunnel service (reminder page, tunnel password). */
export function isPublicLocaltunnel(host: string): boolean {
  const name = new URL(host).hostname.toLowerCase();
  return ['localtunnel.me', 'loca.lt'].some((d) => name === d || name.endsWith(`.${d}`));
}

/** The owner's one line about the public service's reminder page. */
export function localtunnelBrowserNotice(password: string | undefined): string {
  return 'A person opening the sign-in page in a browser first sees a localtunnel reminder page; ' +
    `they enter the tunnel password ${password ?? "(this computer's public IP address)"} once`;
}

export class LocaltunnelProvider extends SupervisedTunnel {
  readonly kind = 'localtunnel' as const;
  readonly host: string;
  readonly subdomain: string;
  private readonly localHost: string;
  private readonly publicService: boolean;
  private readonly passwordUrl: string | undefined;
  private readonly subdomainRetries: number;
  private readonly subdomainRetryDelayMs: number;

  constructor(options: LocaltunnelOptions = {}) {
    super('localtunnel', options);
    if (options.subdomain !== undefined && !SUBDOMAIN.test(options.subdomain)) {
      throw new TunnelError('invalid-option', `the localtunnel subdomain ${JSON.stringify(options.subdomain)} must be 4 to 63 lowercase letters and digits`);
    }
    this.subdomain = options.subdomain ?? `mcpp${randomBytes(6).toString('hex')}`;
    this.host = serverOrigin(options.host ?? LOCALTUNNEL_PUBLIC_HOST);
    this.localHost = options.localHost ?? '127.0.0.1';
    this.publicService = isPublicLocaltunnel(this.host);
    const passwordUrl = options.passwordUrl === undefined ? (this.publicService ? LOCALTUNNEL_PASSWORD_URL : null) : options.passwordUrl;
    this.passwordUrl = passwordUrl ?? undefined;
    this.subdomainRetries = options.subdomainRetries ?? 3;
    this.subdomainRetryDelayMs = options.subdomainRetryDelayMs ?? 1_500;
  }

  protected async connect(localPort: number, signal: AbortSignal): Promise<TunnelConnection> {
    // The password is read alongside; a failed attempt cancels that read too.
    const passwordRead = new AbortController();
    const cancelRead = () => passwordRead.abort();
    signal.addEventListener('abort', cancelRead, { once: true });
    const password = this.passwordUrl ? readTunnelPassword(this.passwordUrl, passwordRead.signal) : Promise.resolve(undefined);
    let registration: RegistrationBody;
    let opened: OpenedTunnel | undefined;
    let url: string;
    try {
      registration = await this.register(signal);
      opened = await openTunnel(new SocketPool({
        // As localtunnel's client: the server's IP when it names one, else its host name.
        remote: { host: registration.ip ?? new URL(this.host).hostname, port: registration.port },
        size: registration.max_conn_count ?? 1,
        local: { host: this.localHost, port: localPort },
        hostHeader: this.localHost,
      }), signal);
      url = this.publicUrl(registration.url);
    } catch (e) {
      passwordRead.abort();
      await opened?.close();
      throw e;
    } finally {
      signal.removeEventListener('abort', cancelRead);
    }
    if (registration.id !== this.subdomain) {
      this.log.warn({ requested: this.subdomain, granted: registration.id, url }, 'the requested localtunnel subdomain is held by someone else: the public URL changed');
    }
    this.log.debug({ url, sockets: registration.max_conn_count }, 'localtunnel open');
    const known = await password;
    return {
      url,
      ...(known !== undefined ? { password: known } : {}),
      ...(this.publicService ? { browserNotice: localtunnelBrowserNotice(known) } : {}),
      dropped: opened.dropped,
      close: opened.close,
    };
  }

  /** Registers, asking again a few times while the server grants another subdomain than ours. */
  private async register(signal: AbortSignal): Promise<RegistrationBody> {
    for (let tries = 0; ; tries++) {
      const body = await this.registerOnce(signal);
      if (body.id === this.subdomain || tries >= this.subdomainRetries) return body;
      // The server keeps what it granted for a moment only if sockets connect: not connecting releases it.
      this.log.info({ requested: this.subdomain, granted: body.id }, 'the requested subdomain is held; asking again shortly');
      await sleep(this.subdomainRetryDelayMs, undefined, { signal }).catch(() => { throw signal.reason; });
    }
  }

  /** GET <host>/<subdomain>: the server answers { id, port, url, max_conn_count }. */
  private async registerOnce(signal: AbortSignal): Promise<RegistrationBody> {
    let url = `${this.host}/${this.subdomain}`;
    for (let redirects = 0; ; redirects++) {
      let res;
      try {
        res = await httpGet(url, { signal, headers: { accept: 'application/json' } });
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        throw new TunnelError('unreachable', `the localtunnel server ${this.host} cannot be reached: ${reasonOf(e)}`, { cause: e });
      }
      const location = res.headers.location;
      if (res.status >= 300 && res.status < 400 && location && redirects < 3) {
        url = new URL(location, url).href;
        continue;
      }
      let body: Partial<RegistrationBody> & { message?: string } = {};
      try {
        body = JSON.parse(res.body) as typeof body;
      } catch {
        // not JSON: reported below
      }
      if (res.status !== 200) {
        const said = typeof body.message === 'string' ? body.message : res.body.replace(/\s+/g, ' ').trim().slice(0, 120);
        const code = res.status >= 500 || res.status === 429 ? 'unreachable' : 'refused';
        throw new TunnelError(code, `the localtunnel server ${this.host} answered ${res.status}: ${said}`);
      }
      if (typeof body.id !== 'string' || typeof body.port !== 'number' || typeof body.url !== 'string') {
        throw new TunnelError('unreachable', `the localtunnel server ${this.host} answered something that is not a tunnel: ${res.body.slice(0, 120)}`);
      }
      return body as RegistrationBody;
    }
  }

  /**
   * The server's URL for the tunnel. A server reached on an explicit port serves its tunnels on
   * that port too (localtunnel-server answers registrations and tunnel traffic on one listener)
   * but names the URL without it: put it back.
   */
  private publicUrl(serverUrl: string): string {
    let url: URL;
    try {
      url = new URL(serverUrl);
    } catch {
      throw new TunnelError('unreachable', `the localtunnel server ${this.host} named the tunnel ${JSON.stringify(serverUrl)}, which is not a URL`);
    }
    const host = new URL(this.host);
    if (!url.port && host.port && url.protocol === host.protocol && url.hostname.endsWith(`.${host.hostname}`)) url.port = host.port;
    return url.origin;
  }
}

interface OpenedTunnel {
  dropped: Promise<string>;
  close(): Promise<void>;
}

/** Opens the pool's connections; resolves once the first is connected. Gives up when `signal` aborts. */
async function openTunnel(pool: SocketPool, signal: AbortSignal): Promise<OpenedTunnel> {
  let drop: (reason: string) => void = () => {};
  const dropped = new Promise<string>((resolve) => { drop = resolve; });
  pool.ondrop = (reason) => drop(`localtunnel: ${reason}`);
  const close = () => pool.close();
  const onAbort = () => { void close(); };
  try {
    if (signal.aborted) throw signal.reason;
    signal.addEventListener('abort', onAbort, { once: true });
    await pool.open().catch((e: Error) => {
      if (signal.aborted) throw signal.reason;
      throw new TunnelError('unreachable', e.message, { cause: e });
    });
  } catch (e) {
    await close();
    throw e;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return { dropped, close };
}

/** The public IP the public service asks browser visitors for; undefined when it cannot be read. */
async function readTunnelPassword(url: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    const res = await httpGet(url, { signal, timeoutMs: 5_000, maxBytes: 256, headers: { accept: 'text/plain' } });
    const text = res.body.trim();
    return res.status === 200 && isIP(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

function serverOrigin(host: string): string {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new TunnelError('invalid-option', `the localtunnel server ${JSON.stringify(host)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TunnelError('invalid-option', `the localtunnel server ${JSON.stringify(host)} must be an http(s) URL`);
  }
  return url.origin;
}
