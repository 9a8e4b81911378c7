// Runs after every other suite (npm test orders it last): no token, password or secret value
// that any test handled appears in any log line any gateway wrote during the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readAudit } from '../support/log-audit.ts';

const { logs, secrets } = readAudit();

test('no token, password or secret value appears in any log line of the whole test run', { skip: secrets.length === 0 ? 'skipped: run it after the suites (npm test does); nothing was recorded' : false }, () => {
  assert.ok(logs.length > 0, 'the run left log lines to check');
  const leaked = secrets.filter((s) => logs.includes(s) || logs.includes(JSON.stringify(s).slice(1, -1)));
  assert.deepEqual(leaked.map((s) => `${s.slice(0, 6)}… (${s.length} chars)`), []);
  // The check can fail: the log really does hold the kind of lines secrets would be in.
  assert.match(logs, /"msg":"signed in"/);
});
