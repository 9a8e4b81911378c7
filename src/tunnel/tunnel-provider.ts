// The boundary between the gateway and a public URL service (DESIGN §8): a TunnelProvider opens
// a public HTTPS URL that reaches the gateway's local port, and says how it is doing.

/** What a tunnel is doing, as the tray and the settings window show it. */
export type TunnelStatus =
  | { state: 'offline'; reason: string }
  | { state: 'connecting' }
  | {
      state: 'online';
      /** The public origin, e.g. https://mcpp-3f9a1c.loca.lt (no trailing slash). */
      url: string;
      /** localtunnel's "tunnel password" a browser visitor is asked for once (the owner's public IP), when known. */
      password?: string;
      /** One line for the owner about what a remote person's browser sees first, if anything. */
      browserNotice?: string;
    }
  | { state: 'reconnecting'; reason: string; attempt: number; retryInMs: number };

export type TunnelKind = 'localtunnel' | 'cloudflared' | 'ngrok' | 'url';

export interface TunnelProvider {
  readonly kind: TunnelKind;
  /** The current status; starts `offline`. */
  readonly status: TunnelStatus;
  /**
   * Opens the tunnel to http://127.0.0.1:<localPort>. Resolves once it is first `online`; rejects
   * (status `offline` with the reason) if it cannot connect at all. Afterwards it keeps itself up:
   * drops and failed self-checks go `reconnecting` and back `online` without the caller's help.
   */
  start(localPort: number): Promise<void>;
  /** Closes the tunnel; resolves once nothing of it is left running (status `offline`). */
  stop(): Promise<void>;
  /** Called on every status change, in order. Install before `start`. */
  onstatus?: (status: TunnelStatus) => void;
}
