// The public URL for the composition root (DESIGN §8): opens and closes the tunnel in the order the
// owner asked (publish-sequence.ts), follows its status, remembers the last URL so a change (which
// forces every client to be added again) is reported, and keeps this installation's id. The
// tunnel module itself is loaded only when the owner publishes.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../logging/logger.ts';
import type { Config } from '../config/schema.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import type { StateStore } from '../state/state-store.ts';
import type { TunnelProvider, TunnelStatus } from './tunnel-provider.ts';
import type { TunnelDeps } from './create.ts';
import { PublishSequence } from './publish-sequence.ts';

const LAST_PUBLIC_URL = { collection: 'publish', id: 'last-public-url' } as const;

export interface PublicUrlDeps {
  logger: Logger;
  secrets: SecretStore;
  /** The `publish` settings now. */
  settings: () => Config['publish'];
  /** The state store (opened on first use). */
  state: () => Promise<StateStore>;
  /** Makes the tunnel; default by `publish.tunnel`. */
  createTunnel?: (publish: Config['publish'], deps: TunnelDeps) => TunnelProvider;
  /** The gateway's local port, while it runs. */
  localPort: () => number | undefined;
  /** The path the self-check fetches through the public URL. */
  checkPath: () => string;
  /** The public URL came online at a new address, or went away: sign-in follows it. */
  onurl: () => void;
  /** Anything shown changed (status, URL). */
  onstatus: () => void;
}

export class PublicUrl {
  private tunnel?: TunnelProvider;
  /** The tunnel's status, as the tray and the Publish page show it. */
  status: TunnelStatus = { state: 'offline', reason: 'not published' };
  /** The tunnel's URL while it is online. */
  url?: string;
  /** Set when the public URL differs from the one clients signed in with before: they must be re-added. */
  issuerChanged?: { from: string; to: string };
  /** Publish, unpublish and stop's tunnel close run one at a time, in the order asked. */
  private readonly sequence = new PublishSequence();

  constructor(private readonly d: PublicUrlDeps) {}

  /** True while the owner wants the servers published (the tunnel may still be connecting). */
  get published(): boolean { return Boolean(this.tunnel); }

  /** Opens the tunnel; resolves once it is online, or not published when an unpublish came first or stopped it. */
  open(): Promise<void> {
    return this.sequence.publish(() => this.openTunnel(), () => undefined);
  }

  /** Closes it (at once if it is still connecting). */
  close(): Promise<void> {
    return this.sequence.unpublish(() => this.closeTunnel());
  }

  /** Closes it for good (quit): in turn with publish, a publish still queued opens nothing. */
  stop(): Promise<void> {
    return this.sequence.unpublish(async () => {
      const tunnel = this.tunnel;
      this.tunnel = undefined;
      if (tunnel) await tunnel.stop().catch((e: Error) => this.d.logger.warn({ err: e.message }, 'closing the tunnel failed'));
    });
  }

  private async openTunnel(): Promise<void> {
    const port = this.d.localPort();
    if (port === undefined) throw new Error('the gateway is not running');
    if (this.tunnel) return;
    const factory = this.d.createTunnel ?? (await import('./create.ts')).createTunnel;
    const tunnel = factory(this.d.settings(), { logger: this.d.logger, secrets: this.d.secrets, installId: await this.installId(), checkPath: this.d.checkPath });
    this.tunnel = tunnel;
    tunnel.onstatus = (status) => { this.onTunnelStatus(tunnel, status).catch((e: Error) => this.d.logger.warn({ err: e.message }, 'could not follow the tunnel status')); };
    this.status = { state: 'connecting' };
    this.d.onstatus();
    let started: boolean;
    try {
      started = await this.sequence.started(tunnel, tunnel.start(port));
    } catch (e) {
      if (this.tunnel === tunnel) this.tunnel = undefined;
      await tunnel.stop().catch(() => {});
      this.status = { state: 'offline', reason: (e as Error).message };
      this.d.onstatus();
      throw e;
    }
    if (!started) { // an unpublish stopped it; the unpublish queued next reports
      if (this.tunnel === tunnel) this.tunnel = undefined;
      await tunnel.stop().catch(() => {});
    }
  }

  private async closeTunnel(): Promise<void> {
    const tunnel = this.tunnel;
    this.tunnel = undefined;
    this.url = undefined;
    if (tunnel) await tunnel.stop();
    this.status = { state: 'offline', reason: 'not published' };
    this.d.onurl();
    this.d.onstatus();
  }

  private async onTunnelStatus(tunnel: TunnelProvider, status: TunnelStatus): Promise<void> {
    if (this.tunnel !== tunnel) return;
    this.status = status;
    if (status.state === 'online' && status.url !== this.url) {
      const url = status.url.replace(/\/+$/, '');
      this.url = url;
      const state = await this.d.state();
      const last = await state.get<string>(LAST_PUBLIC_URL.collection, LAST_PUBLIC_URL.id);
      if (last && last !== url) {
        // The public URL is the OAuth issuer: every client registered against the old one.
        this.issuerChanged = { from: last, to: url };
        this.d.logger.warn({ from: last, to: url }, 'the public URL changed: clients must be added again with the new URL');
      }
      // The write waits for the disk: the tunnel may have been closed meanwhile (unpublish, quit).
      await state.put(LAST_PUBLIC_URL.collection, LAST_PUBLIC_URL.id, url)
        .catch((e: Error) => this.d.logger.warn({ err: e.message }, 'could not remember the public URL'));
      if (this.tunnel !== tunnel || this.url !== url) return;
      this.d.onurl();
    }
    this.d.onstatus();
  }

  /** A random id of this installation, kept in the state store. */
  private async installId(): Promise<string> {
    const state = await this.d.state();
    let id = await state.get<string>('publish', 'install-id');
    if (!id) {
      id = randomBytes(16).toString('hex');
      await state.put('publish', 'install-id', id);
    }
    return id;
  }
}
