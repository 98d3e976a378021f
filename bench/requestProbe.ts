/**
 * Preloaded after the variant's preload by bench/threads.ts: times, inside
 * the server, the handler's own work (bench/work.ts `spin`), by the clock
 * and in the main thread's CPU, and the subscribers to the two HTTP server
 * channels that ran since bench/requestProbeMark.ts's (the preload's, when
 * it works through those channels). On SIGUSR2 it writes
 * `<sequence> <requests> <spin µs by the clock> <spin µs of CPU> <subscribers µs>`
 * (totals since start) to the file named by WUNDR_BENCH_REQUEST_PROBE.
 */
import * as dc from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import * as work from './work.ts';

const file = process.env.WUNDR_BENCH_REQUEST_PROBE;
const mark = (globalThis as { __wundrBenchMark?: { t: bigint } }).__wundrBenchMark;
if (file && mark) {
  let requests = 0;
  let spinNs = 0n;
  let spinCpuUs = 0;
  let subscribersNs = 0n;
  const spin = work.spin;
  // bench/server.ts calls spin through the module's exports (bench/threads.ts checks that this took).
  (work as { spin: typeof spin }).spin = (iters: number): number => {
    const c = process.threadCpuUsage();
    const t = process.hrtime.bigint();
    const x = spin(iters);
    spinNs += process.hrtime.bigint() - t;
    const d = process.threadCpuUsage(c);
    spinCpuUs += d.user + d.system;
    return x;
  };
  dc.subscribe('http.server.request.start', () => {
    subscribersNs += process.hrtime.bigint() - mark.t;
    requests++;
  });
  dc.subscribe('http.server.response.finish', () => {
    subscribersNs += process.hrtime.bigint() - mark.t;
  });
  let seq = 0;
  process.on('SIGUSR2', () => {
    writeFileSync(file, `${++seq} ${requests} ${Number(spinNs / 1000n)} ${spinCpuUs} ${Number(subscribersNs / 1000n)}\n`);
  });
}
