// Preloaded (`node --import`) into every server-side process the benchmark measures: SIGUSR2
// runs a full garbage collection, so PSS before and after opening sessions compares live memory
// rather than garbage that happens not to be collected yet.
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
process.on('SIGUSR2', () => {
  gc();
  gc();
});
