// Cold start of the real command, as a person runs it: `node bin/mcp-publish.js serve` (the
// compiled dist/) on an app-data folder of its own (MCP_PUBLISH_HOME, the encrypted-file secret
// store keyed by MCP_PUBLISH_SECRET_KEY, a fixed port so token audiences stay valid across
// starts), serving the built-in demo server with sign-in on.
//   first run (a fresh folder each): spawn → listening, spawn → owner and password printed;
//   later runs (one folder, the owner signed in once beforehand through the real flow):
//     spawn → listening, spawn → owner printed, spawn → first successful tools/call on demo
//     (the client starts when the "running on" line appears).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, type BenchProcess, type ProcessSet, type StopReport } from './proc.ts';
import { RawMcpSession } from './raw-client.ts';
import { personAddress, signIn } from './sign-in.ts';

export interface CommandRun {
  /** spawn → "MCP Publish is running on …" printed. */
  listeningMs: number;
  /** spawn → the owner line printed (with the one-time password on a first run). */
  ownerMs: number;
  /** spawn → the first tools/call on the demo server answered (later runs). */
  firstCallMs?: number;
}

export interface CommandColdStart {
  firstRuns: CommandRun[];
  laterRuns: CommandRun[];
  notes: string[];
}

export interface CommandOptions {
  root: string;
  firstRuns: number;
  laterRuns: number;
  /** Past this moment (performance.now()), no new run starts. */
  deadline: number;
  onStop: (phase: string, stop: StopReport) => void;
  log: (msg: string) => void;
}

const LINE_MS = 30_000;
const RUNNING = /^MCP Publish is running on (\S+)/;
const OWNER = /^Sign in as the owner with:? (\S+)(?: \/ (\S+))?/;

/** Newest modification time under a folder (ms). */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export async function commandColdStart(procs: ProcessSet, o: CommandOptions): Promise<CommandColdStart> {
  const notes: string[] = [];
  const built = path.join(o.root, 'dist', 'cli.mjs');
  try {
    if (statSync(built).mtimeMs < newest(path.join(o.root, 'src'))) notes.push('dist/ is older than src/: the command ran a stale build (node scripts/build.mjs rebuilds it)');
  } catch {
    throw new Error('dist/cli.mjs is missing: run node scripts/build.mjs');
  }
  const port = await freePort();
  const key = randomBytes(32).toString('hex');
  const homes: string[] = [];
  const newHome = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-publish-bench-home-'));
    homes.push(dir);
    return dir;
  };
  const spawn = (home: string, label: string): BenchProcess => procs.spawn(label, process.execPath, [path.join(o.root, 'bin', 'mcp-publish.js'), 'serve', '--port', String(port)], {
    cwd: o.root,
    env: { ...process.env, MCP_PUBLISH_HOME: home, MCP_PUBLISH_SECRETS: 'file', MCP_PUBLISH_SECRET_KEY: key },
  });
  /** Reads stdout until the owner line; times the two lines; `onListening` starts with the "running on" line. */
  const watch = async (proc: BenchProcess, onListening?: (url: string) => Promise<number>) => {
    let listeningMs: number | undefined;
    let call: Promise<number> | undefined;
    for (;;) {
      const { line, at } = await proc.nextTimedLine(LINE_MS);
      const running = RUNNING.exec(line);
      if (running) {
        listeningMs = at - proc.spawnedAt;
        if (onListening) {
          call = onListening(running[1]!);
          call.catch(() => undefined); // awaited by the caller; not unhandled if this loop fails first
        }
        continue;
      }
      const owner = OWNER.exec(line);
      if (owner) {
        if (listeningMs === undefined) throw new Error(`the owner line came before "running on": ${line}`);
        return { listeningMs, ownerMs: at - proc.spawnedAt, email: owner[1]!, password: owner[2], call };
      }
    }
  };

  try {
    const firstRuns: CommandRun[] = [];
    let owner: { home: string; email: string; password: string } | undefined;
    for (let i = 0; i < o.firstRuns && performance.now() < o.deadline; i++) {
      const home = newHome();
      const proc = spawn(home, 'mcp-publish serve (first run)');
      try {
        const seen = await watch(proc);
        if (!seen.password) throw new Error('a first run printed no owner password');
        firstRuns.push({ listeningMs: seen.listeningMs, ownerMs: seen.ownerMs });
        owner ??= { home, email: seen.email, password: seen.password };
      } finally {
        o.onStop(`serve first run ${i + 1}`, await proc.stop(10_000));
      }
    }
    if (!owner) throw new Error('no first run within the time bound');
    o.log(`command cold start · first runs: listening ${firstRuns.map((r) => r.listeningMs.toFixed(0)).join(', ')} ms; owner printed ${firstRuns.map((r) => r.ownerMs.toFixed(0)).join(', ')} ms`);

    // The owner signs in once (untimed), as a person would after the first run.
    let token: string;
    {
      const proc = spawn(owner.home, 'mcp-publish serve (sign-in)');
      try {
        await watch(proc);
        token = await signIn(`http://127.0.0.1:${port}/servers/demo/mcp`, { email: owner.email, password: owner.password }, personAddress(0));
      } finally {
        o.onStop('serve for sign-in', await proc.stop(10_000));
      }
    }

    const laterRuns: CommandRun[] = [];
    for (let i = 0; i < o.laterRuns && performance.now() < o.deadline; i++) {
      const proc = spawn(owner.home, 'mcp-publish serve (later run)');
      try {
        const seen = await watch(proc, async (base) => {
          const session = await RawMcpSession.open(`${base}/servers/demo/mcp`, { headers: { authorization: `Bearer ${token}` }, maxSockets: 1 });
          await session.echo();
          const ms = performance.now() - proc.spawnedAt;
          await session.close();
          return ms;
        });
        laterRuns.push({ listeningMs: seen.listeningMs, ownerMs: seen.ownerMs, firstCallMs: await seen.call! });
      } finally {
        o.onStop(`serve later run ${i + 1}`, await proc.stop(10_000));
      }
    }
    o.log(`command cold start · later runs: listening ${laterRuns.map((r) => r.listeningMs.toFixed(0)).join(', ')} ms; first tools/call ${laterRuns.map((r) => r.firstCallMs!.toFixed(0)).join(', ')} ms`);
    return { firstRuns, laterRuns, notes };
  } finally {
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  }
}
