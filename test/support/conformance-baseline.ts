// Writes test/fixtures/conformance-baseline.json: which conformance scenarios pass when the
// fixture is served directly by the SDK (conformance-http.ts), the bar the gateway must meet.
// Run: node --import tsx test/support/conformance-baseline.ts
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, runConformanceServer, startConformanceHttp } from './conformance.ts';

const outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'conformance-baseline-'));
const fixture = await startConformanceHttp();
try {
  const results = await runConformanceServer({ url: fixture.url, outDir, timeoutMs: 120_000 });
  const baseline = {
    passing: results.filter((r) => r.passed).map((r) => r.scenario),
    failing: Object.fromEntries(results.filter((r) => !r.passed).map((r) => [r.scenario, r.failures.join('; ')])),
    warnings: Object.fromEntries(results.filter((r) => r.warnings.length > 0).map((r) => [r.scenario, r.warnings])),
  };
  const file = path.join(REPO_ROOT, 'test/fixtures/conformance-baseline.json');
  await fs.writeFile(file, `${JSON.stringify(baseline, null, 2)}\n`);
  process.stdout.write(`${baseline.passing.length} passing, ${Object.keys(baseline.failing).length} failing -> ${file}\n`);
} finally {
  await fixture.close();
  await fs.rm(outDir, { recursive: true, force: true });
}
