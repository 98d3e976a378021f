/**
 * The load generator of the benchmarks, run as its own process by
 * `runLoad` (proc.ts): autocannon, plus every 2xx response's latency kept
 * at the resolution autocannon measures it (hrtime, in fractional
 * milliseconds). autocannon's own histogram keeps whole milliseconds, and
 * at the trivial handler the variants' p99s were 0.29-1.05 ms (`node
 * build/bench/run.js --ab baseline,wundr,dd --rounds 2`): at that
 * resolution one round decided a comparison of p99s. With a rate
 * (`rate`), autocannon also records filler samples into its own histogram
 * (an expected interval of 1 ms, whatever the rate); these latencies are
 * only the measured ones.
 *
 * Usage: node build/bench/load.js '<LoadOptions as JSON>'; prints one JSON
 * line (LoadResult).
 */
import type { LoadOptions, LoadResult } from './proc.ts';

interface AutocannonResult {
  requests: { total: number };
  latency: { p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}

interface AutocannonInstance {
  on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): void;
}

type Autocannon = (opts: Record<string, unknown>, done: (err: Error | null, result: AutocannonResult) => void) => AutocannonInstance;

/** The value at quantile `q` of sorted `values` (nearest rank, as HdrHistogram reports it). */
export function quantile(values: Float64Array, q: number): number {
  if (values.length === 0) return 0;
  return values[Math.min(values.length - 1, Math.max(0, Math.ceil(q * values.length) - 1))]!;
}

function main(): void {
  const o = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const autocannon = require('autocannon') as Autocannon;
  let latencies = new Float64Array(1 << 16);
  let n = 0;
  // Non-2xx answers out of autocannon's histogram too, so that both p99s are of the same responses.
  const opts: Record<string, unknown> = { url: o.url, connections: o.connections, duration: o.durationS, excludeErrorStats: true };
  if (o.rate) opts['overallRate'] = o.rate;
  const instance = autocannon(opts, (err, r) => {
    if (err) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    const sorted = latencies.subarray(0, n).sort();
    const result: LoadResult = {
      rps: r.requests.total / r.duration,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      wholeMsP99: r.latency.p99,
      total: r.requests.total,
      errors: r.errors + r.timeouts,
      non2xx: r.non2xx,
      durationS: r.duration,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  });
  instance.on('response', (_client, statusCode, _bytes, ms) => {
    if (statusCode < 200 || statusCode >= 300) return;
    if (n === latencies.length) {
      const next = new Float64Array(n * 2);
      next.set(latencies);
      latencies = next;
    }
    latencies[n++] = ms;
  });
}

if (require.main === module) main();
