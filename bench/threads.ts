/**
 * Where a preloaded server's CPU goes per request, thread by thread: every
 * variant's server alive at once, each with its own sink, loaded in turn
 * (as the 1 ms handler scenario of bench/run.ts), and for each:
 *   - the main thread's CPU beyond the handler's own work (the handler's
 *     1 ms loop is timed inside the server, bench/requestProbe.ts);
 *   - of that, the preload's subscribers to the two HTTP server channels,
 *     timed inside the server;
 *   - the other threads' CPU (V8's compiler and GC helpers, libuv's pool);
 *   - the handler's own time, by the clock: it grows when the main thread
 *     waits for a core.
 *
 *   node build/bench/threads.js [variant,variant,...] [--rounds N] [--warmup S] [--trivial]
 *   # default: baseline,wundr, 4 rounds, 30 s of warm-up, 1 ms handler
 *   # a variant of bench/http.ts, or one with variables set: wundr+WUNDR_OTEL_EMBEDDED=false
 */
import { readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AUTO, BASELINE, DDTRACE, WUNDR, WUNDR_ABLATIONS, WUNDR_EXPERIMENTS, roundOrder, type HttpVariant } from './http.ts';
import { cleanEnv, freePort, ROOT, runLoad, sleep, spawnNode, stopChild, threadCpuSeconds, waitForPort, type Child } from './proc.ts';
import { median } from './startup.ts';
import { calibrate } from './work.ts';

const VARIANTS: HttpVariant[] = [BASELINE, WUNDR, AUTO, DDTRACE, ...WUNDR_ABLATIONS, ...WUNDR_EXPERIMENTS];
const SERVER = path.join(ROOT, 'build', 'bench', 'server.js');
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
    const [id, ...vars] = spec.split('+');
    const v = VARIANTS.find((x) => x.id === id);
    if (!v) throw new Error(`threads: unknown variant ${id} (one of ${VARIANTS.map((x) => x.id).join(', ')})`);
    const why = v.unavailable?.();
    if (why) throw new Error(`threads: ${v.id}: ${why}`);
    if (vars.length === 0) return v;
    const extra = Object.fromEntries(
      vars.map((kv) => {
        const eq = kv.indexOf('=');
        if (eq < 1) throw new Error(`threads: ${spec}: expected variant+NAME=value`);
        return [kv.slice(0, eq), kv.slice(eq + 1)];
      }),
    );
    return { ...v, id: spec, name: spec, env: (ctx: Parameters<HttpVariant['env']>[0]) => ({ ...v.env(ctx), ...extra }) };
  });
  return { variants, rounds, warmupS, trivial };
}

interface Probe {
  requests: number;
  spinUs: number;
  subscribersUs: number;
}

/** Asks the server's probe for its totals (see bench/requestProbe.ts). */
async function readProbe(pid: number, file: string, last: { seq: number }): Promise<Probe> {
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 100; i++) {
    await sleep(10);
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const [seq, requests, spinUs, subscribersUs] = text.trim().split(' ').map(Number);
    if (seq! > last.seq) {
      last.seq = seq!;
      return { requests: requests!, spinUs: spinUs!, subscribersUs: subscribersUs! };
    }
  }
  throw new Error(`no answer from the request probe of ${pid}`);
}

interface Slot {
  v: HttpVariant;
  server: Child;
  sink: Child;
  url: string;
  file: string;
  seq: { seq: number };
  requests: number;
  seconds: number;
  mainS: number;
  otherS: number;
  spinUs: number;
  subscribersUs: number;
}

interface Row {
  rps: number;
  /** Per request, µs. */
  beyond: number;
  subscribers: number;
  other: number;
  handler: number;
}

