/**
 * Preloaded into the daemon of the memory bench (with --expose-gc): on
 * SIGUSR2 it runs a full garbage collection and writes
 * `<sequence> <heapUsed bytes>` to the file named by WUNDR_BENCH_GC_PROBE,
 * so the bench reads the heap that is retained, not a point on the
 * collector's sawtooth.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.WUNDR_BENCH_GC_PROBE;
const gc = (globalThis as { gc?: () => void }).gc;
if (file && gc) {
  let seq = 0;
  process.on('SIGUSR2', () => {
    gc();
    writeFileSync(file, `${++seq} ${process.memoryUsage().heapUsed}\n`);
  });
}
