/**
 * Where a preloaded server's CPU goes per request, thread by thread: every
 * variant's server alive at once, each with its own sink, loaded in turn
 * (as the 1 ms handler scenario of bench/run.ts), and for each:
 *   - the handler's own loop's CPU (the same work in every variant: a
 *     process whose loop runs slower pays for it in req/s, whatever the
 *     preload does);
 *   - the main thread's CPU beyond the handler's own work (the handler's
 *     1 ms loop is timed inside the server, in the thread's CPU,
 *     bench/requestProbe.ts);
 *   - of that, the preload's subscribers to the two HTTP server channels,
 *     timed inside the server by the clock (only @wundr/otel works through
 *     those channels: for the peers and the instrumentation-http variant
 *     this is the probes' own cost, as for the baseline);
 *   - the other threads' CPU (V8's compiler and GC helpers, libuv's pool);
 *   - the time the handler's loop waited, by the clock minus its CPU: the
 *     main thread waiting for a core.
 * CPU per thread comes from /proc in 10 ms ticks: over 10 s of ~1,000
 * req/s that is about ±1 µs/req per thread; read differences below a few
 * µs as none.
 *
 *   node build/bench/threads.js [variant,variant,...] [--rounds N] [--warmup S] [--trivial]
 *   # default: baseline,wundr, 4 rounds, 30 s of warm-up, 1 ms handler
 *   # a variant of bench/http.ts, or one with variables or Node/V8 flags set: wundr+WUNDR_OTEL_EMBEDDED=false, wundr+--max-semi-space-size=2
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AUTO, BASELINE, DDTRACE, roundOrder, spawnServer, variantFromSpec, WUNDR, WUNDR_ABLATIONS, WUNDR_EXPERIMENTS, type HttpVariant } from './http.ts';
import { askProbe, distinctPorts, ROOT, runLoad, spawnNode, stopChild, threadCpuSeconds, waitForPort, type Child } from './proc.ts';
import { median } from './startup.ts';
import { calibrate } from './work.ts';

const VARIANTS: HttpVariant[] = [BASELINE, WUNDR, AUTO, DDTRACE, ...WUNDR_ABLATIONS, ...WUNDR_EXPERIMENTS];
const MARK = path.join(ROOT, 'build', 'bench', 'requestProbeMark.js');
const PROBE = path.join(ROOT, 'build', 'bench', 'requestProbe.js');
const SLICES = 5;
const SLICE_S = 2;

interface Options {
  variants: HttpVariant[];
  rounds: number;
  warmupS: number;
  trivial: boolean;
}

function parse(argv: string[]): Options {
  let ids = ['baseline', 'wundr'];
  let rounds = 4;
  let warmupS = 30;
  let trivial = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--rounds') rounds = Number(argv[++i]);
    else if (a === '--warmup') warmupS = Number(argv[++i]);
    else if (a === '--trivial') trivial = true;
    else if (!a.startsWith('--')) ids = a.split(',');
    else throw new Error(`threads: unknown option ${a}`);
  }
  if (!(Number.isInteger(rounds) && rounds > 0)) throw new Error('threads: --rounds takes a positive integer');
  if (!(Number.isInteger(warmupS) && warmupS > 0)) throw new Error('threads: --warmup takes positive whole seconds');
  ids = ['baseline', ...new Set(ids.filter((id) => id !== 'baseline'))];
  const variants = ids.map((spec) => {
    const v = variantFromSpec(spec, VARIANTS, 'threads');
    const why = v.unavailable?.();
    if (why) throw new Error(`threads: ${v.id}: ${why}`);
    return v;
  });
  return { variants, rounds, warmupS, trivial };
}

interface Probe {
  requests: number;
  spinUs: number;
  spinCpuUs: number;
  subscribersUs: number;
}

/** The server's probe totals (bench/requestProbe.ts). */
async function readProbe(pid: number, file: string, last: { n: number }): Promise<Probe> {
  const a = await askProbe(pid, file, last, 2000);
  if (a === undefined || a.length < 4) throw new Error(`no answer from the request probe of ${pid}`);
  return { requests: a[0]!, spinUs: a[1]!, spinCpuUs: a[2]!, subscribersUs: a[3]! };
}

interface Slot {
  v: HttpVariant;
  server: Child;
  sink: Child;
  url: string;
  file: string;
  seq: { n: number };
  requests: number;
  seconds: number;
  errors: number;
  mainS: number;
  otherS: number;
  spinUs: number;
  spinCpuUs: number;
  subscribersUs: number;
}

interface Row {
  rps: number;
  /** Per request, µs. */
  handler: number;
  beyond: number;
  subscribers: number;
  other: number;
  waited: number;
}

