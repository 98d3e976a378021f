/**
 * The benchmark suite (`npm run bench`): @wundr/otel against no preload and
 * against the peers (auto-instrumentations-node, dd-trace from bench/peers),
 * on this machine, in one run. Writes docs/BENCHMARKS.md and its SVG charts.
 *
 *   node build/bench/run.js [--quick] [--rounds N] [--duration S] [--warmup S] [--work-warmup S]
 *     [--connections C] [--memory-duration S] [--memory-rate R]
 *     [--startup-rounds N] [--only http,ablation,startup,memory,hot,profile]
 *     [--extra] [--profile auto|always|never] [--no-write]
 *   node build/bench/run.js --ab baseline,wundr,wundr-instr [--rounds N] [--duration S] [--ab-work]
 *   node build/bench/run.js --ab baseline,wundr,wundr+NAME=value,wundr+--flag   (a variant with variables or Node/V8 flags added)
 *   node build/bench/run.js --render build/bench/last-run.json   # re-render only (a --quick run's: build/bench/quick/last-run.json, with --quick)
 *
 * --quick: short rounds for CI (about 3 minutes); numbers are indicative, and the
 * report goes to build/bench/quick/BENCHMARKS.md (not docs/) unless --out says otherwise.
 * Everything runs on 127.0.0.1; every load is bounded in time.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BASELINE, HTTP_VARIANTS, runScenario, summarize, variantFromSpec, WUNDR, WUNDR_ABLATIONS, WUNDR_EXPERIMENTS, WUNDR_EXTRAS, type Summary } from './http.ts';
import { runMemory } from './memory.ts';
import { compareMarkdown, profileMarkdown, profileVariant } from './profile.ts';
import { freePort, NODE, PEERS, ROOT, spawnNode, stopChild, waitForPort } from './proc.ts';
import { httpTable, renderReport, reportJson, RSS_TARGET_MIB, type HotPath, type Machine, type ReportInput } from './report.ts';
import { measureStartup, peerStartupVariants, STARTUP_VARIANTS } from './startup.ts';
import { barChart, lineChart, PALETTE } from './svg.ts';
import { calibrate } from './work.ts';

const SECTIONS = ['http', 'ablation', 'startup', 'memory', 'hot', 'profile'] as const;
type Section = (typeof SECTIONS)[number];

export interface RunOptions {
  quick: boolean;
  rounds: number;
  durationS: number;
  warmupS: number;
  /**
   * Warm-up of the 1 ms handler scenario. V8 tiers functions up by call
   * count, so at ~1,000 req/s a 2 s warm-up leaves the JIT compiling
   * through the measured run (bare server included), and the ratio then
   * measures how fast each variant's code warms up rather than what a
   * request costs a running daemon. 15 s was not enough: in the 10 s after
   * it the preloaded server's other threads (V8 compiling, as
   * `--trace-opt` shows) still took about 14 µs/req more than the bare
   * server's, about 2 after 30 s (medians of the rounds' differences,
   * docs/PERFORMANCE.md).
   */
  workWarmupS: number;
  /**
   * The 1 ms handler scenario's measured run, in slices taken in turn by
   * servers that are all alive (bench/http.ts `HttpOptions.slices`). Its
   * target leaves 3 %, and this host's speed drifts by ±5 % within seconds:
   * run after run, each variant's 10 s apart from the baseline's, the
   * drift outweighed the preload.
   */
  workSlices: number;
  connections: number;
  memoryDurationS: number;
  memoryRate: number;
  startupRounds: number;
  only: Set<Section>;
  extra: boolean;
  profile: 'auto' | 'always' | 'never';
  write: boolean;
  out: string;
  /** `--ab id,id,…`: only an interleaved A/B of these variants (trivial handler), printed, nothing written. */
  ab?: string[];
  /** `--ab-work`: the A/B with the 1 ms handler (and its warm-up) instead of the trivial one. */
  abWork: boolean;
  /** `--render <json>`: re-render the report from a saved run (build/bench/last-run.json) without measuring. */
  render?: string;
}

