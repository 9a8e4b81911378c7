// A TCP proxy on loopback that a test can cut, the way a tunnel drops connections: every
// connection through it is forwarded to the target until `cut()` destroys them all.
import net from 'node:net';

export interface TcpProxy {
  /** http://127.0.0.1:<port>: the target's address as seen through the proxy. */
  url: string;
  /** Destroys every connection open now (new ones are forwarded as before). */
  cut(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const t = new URL(target);
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(t.port), t.hostname);
    open.add(client);
    open.add(upstream);
    const drop = () => { client.destroy(); upstream.destroy(); open.delete(client); open.delete(upstream); };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      const n = open.size;
      for (const s of open) s.destroy();
      open.clear();
      return n;
    },
    close() {
      for (const s of open) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
