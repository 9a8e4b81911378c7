// A real `mcp-publish serve` process on an app-data folder of the test's: started, read (its
// gateway URL, admin API, the owner's one-time password), and ended by a signal or killed
// outright. Every process started here is killed when the test process exits, whatever happens.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './gateway.ts';
import { auditLog, rememberSecret } from './log-audit.ts';

const BIN = path.join(ROOT, 'bin/mcp-publish.js');
const live = new Set<ChildProcess>();
process.once('exit', () => { for (const child of live) child.kill('SIGKILL'); });

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves when the process has ended, with its exit code or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
  /** Resolves once the gateway and the admin API are up (rejects if the process ends first). */
  ready(ms?: number): Promise<ServeInfo>;
  /** Sends `signal` (default SIGKILL) and waits until the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface ServeInfo {
  /** The gateway, e.g. http://127.0.0.1:<port>: the issuer when nothing is published. */
  url: string;
  admin: { url: string; token: string };
  /** Printed the first time only. */
  owner?: { email: string; password: string };
}

/** Starts `mcp-publish serve <args>` with MCP_PUBLISH_HOME=`home` and the env given. */
export function startServe(home: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): ServeProcess {
  let out = '';
  let err = '';
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    cwd: ROOT, env: { ...process.env, MCP_PUBLISH_HOME: home, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      live.delete(child);
      // Its log lines (JSON) are audited; the console text shows the owner's password and the
      // settings URL on purpose, as `serve` does for the person who started it.
      auditLog(out.split('\n').filter((l) => l.startsWith('{')).join('\n'));
      auditLog(err);
      resolve({ code, signal });
    });
  });
  let ended = false;
  void exited.then(() => { ended = true; });

  return {
    child, pid: child.pid!, exited,
    stdout: () => out,
    stderr: () => err,
    async ready(ms = 30_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const settings = /Settings \(this computer only\): (http:\/\/\S+)\/#token=(\S+)/.exec(out);
        const running = /MCP Publish is running on (http:\/\/\S+)/.exec(out);
        if (settings && running) {
          const owner = /Sign in as the owner with: (\S+) \/ (\S+)/.exec(out);
          if (owner) rememberSecret(owner[2]);
          rememberSecret(settings[2]);
          return {
            url: running[1]!, admin: { url: settings[1]!, token: settings[2]! },
            ...(owner ? { owner: { email: owner[1]!, password: owner[2]! } } : {}),
          };
        }
        if (ended) throw new Error(`serve ended before it was ready:\n${out}\n${err}`);
        if (Date.now() > deadline) throw new Error(`serve was not ready after ${ms} ms:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async kill(signal = 'SIGKILL') {
      if (!ended) child.kill(signal);
      await exited;
    },
  };
}

/** A call to the admin API of a running serve; throws unless it answers 2xx. */
export async function adminCall<T>(admin: { url: string; token: string }, method: string, route: string, body?: unknown): Promise<T> {
  const res = await fetch(`${admin.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${admin.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}