async function round(o: Options, iters: number, r: number, dir: string): Promise<Map<string, Row>> {
  const slots: Slot[] = [];
  const started: Child[] = [];
  try {
    const port = distinctPorts();
    for (const v of o.variants) {
      const [sinkPort, appPort, promPort] = [await port(), await port(), await port()];
      const sink = spawnNode([path.join(ROOT, 'build', 'bench', 'sink.js'), String(sinkPort)], process.env);
      started.push(sink);
      const file = path.join(dir, `probe-${slots.length}`);
      const server = spawnServer(v, iters, appPort, { sinkUrl: `http://127.0.0.1:${sinkPort}`, promPort }, { before: ['--require', MARK], after: ['--require', PROBE], env: { WUNDR_BENCH_REQUEST_PROBE: file } });
      started.push(server);
      slots.push({ v, server, sink, url: `http://127.0.0.1:${appPort}/`, file, seq: { n: 0 }, requests: 0, seconds: 0, errors: 0, mainS: 0, otherS: 0, spinUs: 0, spinCpuUs: 0, subscribersUs: 0 });
      await waitForPort(sinkPort, 10_000, sink.proc);
      await waitForPort(appPort, 30_000, server.proc);
    }
    for (const s of slots) await runLoad({ url: s.url, durationS: o.warmupS, connections: 10 });
    for (let k = 0; k < SLICES; k++) {
      for (const i of roundOrder(k + r, slots.length)) {
        const s = slots[i]!;
        const pid = s.server.proc.pid!;
        const p0 = await readProbe(pid, s.file, s.seq);
        const t0 = threadCpuSeconds(pid);
        const l = await runLoad({ url: s.url, durationS: SLICE_S, connections: 10 });
        const t1 = threadCpuSeconds(pid);
        const p1 = await readProbe(pid, s.file, s.seq);
        // A probe that saw no request or timed no handler work measures nothing: better no number than a wrong one.
        if (p1.requests - p0.requests < l.total) throw new Error(`${s.v.id}: the probe saw ${p1.requests - p0.requests} of ${l.total} requests`);
        if (iters > 0 && p1.spinUs === p0.spinUs) throw new Error(`${s.v.id}: the probe timed no handler work (bench/server.ts no longer calls spin through work.ts's exports?)`);
        s.requests += l.total;
        s.seconds += l.durationS;
        s.errors += l.errors + l.non2xx;
        s.mainS += t1.main - t0.main;
        s.otherS += t1.other - t0.other;
        s.spinUs += p1.spinUs - p0.spinUs;
        s.spinCpuUs += p1.spinCpuUs - p0.spinCpuUs;
        s.subscribersUs += p1.subscribersUs - p0.subscribersUs;
      }
    }
    const out = new Map<string, Row>();
    for (const s of slots) {
      if (s.errors > 0) throw new Error(`${s.v.id}: ${s.errors} requests failed`);
      const n = Math.max(1, s.requests);
      out.set(s.v.id, {
        rps: s.requests / s.seconds,
        handler: s.spinCpuUs / n,
        beyond: (s.mainS * 1e6 - s.spinCpuUs) / n,
        subscribers: s.subscribersUs / n,
        other: (s.otherS * 1e6) / n,
        waited: (s.spinUs - s.spinCpuUs) / n,
      });
    }
    return out;
  } finally {
    for (const c of started.reverse()) await stopChild(c, 10_000);
  }
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const iters = o.trivial ? 0 : calibrate(1);
  process.stderr.write(`${o.trivial ? 'trivial handler' : `1 ms handler (${iters} iterations)`}, ${o.rounds} rounds, ${o.warmupS} s of warm-up, ${SLICES} slices of ${SLICE_S} s\n`);
  const rows = o.variants.map((): Row[] => []);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wundr-bench-threads-'));
  try {
    for (let r = 0; r < o.rounds; r++) {
      const got = await round(o, iters, r, dir);
      o.variants.forEach((v, i) => rows[i]!.push(got.get(v.id)!));
      process.stderr.write(`round ${r + 1}: ${o.variants.map((v) => `${v.id} ${got.get(v.id)!.rps.toFixed(0)} req/s`).join(', ')}\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const base = rows[0]!;
  const med = (i: number, f: (x: Row, b: Row) => number) => median(rows[i]!.map((x, j) => f(x, base[j]!)));
  const f1 = (x: number) => x.toFixed(1);
  const lines = [
    '| variant | req/s | ratio | the handler\'s own loop, CPU µs/req (over baseline) | main thread beyond the handler, µs/req (over baseline) | of it, the preload\'s subscribers | other threads, µs/req (over baseline) | the handler\'s loop waiting for a core, µs/req (over baseline) |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
  ];
  o.variants.forEach((v, i) => {
    const isBase = i === 0;
    const over = (f: (x: Row) => number) => (isBase ? '' : ` (${med(i, (x, b) => f(x) - f(b)) >= 0 ? '+' : ''}${f1(med(i, (x, b) => f(x) - f(b)))})`);
    lines.push(
      `| ${v.id} | ${med(i, (x) => x.rps).toFixed(0)} | ${med(i, (x, b) => x.rps / b.rps).toFixed(3)} | ${f1(med(i, (x) => x.handler))}${over((x) => x.handler)} | ${f1(med(i, (x) => x.beyond))}${over((x) => x.beyond)} | ${f1(med(i, (x) => x.subscribers))} | ${f1(med(i, (x) => x.other))}${over((x) => x.other)} | ${f1(med(i, (x) => x.waited))}${over((x) => x.waited)} |`,
    );
  });
  process.stdout.write(`medians over rounds (differences to the baseline taken round by round)\n${lines.join('\n')}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