export function parseArgs(argv: string[]): RunOptions {
  const quick = argv.includes('--quick');
  const o: RunOptions = {
    quick,
    // Eight rounds: one process runs the same loop up to 3 % faster or slower than
    // the next, and rounds of one variant differ by up to 30 % on a shared host;
    // four rounds could not tell 0.95 from 0.97 (docs/PERFORMANCE.md). A multiple
    // of the four variants keeps the order balanced (roundOrder).
    rounds: quick ? 2 : 8,
    durationS: quick ? 3 : 10,
    warmupS: quick ? 1 : 2,
    workWarmupS: quick ? 3 : 30,
    workSlices: quick ? 1 : 5,
    connections: 10,
    memoryDurationS: quick ? 20 : 180,
    memoryRate: 200,
    startupRounds: quick ? 5 : 15,
    // The cost breakdown takes minutes and is for diagnosis: full runs only.
    only: new Set(quick ? SECTIONS.filter((x) => x !== 'ablation') : SECTIONS),
    extra: false,
    abWork: false,
    profile: 'auto',
    write: true,
    // A quick run's numbers are indicative only: they do not replace the committed report.
    out: quick ? path.join(ROOT, 'build', 'bench', 'quick', 'BENCHMARKS.md') : path.join(ROOT, 'docs', 'BENCHMARKS.md'),
  };
  const num = (i: number, name: string): number => {
    const v = Number(argv[i]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} takes a number > 0, got ${JSON.stringify(argv[i])}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case '--quick':
        break;
      case '--rounds':
        o.rounds = Math.round(num(++i, a));
        break;
      case '--duration':
        o.durationS = num(++i, a);
        break;
      case '--warmup':
        o.warmupS = num(++i, a);
        break;
      case '--work-warmup':
        o.workWarmupS = num(++i, a);
        break;
      case '--work-slices':
        o.workSlices = Math.round(num(++i, a));
        break;
      case '--connections':
        o.connections = Math.round(num(++i, a));
        break;
      case '--memory-duration':
        o.memoryDurationS = num(++i, a);
        break;
      case '--memory-rate':
        o.memoryRate = Math.round(num(++i, a));
        break;
      case '--startup-rounds':
        o.startupRounds = Math.round(num(++i, a));
        break;
      case '--only': {
        const list = (argv[++i] ?? '').split(',').filter(Boolean);
        for (const s of list) if (!SECTIONS.includes(s as Section)) throw new Error(`--only: unknown section ${s} (${SECTIONS.join(', ')})`);
        o.only = new Set(list as Section[]);
        break;
      }
      case '--extra':
        o.extra = true;
        break;
      case '--profile': {
        const v = argv[++i];
        if (v !== 'auto' && v !== 'always' && v !== 'never') throw new Error(`--profile takes auto, always or never, got ${JSON.stringify(v)}`);
        o.profile = v;
        break;
      }
      case '--ab':
        o.ab = (argv[++i] ?? '').split(',').filter(Boolean);
        break;
      case '--ab-work':
        o.abWork = true;
        break;
      case '--render':
        o.render = path.resolve(argv[++i] ?? '');
        break;
      case '--no-write':
        o.write = false;
        break;
      case '--out':
        o.out = path.resolve(argv[++i] ?? '');
        break;
      default:
        throw new Error(`unknown argument ${a} (see the header of bench/run.ts)`);
    }
  }
  return o;
}

