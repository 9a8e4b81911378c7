// What ships to users carries no known high or critical advisory: `npm audit --omit=dev` (when the
// registry's audit endpoint can be used from here), and the production tree holds neither the
// unmaintained localtunnel package nor the axios it pinned (0.21.4): our own localtunnel client
// (src/tunnel/localtunnel-client.ts) replaced it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../support/gateway.ts';

/** Reasons npm gives when the audit endpoint cannot be used (no network, a mirror without it). */
const UNREACHABLE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket hang up|audit endpoint returned an error|40[45] |50\d /;

function npm(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Under `npm test` the npm that runs us; else the one on PATH.
  const [cmd, pre] = process.env.npm_execpath?.endsWith('.js') ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
  return new Promise((resolve) => {
    execFile(cmd, [...pre, ...args], { cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr: stderr || (error && !stdout ? error.message : '') });
    });
  });
}

test('npm audit --omit=dev: no high or critical advisory in the production dependencies', async (t) => {
  const r = await npm(['audit', '--omit=dev', '--json'], 120_000);
  let report: { metadata?: { vulnerabilities?: Record<string, number> }; vulnerabilities?: Record<string, { severity: string; via: unknown[] }>; message?: string } = {};
  try { report = JSON.parse(r.stdout) as typeof report; } catch { /* not JSON: see below */ }
  const counts = report.metadata?.vulnerabilities;
  if (!counts) {
    const said = `${report.message ?? ''} ${r.stderr}`.replace(/\s+/g, ' ').trim();
    if (UNREACHABLE.test(said)) return t.skip(`skipped: the npm registry's audit endpoint cannot be used from here (${said.slice(0, 160)}); run "npm audit --omit=dev" where it can`);
    assert.fail(`npm audit gave no report (exit ${r.code}): ${said.slice(0, 500)}`);
  }
  t.diagnostic(`npm audit --omit=dev: ${JSON.stringify(counts)}`);
  const serious = Object.entries(report.vulnerabilities ?? {}).filter(([, v]) => v.severity === 'high' || v.severity === 'critical').map(([name, v]) => `${name} (${v.severity})`);
  assert.deepEqual(serious, [], 'production dependencies with high or critical advisories');
  assert.equal((counts.high ?? 0) + (counts.critical ?? 0), 0);
});

test('the production dependency tree has no localtunnel package and no axios (localtunnel 2.0.2 pinned axios 0.21.4)', async () => {
  const lock = JSON.parse(await fs.readFile(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; dev?: boolean; devOptional?: boolean }> };
  const shipped = Object.entries(lock.packages).filter(([where, p]) => where !== '' && !p.dev && !p.devOptional);
  assert.ok(shipped.length > 50, 'the lock file lists the production tree');
  const name = (where: string) => where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const offending = shipped.filter(([where]) => ['localtunnel', 'axios'].includes(name(where))).map(([where, p]) => `${where}@${p.version}`);
  assert.deepEqual(offending, []);
  const pkg = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  assert.equal(pkg.dependencies.localtunnel, undefined);
});
