// The MCP conformance suite's server scenarios through the gateway, in front of the stdio fixture
// that implements the suite's tools, resources and prompts: every scenario that passes against
// the fixture served directly by the SDK (conformance-baseline.json) must pass through us.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fixture, startGateway } from '../support/gateway.ts';
import { CONFORMANCE_NEXT_CLI, NODE_22_MISSING, runConformanceServer } from '../support/conformance.ts';
import baseline from '../fixtures/conformance-baseline.json' with { type: 'json' };

test('every conformance scenario that passes against the SDK-served fixture passes through the gateway', { timeout: 180_000, skip: NODE_22_MISSING }, async () => {
  const gw = await startGateway({ conformance: fixture('conformance-server') });
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-conformance-'));
  try {
    // dns-rebinding-protection needs a loopback URL by name.
    const url = gw.mcpUrl('conformance').replace('127.0.0.1', 'localhost');
    const results = await runConformanceServer({ url, suite: 'all', outDir: out, timeoutMs: 150_000 });
    await fs.mkdir('test-artifacts', { recursive: true });
    await fs.writeFile('test-artifacts/conformance-gateway.json', JSON.stringify(results, null, 2));
    const failed = results.filter((r) => baseline.passing.includes(r.scenario) && !r.passed);
    assert.deepEqual(failed.map((r) => `${r.scenario}: ${r.failures.join('; ')}`), []);
    const ran = new Set(results.map((r) => r.scenario));
    assert.deepEqual(baseline.passing.filter((s) => !ran.has(s)), [], 'every baseline scenario ran');
  } finally {
    await gw.close();
    await fs.rm(out, { recursive: true, force: true });
  }
});

test('the 2026-07-28 server-stateless scenario (conformance 0.2 alpha) passes through the gateway: envelope, discover, -32021, 404s, subscriptions/listen', { timeout: 120_000, skip: NODE_22_MISSING }, async () => {
  const gw = await startGateway({ conformance: fixture('conformance-server') });
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpp-conformance-next-'));
  try {
    const url = gw.mcpUrl('conformance').replace('127.0.0.1', 'localhost');
    const [result] = await runConformanceServer({ url, scenarios: ['server-stateless'], outDir: out, timeoutMs: 90_000, cli: CONFORMANCE_NEXT_CLI, extraArgs: ['--spec-version', '2026-07-28'] });
    await fs.writeFile('test-artifacts/conformance-stateless.json', JSON.stringify(result, null, 2));
    assert.deepEqual(result!.failures, []);
    assert.deepEqual(result!.warnings, []);
  } finally {
    await gw.close();
    await fs.rm(out, { recursive: true, force: true });
  }
});