const t0 = Date.now();
function log(msg: string): void {
  const s = ((Date.now() - t0) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[${s} s] ${msg}\n`);
}

function version(dir: string, pkg: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(dir, pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function machine(): Machine {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim();
    if (dirty) commit += ' (with uncommitted changes)';
  } catch {
    // not a git checkout
  }
  const rootNm = path.join(ROOT, 'node_modules');
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memGiB: os.totalmem() / 2 ** 30,
    kernel: os.release(),
    node: execFileSync(NODE, ['--version'], { encoding: 'utf8' }).trim(),
    loadAvg: os.loadavg().map((x) => x.toFixed(2)).join(' '),
    commit,
    versions: {
      '@wundr/otel': (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version,
      '@opentelemetry/sdk-trace (ours)': version(rootNm, '@opentelemetry/sdk-trace'),
      '@opentelemetry/instrumentation-http (ours)': version(rootNm, '@opentelemetry/instrumentation-http'),
      '@opentelemetry/auto-instrumentations-node': version(PEERS, '@opentelemetry/auto-instrumentations-node'),
      '@opentelemetry/sdk-node (auto-instrumentations)': version(PEERS, '@opentelemetry/sdk-node'),
      'dd-trace': version(PEERS, 'dd-trace'),
      autocannon: version(rootNm, 'autocannon'),
      'prom-client': version(rootNm, 'prom-client'),
      pino: version(rootNm, 'pino'),
    },
  };
}

/** Runs one of the per-area hot-path benchmarks (bench/metrics, logging, tracing, encode) as its own process; its stdout goes in the report. */
function runHotPath(name: string, quick: boolean): Promise<HotPath> {
  const file = `build/bench/${name}.js`;
  const shown = quick ? `${file} 5` : file;
  if (!existsSync(path.join(ROOT, file))) return Promise.resolve({ name, file: shown, status: 'missing', output: '' });
  return new Promise((resolve) => {
    // Their convention: `node build/bench/<name>.js [rounds]`.
    const p = spawn(NODE, [file, ...(quick ? ['5'] : [])], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => {
      err = (err + c.toString()).slice(-3000);
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), (quick ? 3 : 10) * 60_000);
    p.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ name, file: shown, status: 'ok', output: out });
      else resolve({ name, file: shown, status: 'failed', output: `exit ${code ?? signal}\n${out.slice(-2000)}\n${err}` });
    });
  });
}

const TARGETS = { trivial: 0.6, work: 0.97 };

function ratioChart(scenarios: { name: string; target: number; summary: Summary[] }[]): string {
  return barChart(
    'Throughput as a ratio of the no-preload baseline (higher is better)',
    scenarios.map((sc) => ({
      label: sc.name,
      target: { value: sc.target, label: `target ${sc.target}` },
      bars: sc.summary.filter((s) => !s.skipped).map((s, i) => ({ label: s.name, value: s.id === 'baseline' ? 1 : s.ratio, color: PALETTE[i % PALETTE.length] })),
    })),
    { max: 1.1 },
  );
}

/** An A/B of chosen variants on the trivial handler, as a markdown table on stdout (for trying a fix). */
async function runAb(o: RunOptions): Promise<void> {
  const all = [...HTTP_VARIANTS, ...WUNDR_ABLATIONS, ...WUNDR_EXPERIMENTS];
  const variants = o.ab!.map((spec) => variantFromSpec(spec, all, '--ab'));
  if (variants[0]!.id !== 'baseline') variants.unshift(BASELINE);
  const sinkPort = await freePort();
  const sink = spawnNode([path.join(ROOT, 'build', 'bench', 'sink.js'), String(sinkPort)], process.env);
  await waitForPort(sinkPort, 10_000, sink.proc);
  try {
    const iters = o.abWork ? calibrate(1) : 0;
    const warmupS = o.abWork ? o.workWarmupS : o.warmupS;
    log(`A/B: ${variants.map((v) => v.id).join(', ')}; ${o.rounds} rounds × ${o.durationS} s after ${warmupS} s of warm-up; ${o.abWork ? `1 ms handler (${iters} iterations${o.workSlices > 1 ? `, ${o.workSlices} slices taken in turn` : ''})` : 'trivial handler'}`);
    const sc = await runScenario('A/B', iters, {
      rounds: o.rounds,
      durationS: o.durationS,
      warmupS,
      slices: o.abWork ? o.workSlices : 1,
      connections: o.connections,
      sinkUrl: `http://127.0.0.1:${sinkPort}`,
      sinkPid: sink.proc.pid,
      variants,
      log,
    });
    process.stdout.write(`${httpTable(summarize(sc), o.abWork ? TARGETS.work : TARGETS.trivial).join('\n')}\n`);
  } finally {
    await stopChild(sink, 2000);
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.ab) return runAb(o);
  if (o.render) return writeReport(JSON.parse(readFileSync(o.render, 'utf8')) as ReportInput, o);
  const cmd = `node build/bench/run.js ${process.argv.slice(2).join(' ')}`.trim();
  log(`@wundr/otel benchmarks${o.quick ? ' (quick)' : ''}: ${[...o.only].join(', ')}; ${os.cpus().length} cores shared by server, load generator and sink`);
  if (!existsSync(path.join(ROOT, 'build', 'src', 'register.js'))) throw new Error('build/src/register.js is missing: run `npm run build` first');
  if (!existsSync(PEERS)) log('bench/peers is not installed: the peers are skipped (cd bench/peers && npm ci)');

  const notes: string[] = [];
  const input: ReportInput = {
    command: o.quick ? 'npm run bench -- --quick' : 'npm run bench',
    quick: o.quick,
    machine: machine(),
    settings: { rounds: o.rounds, durationS: o.durationS, warmupS: o.warmupS, connections: o.connections },
    scenarios: [],
    charts: {},
    elapsedS: 0,
    notes,
  };
  if (cmd !== 'node build/bench/run.js' && cmd !== 'node build/bench/run.js --quick') input.command = cmd;

  // The telemetry sink, in its own process for the whole run.
  const sinkPort = await freePort();
  const sink = spawnNode([path.join(ROOT, 'build', 'bench', 'sink.js'), String(sinkPort)], process.env);
  await waitForPort(sinkPort, 10_000, sink.proc);
  const sinkUrl = `http://127.0.0.1:${sinkPort}`;
  const commonOpts = () => ({ rounds: o.rounds, durationS: o.durationS, warmupS: o.warmupS, connections: o.connections, sinkUrl, sinkPid: sink.proc.pid, variants: HTTP_VARIANTS, log });
  const common = commonOpts;
  try {
    if (o.only.has('http')) {
      const variants = o.extra ? [...HTTP_VARIANTS, ...WUNDR_EXTRAS] : HTTP_VARIANTS;
      const perRun = o.warmupS + o.workWarmupS + 2 * (o.durationS + 3);
      log(`HTTP overhead: ${variants.length} variants × ${o.rounds} rounds × 2 scenarios, about ${Math.ceil((variants.length * o.rounds * perRun) / 60)} min`);
      const common = { ...commonOpts(), variants };
      const workIters = calibrate(1);
      log(`1 ms of handler work = ${workIters} iterations of bench/work.ts spin() on this machine`);
      for (const [name, iters, target, warmupS, slices] of [
        ['Trivial handler ("ok")', 0, TARGETS.trivial, o.warmupS, 1],
        ['Handler with 1 ms of CPU work', workIters, TARGETS.work, o.workWarmupS, o.workSlices],
      ] as const) {
        log(`scenario: ${name} (${warmupS} s warm-up${slices > 1 ? `, measured in ${slices} slices taken in turn` : ''})`);
        const sc = await runScenario(name, iters, { ...common, warmupS, slices });
        const summary = summarize(sc);
        input.scenarios.push({ name, workIters: iters, target, warmupS, slices, summary });
        for (const s of summary) {
          if (s.skipped) log(`  ${s.name}: skipped (${s.skipped})`);
          else log(`  ${s.name.padEnd(40)} median ${s.rps.toFixed(0)} req/s, ratio ${s.ratio.toFixed(2)}, p99 ${s.p99Ms.toFixed(2)} ms, RSS ${s.rssMiB.toFixed(0)} MiB`);
        }
      }
      input.charts.throughput = 'bench-throughput.svg';
      const dd = input.scenarios[0]?.summary.find((s) => s.id === 'dd');
      if (dd && !dd.skipped && dd.rounds) {
        notes.push(`dd-trace ran without a Datadog agent: DD_TRACE_AGENT_URL pointed at the local sink, which answered its trace intake with 200 and counted ${(dd.exportedPerReq * 100).toFixed(0)} % of requests as exported traces.`);
      }
    }

    if (o.only.has('ablation')) {
      const variants = [BASELINE, WUNDR, ...WUNDR_ABLATIONS, ...WUNDR_EXPERIMENTS];
      const rounds = Math.max(3, Math.min(o.rounds, 4));
      const durationS = Math.min(o.durationS, 5);
      log(`cost breakdown: ${variants.length} variants × ${rounds} rounds × ${durationS} s, trivial handler`);
      const sc = await runScenario('cost breakdown', 0, { ...common(), rounds, durationS, variants });
      input.ablation = { rounds, durationS, summary: summarize(sc), why: Object.fromEntries([...WUNDR_ABLATIONS, ...WUNDR_EXPERIMENTS].map((v) => [v.id, v.why])) };
    }

    if (o.only.has('startup')) {
      const variants = [...STARTUP_VARIANTS, ...peerStartupVariants()];
      log(`start-up: ${variants.length} variants × ${o.startupRounds} rounds`);
      const rows = measureStartup(o.startupRounds, (i) => i % 5 === 0 && log(`  start-up round ${i}/${o.startupRounds}`), variants);
      input.startup = { rounds: o.startupRounds, rows };
      for (const r of rows) log(`  ${r.name.padEnd(66)} ${r.wallMs.toFixed(0)} ms, ${r.rssMiB.toFixed(1)} MiB`);
    }

    if (o.only.has('memory')) {
      log(`memory over time: the example daemon at ${o.memoryRate} req/s for ${o.memoryDurationS} s`);
      const result = await runMemory({
        durationS: o.memoryDurationS,
        rate: o.memoryRate,
        connections: 4,
        sinkUrl,
        warmupS: Math.max(Math.min(30, o.memoryDurationS / 2), o.memoryDurationS / 3),
        log,
      });
      input.memory = { durationS: o.memoryDurationS, rate: o.memoryRate, result };
      if (result.error) log(`  memory: FAILED ${result.error}`);
      else log(`  RSS slope ${result.rssSlopeMiBPerMin.toFixed(2)} MiB/min, heap slope ${result.heapSlopeMiBPerMin.toFixed(2)} MiB/min: ${result.verdict}`);
      if (result.rss.length) {
        input.charts.memory = 'bench-memory.svg';
      }
    }

    if (o.only.has('hot')) {
      input.hotPaths = [];
      for (const name of ['metrics', 'logging', 'tracing', 'encode']) {
        log(`hot paths: bench/${name}`);
        const h = await runHotPath(name, o.quick);
        log(`  ${h.status}`);
        input.hotPaths.push(h);
      }
    }

    if (o.only.has('profile') && o.profile !== 'never') {
      const trivial = input.scenarios[0]?.summary.find((s) => s.id === 'wundr');
      const base = input.scenarios[0]?.summary.find((s) => s.id === 'baseline');
      const missed =
        !trivial ||
        !(trivial.ratio >= TARGETS.trivial) ||
        !(input.scenarios[1]?.summary.find((s) => s.id === 'wundr')?.ratio! >= TARGETS.work) ||
        !(base && trivial.rssMiB - base.rssMiB <= RSS_TARGET_MIB);
      if (o.profile === 'always' || missed) {
        log(`profile: --cpu-prof on the preloaded trivial server${o.profile === 'auto' ? ' (a target was missed)' : ''}`);
        const seconds = o.quick ? 4 : 10;
        const popts = { seconds, workIters: 0, connections: o.connections, sinkUrl };
        const b = await profileVariant(BASELINE, popts);
        const s = await profileVariant(WUNDR, popts);
        input.profiles = [compareMarkdown('no preload', b, '@wundr/otel', s), profileMarkdown('@wundr/otel/register, trivial handler', s)];
        for (const p of s.packages.slice(0, 6)) log(`  ${p.name.padEnd(50)} ${p.pct.toFixed(1)} %`);
      }
    }
  } finally {
    await stopChild(sink, 2000);
  }

  input.elapsedS = (Date.now() - t0) / 1000;
  // A --quick run keeps its own copy: re-rendering docs/ must find the last full run.
  const saved = lastRunFile(o.quick);
  mkdirSync(path.dirname(saved), { recursive: true });
  writeFileSync(saved, reportJson(input));
  writeReport(input, o);
}

