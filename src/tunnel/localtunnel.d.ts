// localtunnel 2.0.2 ships no type declarations. We use its Tunnel class (the one the package's
// main function wraps) so that our own code makes the registration request: the package's
// retries it every second forever, with no deadline and no way to cancel (see localtunnel-provider.ts).
declare module 'localtunnel/lib/Tunnel.js' {
  import { EventEmitter } from 'node:events';
  import type { Socket } from 'node:net';

  /** What the server answers to GET <host>/<subdomain>. */
  export interface RegistrationBody {
    id: string;
    port: number;
    url: string;
    ip?: string;
    cached_url?: string;
    max_conn_count?: number;
  }

  export interface TunnelOptions {
    /** The local port requests are forwarded to. */
    port: number;
    /** The localtunnel server, e.g. https://localtunnel.me. */
    host: string;
    subdomain?: string;
    /** Connect locally to this host, and rewrite the Host header of the first request of each socket to it. */
    local_host?: string;
  }

  /** The pool of TCP sockets to the server; 'open' gives each socket once it is connected. */
  export interface TunnelCluster extends EventEmitter {
    on(event: 'open', listener: (remote: Socket) => void): this;
    on(event: string, listener: (...args: any[]) => void): this;
  }

  export default class Tunnel extends EventEmitter {
    constructor(options: TunnelOptions);
    /** Set by open(): the granted id and the server's public URL for it. */
    clientId?: string;
    url?: string;
    closed: boolean;
    tunnelCluster?: TunnelCluster;
    /** Fetches the registration (replaced by ours); calls back with the connection info. */
    _init(cb: (err: Error | null, info?: unknown) => void): void;
    /** Turns a registration body into the connection info `_init` hands on. */
    _getInfo(body: RegistrationBody): unknown;
    open(cb: (err?: Error) => void): void;
    close(): void;
  }
}
