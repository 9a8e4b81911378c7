// Preloaded (`node --import`) into every server-side process the benchmark measures: SIGUSR2
// runs full garbage collections, so PSS before and after opening sessions compares live memory
// rather than garbage not collected yet, then reports the heap on stderr as one marked line.
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
process.on('SIGUSR2', () => {
  gc();
  // A second pass after the concurrent sweeper has finished frees what the first one left.
  setTimeout(() => {
    gc();
    const m = process.memoryUsage();
    process.stderr.write(`[bench-gc] ${JSON.stringify({ heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss })}\n`);
  }, 200);
});
