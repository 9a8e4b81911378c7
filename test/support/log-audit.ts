// The whole test run's log audit (DESIGN §6: logs never contain tokens, passwords or secrets):
// every gateway a test starts writes its log lines to a run-wide file, and every secret a test
// handles (tokens, passwords, secret userEnv values) is remembered in another; a last test
// (test/audit/logs.test.ts, run after the suites by npm test) checks no secret is in any line.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './gateway.ts';

export const AUDIT_DIR = process.env.MCP_PUBLISH_AUDIT_DIR ?? path.join(ROOT, '.tmp', 'log-audit');
const LOGS = path.join(AUDIT_DIR, 'logs.txt');
const SECRETS = path.join(AUDIT_DIR, 'secrets.txt');

fs.mkdirSync(AUDIT_DIR, { recursive: true });

/** Appends captured log lines to the run-wide log. */
export function auditLog(line: string): void {
  fs.appendFileSync(LOGS, line.endsWith('\n') ? line : line + '\n');
}

/** Remembers a secret value (at least 8 characters) that must never be logged. */
export function rememberSecret(value: string | undefined): void {
  if (value && value.length >= 8) fs.appendFileSync(SECRETS, JSON.stringify(value) + '\n');
}

export function readAudit(): { logs: string; secrets: string[] } {
  const logs = fs.existsSync(LOGS) ? fs.readFileSync(LOGS, 'utf8') : '';
  const secrets = fs.existsSync(SECRETS) ? fs.readFileSync(SECRETS, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string) : [];
  return { logs, secrets: [...new Set(secrets)] };
}
