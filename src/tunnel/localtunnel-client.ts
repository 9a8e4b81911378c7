// Our client for the localtunnel protocol, in place of the unmaintained `localtunnel` package
// (it pinned axios 0.21.4, with known advisories; we used only its socket pool). After the
// registration (GET <server>/<subdomain>, made by localtunnel-provider.ts) the server listens on
// a port of its own for this tunnel; the client keeps `max_conn_count` TCP connections open to it,
// the server sends each public HTTP request down one of them, and the client pipes that
// connection to the gateway on this computer. A connection that ends is replaced at once.
import net from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';

/** What a localtunnel server answers to GET <server>/<subdomain> (or /?new). */
export interface RegistrationBody {
  /** The subdomain granted (another than the one asked for when that one is held). */
  id: string;
  /** The port the server listens on for this tunnel's connections. */
  port: number;
  /** The tunnel's public URL, e.g. https://<id>.loca.lt. */
  url: string;
  /** The server's address for those connections, when it differs from its host name. */
  ip?: string;
  cached_url?: string;
  /** How many connections the server accepts for this tunnel; default 1. */
  max_conn_count?: number;
}

export interface SocketPoolOptions {
  /** The server's end: the registration's `ip` (else the server's host name) and `port`. */
  remote: { host: string; port: number };
  /** How many connections to keep open: the registration's `max_conn_count`. */
  size: number;
  /** The gateway on this computer. */
  local: { host: string; port: number };
  /**
   * Replaces the Host header of the first request on each connection, as localtunnel's client
   * does; later requests on a kept-alive connection arrive as sent (so nothing may rely on Host).
   */
  hostHeader?: string;
  /** Wait before trying the gateway again when it refused a connection; default 1 s. */
  localRetryMs?: number;
}

/** The connections of one registered tunnel. */
export class SocketPool {
  /**
   * Called once, with a reason, when the server stops taking our connections (refused, reset
   * before connecting): the tunnel is gone and the pool stops replacing connections. Never called
   * after `close()`, nor for a failure `open()` rejects with.
   */
  ondrop?: (reason: string) => void;

  readonly #o: Required<Omit<SocketPoolOptions, 'hostHeader'>> & Pick<SocketPoolOptions, 'hostHeader'>;
  /** Connections to the server, and to the gateway. */
  readonly #remotes = new Set<net.Socket>();
  readonly #locals = new Set<net.Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #state: 'new' | 'opening' | 'open' | 'dropped' | 'closed' = 'new';
  #opened?: { resolve: () => void; reject: (e: Error) => void };

  constructor(options: SocketPoolOptions) {
    this.#o = { localRetryMs: 1_000, ...options, size: Math.max(1, options.size) };
  }

  /** Connections to the server open right now. */
  get connected(): number {
    return [...this.#remotes].filter((s) => !s.connecting && !s.destroyed).length;
  }

  /** Opens the connections; resolves once the first is connected, rejects if the server refuses. */
  open(): Promise<void> {
    if (this.#state !== 'new') return Promise.reject(new Error(`the socket pool is ${this.#state}`));
    this.#state = 'opening';
    const opened = new Promise<void>((resolve, reject) => { this.#opened = { resolve, reject }; });
    for (let i = 0; i < this.#o.size; i++) this.#connect();
    return opened;
  }

  /** Ends every connection and timer; resolves once the sockets are closed (or after 2 s). */
  async close(): Promise<void> {
    if (this.#state === 'opening') this.#opened?.reject(new Error('the tunnel was closed while connecting'));
    this.#state = 'closed';
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const open = [...this.#remotes, ...this.#locals];
    for (const s of open) s.destroy();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(open.map((s) => (s.closed ? undefined : new Promise<void>((resolve) => s.once('close', () => resolve()))))),
      new Promise<void>((resolve) => { timer = setTimeout(resolve, 2_000); }),
    ]);
    clearTimeout(timer);
  }

  #live(): boolean {
    return this.#state === 'opening' || this.#state === 'open';
  }

  /** One connection to the server, joined to the gateway, and replaced when it ends. */
  #connect(): void {
    if (!this.#live()) return;
    const remote = net.connect({ host: this.#o.remote.host, port: this.#o.remote.port });
    remote.setKeepAlive(true);
    this.#remotes.add(remote);
    let connected = false;
    let local: net.Socket | undefined;
    let retry: NodeJS.Timeout | undefined;

    /** A new connection to the gateway for this server connection; again shortly while the gateway refuses. */
    const join = () => {
      retry = undefined;
      if (!this.#live() || remote.destroyed) return;
      remote.pause(); // what the server sends waits for the gateway
      const l = net.connect({ host: this.#o.local.host, port: this.#o.local.port });
      local = l;
      this.#locals.add(l);
      let joined = false;
      l.on('error', (e: NodeJS.ErrnoException) => {
        if (joined || e.code !== 'ECONNREFUSED' || !this.#live()) {
          remote.destroy();
          return;
        }
        const timer = setTimeout(() => { this.#timers.delete(timer); join(); }, this.#o.localRetryMs);
        retry = timer;
        this.#timers.add(timer);
      });
      l.once('close', () => this.#locals.delete(l));
      l.once('connect', () => {
        joined = true;
        const inbound = this.#o.hostHeader ? remote.pipe(new FirstHostHeader(this.#o.hostHeader)) : remote;
        inbound.pipe(l).pipe(remote);
        remote.resume();
      });
    };

    remote.on('error', (e: NodeJS.ErrnoException) => {
      if (connected) return; // the connection ends ('close'), and is replaced
      const where = `${this.#o.remote.host}:${this.#o.remote.port}`;
      this.#fail(e.code === 'ECONNREFUSED' ? `connection refused: ${where}` : `cannot connect to ${where}: ${e.code ?? e.message}`);
    });
    remote.once('connect', () => {
      connected = true;
      if (this.#state === 'opening') {
        this.#state = 'open';
        this.#opened?.resolve();
      }
      join();
    });
    remote.once('close', () => {
      this.#remotes.delete(remote);
      if (retry) {
        clearTimeout(retry);
        this.#timers.delete(retry);
      }
      local?.destroy();
      if (connected) this.#connect();
    });
  }

  #fail(reason: string): void {
    if (this.#state === 'opening') {
      this.#state = 'dropped';
      this.#opened?.reject(new Error(reason));
    } else if (this.#state === 'open') {
      this.#state = 'dropped';
      this.ondrop?.(reason);
    }
  }
}

/** How much of a connection is read looking for the first request's headers. */
const HEADER_LIMIT = 64 * 1024;

/** Rewrites the Host header of the first request on a connection; passes the rest through. */
class FirstHostHeader extends Transform {
  #held: Buffer[] = [];
  #heldBytes = 0;
  #done = false;

  constructor(private readonly host: string) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.#done) return cb(null, chunk);
    this.#held.push(chunk);
    this.#heldBytes += chunk.length;
    const head = Buffer.concat(this.#held);
    const end = head.indexOf('\r\n\r\n');
    if (end === -1 && this.#heldBytes < HEADER_LIMIT) return cb();
    this.#done = true;
    this.#held = [];
    if (end === -1) return cb(null, head);
    const headers = head.subarray(0, end).toString('latin1').replace(/(\r\nhost:[ \t]*)[^\r\n]*/i, `$1${this.host}`);
    cb(null, Buffer.concat([Buffer.from(headers, 'latin1'), head.subarray(end)]));
  }

  override _flush(cb: TransformCallback): void {
    cb(null, this.#held.length ? Buffer.concat(this.#held) : undefined);
  }
}
