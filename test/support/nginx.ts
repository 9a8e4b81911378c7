// A real nginx (Debian's package) in front of a team's replicas on loopback, configured as the
// README's "Running it for a team" says: affinity on Mcp-Session-Id (`hash … consistent`), no
// buffering (SSE), a request that cannot reach a replica tried on the next. Its access log names
// the replica each request went to. Stopped, and its folder removed, by `stop()`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface TestNginx {
  url: string;
  /** `<replica address> <method> <uri> <Mcp-Session-Id or ->` for each request so far. */
  accessLog(): string[];
  stop(): Promise<void>;
}

/** The nginx program, or undefined when it is not installed. */
export function nginxBin(): string | undefined {
  for (const p of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx']) if (fs.existsSync(p)) return p;
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

export function nginxMissing(): string | undefined {
  return nginxBin() ? undefined : 'skipped: nginx is not installed (apt-get install nginx)';
}

/** The `http` block the README shows, for replicas on `upstreams` (host:port), listening on `port`. */
export function teamProxyConfig(upstreams: string[], port: number, dir: string): string {
  return `
worker_processes 1;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 4096; }
http {
  log_format replica '$upstream_addr $request_method $request_uri $http_mcp_session_id';
  access_log ${dir}/access.log replica;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;

  upstream mcp_publish {
    # A session's requests go to one replica; requests without a session are spread round-robin.
    hash $http_mcp_session_id consistent;
${upstreams.map((u) => `    server ${u} max_fails=1 fail_timeout=10s;`).join('\n')}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://mcp_publish;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 1h;
      proxy_next_upstream error timeout;
    }
  }
}
`;
}

export async function startNginx(upstreams: string[], port: number): Promise<TestNginx> {
  const bin = nginxBin();
  if (!bin) throw new Error('nginx is not installed');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpp-nginx-'));
  // Its workers run as an unprivileged user when we are root: they write temp files here.
  fs.chmodSync(dir, 0o777);
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, teamProxyConfig(upstreams, port, dir));
  const child: ChildProcess = spawn(bin, ['-p', dir, '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  process.once('exit', () => child.kill('SIGKILL'));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    // Listening is enough: a request now would mark replicas that are not up yet as failed.
    const listening = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (listening) break;
    {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nginx did not start: ${err}${fs.existsSync(`${dir}/error.log`) ? fs.readFileSync(`${dir}/error.log`, 'utf8') : ''}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    accessLog: () => (fs.existsSync(`${dir}/access.log`) ? fs.readFileSync(`${dir}/access.log`, 'utf8').split('\n').filter(Boolean) : []),
    async stop() {
      if (child.exitCode === null) child.kill('SIGQUIT');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
