// A process that tries to take a data folder's instance lock (`node --import tsx <this> <dir>`)
// and prints one JSON line: {"got":true} and holds it until its stdin ends, or {"got":false,
// "holder":<pid>} when another process holds it.
import { acquireInstanceLock, InstanceLockError } from '../../src/config/instance-lock.ts';

const dir = process.argv[2]!;
try {
  const lock = await acquireInstanceLock(dir, 'serve');
  process.stdout.write(JSON.stringify({ got: true, pid: process.pid }) + '\n');
  process.stdin.resume();
  process.stdin.once('end', () => { void lock.release().then(() => process.exit(0)); });
} catch (e) {
  const held = e instanceof InstanceLockError && e.code === 'held';
  process.stdout.write(JSON.stringify({ got: false, pid: process.pid, holder: held ? e.holder?.pid : undefined, error: held ? undefined : (e as Error).message }) + '\n');
  process.exit(held ? 3 : 1);
}