const lastRunFile = (quick: boolean) => path.join(ROOT, 'build', 'bench', ...(quick ? ['quick'] : []), 'last-run.json');

function writeReport(input: ReportInput, o: RunOptions): void {
  const md = renderReport(input);
  if (o.write) {
    const dir = path.dirname(o.out);
    mkdirSync(dir, { recursive: true });
    // Sections not run this time keep nothing from an earlier run: the report says what this run measured.
    writeFileSync(o.out, md);
    if (input.charts.throughput) writeFileSync(path.join(dir, input.charts.throughput), ratioChart(input.scenarios));
    if (input.charts.memory && input.memory) {
      const r = input.memory.result;
      writeFileSync(
        path.join(dir, input.charts.memory),
        lineChart(
          `Example daemon under ${input.memory.rate} req/s: memory over time`,
          [
            { label: 'RSS', points: r.rss },
            { label: 'heapUsed', points: r.heap },
          ],
          { yUnit: 'MiB' },
        ),
      );
    }
    log(`wrote ${path.relative(ROOT, o.out)}${input.charts.throughput ? `, ${input.charts.throughput}` : ''}${input.charts.memory ? `, ${input.charts.memory}` : ''} in ${path.relative(ROOT, dir)}/`);
  } else {
    process.stdout.write(md);
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