async function round(o: Options, iters: number, r: number): Promise<Map<string, Row>> {
  const slots: Slot[] = [];
  try {
    for (const v of o.variants) {
      const [sinkPort, appPort, promPort] = [await freePort(), await freePort(), await freePort()];
      const sink = spawnNode([path.join(ROOT, 'build', 'bench', 'sink.js'), String(sinkPort)], process.env);
      const file = path.join(os.tmpdir(), `wundr-bench-probe-${process.pid}-${slots.length}`);
      rmSync(file, { force: true });
      const env = cleanEnv({ PORT: String(appPort), WORK_ITERS: String(iters), WUNDR_BENCH_REQUEST_PROBE: file, ...v.env({ sinkUrl: `http://127.0.0.1:${sinkPort}`, promPort }) });
      const server = spawnNode(['--require', MARK, ...v.nodeArgs, '--require', PROBE, SERVER], env);
      slots.push({ v, server, sink, url: `http://127.0.0.1:${appPort}/`, file, seq: { seq: 0 }, requests: 0, seconds: 0, mainS: 0, otherS: 0, spinUs: 0, subscribersUs: 0 });
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
        s.requests += l.total;
        s.seconds += l.durationS;
        s.mainS += t1.main - t0.main;
        s.otherS += t1.other - t0.other;
        s.spinUs += p1.spinUs - p0.spinUs;
        s.subscribersUs += p1.subscribersUs - p0.subscribersUs;
      }
    }
    const out = new Map<string, Row>();
    for (const s of slots) {
      const n = Math.max(1, s.requests);
      out.set(s.v.id, { rps: s.requests / s.seconds, beyond: (s.mainS * 1e6 - s.spinUs) / n, subscribers: s.subscribersUs / n, other: (s.otherS * 1e6) / n, handler: s.spinUs / n });
    }
    return out;
  } finally {
    for (const s of slots) {
      await stopChild(s.server, 10_000);
      await stopChild(s.sink, 2000);
      rmSync(s.file, { force: true });
    }
  }
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const iters = o.trivial ? 0 : calibrate(1);
  process.stderr.write(`${o.trivial ? 'trivial handler' : `1 ms handler (${iters} iterations)`}, ${o.rounds} rounds, ${o.warmupS} s of warm-up, ${SLICES} slices of ${SLICE_S} s\n`);
  const rows = o.variants.map((): Row[] => []);
  for (let r = 0; r < o.rounds; r++) {
    const got = await round(o, iters, r);
    o.variants.forEach((v, i) => rows[i]!.push(got.get(v.id)!));
    process.stderr.write(`round ${r + 1}: ${o.variants.map((v) => `${v.id} ${got.get(v.id)!.rps.toFixed(0)} req/s`).join(', ')}\n`);
  }
  const base = rows[0]!;
  const med = (i: number, f: (x: Row, b: Row) => number) => median(rows[i]!.map((x, j) => f(x, base[j]!)));
  const f1 = (x: number) => x.toFixed(1);
  const lines = [
    '| variant | req/s | ratio | main thread beyond the handler, µs/req (over baseline) | of it, the preload\'s subscribers | other threads, µs/req (over baseline) | the handler\'s own time by the clock, µs (over baseline) |',
    '|---|--:|--:|--:|--:|--:|--:|',
  ];
  o.variants.forEach((v, i) => {
    const isBase = i === 0;
    const over = (f: (x: Row) => number) => (isBase ? '' : ` (${med(i, (x, b) => f(x) - f(b)) >= 0 ? '+' : ''}${f1(med(i, (x, b) => f(x) - f(b)))})`);
    lines.push(
      `| ${v.id} | ${med(i, (x) => x.rps).toFixed(0)} | ${med(i, (x, b) => x.rps / b.rps).toFixed(3)} | ${f1(med(i, (x) => x.beyond))}${over((x) => x.beyond)} | ${f1(med(i, (x) => x.subscribers))} | ${f1(med(i, (x) => x.other))}${over((x) => x.other)} | ${f1(med(i, (x) => x.handler))}${over((x) => x.handler)} |`,
    );
  });
  process.stdout.write(`medians over rounds (differences to the baseline taken round by round)\n${lines.join('\n')}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
