/**
 * A fixed amount of CPU work standing in for a real handler: a loop whose
 * iteration count is calibrated once per run to about the wanted
 * milliseconds, so every variant does exactly the same work (a busy wait
 * on the clock would instead do less work whenever the process is
 * descheduled, and this machine is shared).
 */

/** Runs `iters` rounds of an xorshift generator; returns its state so the loop cannot be dropped. */
export function spin(iters: number): number {
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < iters; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x;
}

/** Iterations of `spin` that take about `ms` of CPU here (the fastest of several tries: the least disturbed). */
export function calibrate(ms: number, tries = 15): number {
  const probe = 1_000_000;
  spin(probe); // let the JIT optimise it first
  let best = Infinity;
  for (let i = 0; i < tries; i++) {
    const t = process.hrtime.bigint();
    spin(probe);
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return Math.round((probe * ms) / best);
}
