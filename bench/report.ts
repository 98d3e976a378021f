/**
 * The markdown report (docs/BENCHMARKS.md): pure, from measured results to
 * text, so the runner's I/O stays apart from the formatting.
 */
import type { Summary } from './http.ts';
import type { MemoryResult } from './memory.ts';

export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  memGiB: number;
  kernel: string;
  node: string;
  loadAvg: string;
  commit: string;
  versions: Record<string, string>;
}

export interface StartupRow {
  name: string;
  wallMs: number;
  rssMiB: number;
  failedRuns?: number;
  evalCode?: number | null;
  evalError?: string;
}

export interface HotPath {
  name: string;
  file: string;
  status: 'ok' | 'missing' | 'failed';
  output: string;
}

export interface ReportInput {
  command: string;
  quick: boolean;
  machine: Machine;
  settings: { rounds: number; durationS: number; warmupS: number; connections: number };
  scenarios: { name: string; workIters: number; target: number; /** Absent in runs saved before it varied by scenario: settings.warmupS. */ warmupS?: number; /** Slices of the measured run taken in turn (absent or 1: one run per variant and round). */ slices?: number; summary: Summary[] }[];
  startup?: { rounds: number; rows: StartupRow[] };
  ablation?: { rounds: number; durationS: number; summary: Summary[]; why: Record<string, string> };
  memory?: { durationS: number; rate: number; result: MemoryResult };
  hotPaths?: HotPath[];
  profiles?: string[];
  charts: { throughput?: string; memory?: string };
  elapsedS: number;
  notes: string[];
}

const n0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');
const n1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const n2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '—');
const signed = (x: number, d = 0) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(d)}` : 'n/a');

/** Issue 14: RSS after the load at most the baseline's + 60 MiB (its goal: + 40). */
export const RSS_TARGET_MIB = 60;
/** Issue 14: start-up unchanged, at most 0.35 s and + 35 MiB over node alone. */
export const STARTUP_TARGET = { wallMs: 350, rssMiB: 35 } as const;

export function httpTable(summary: Summary[], target: number): string[] {
  const base = summary.find((s) => s.id === 'baseline');
  const rows = [
    '| variant | req/s (median) | ratio to baseline (median, min–max) | p99 ms | server CPU µs/req (of it, other threads) | CPU-cost ratio | RSS after load MiB | over baseline | peak RSS MiB | exported per request | log records | sink CPU | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of summary) {
    if (s.skipped) {
      rows.push(`| ${s.name} | skipped: ${s.skipped} | | | | | | | | | | | |`);
      continue;
    }
    if (!s.rounds) {
      rows.push(`| ${s.name} | failed: ${(s.failures[0] ?? '').replace(/\|/g, '/').slice(0, 200)} | | | | | | | | | | | |`);
      continue;
    }
    const isBase = s.id === 'baseline';
    const mark = isBase ? '' : s.ratio >= target ? ' ✅' : ' ❌';
    const rssOver = base ? s.rssMiB - base.rssMiB : NaN;
    const rssMark = isBase || !base ? '' : s.id.startsWith('wundr') ? (rssOver <= RSS_TARGET_MIB ? ' ✅' : ' ❌') : '';
    rows.push(
      `| ${s.name} | ${n0(s.rps)} | ${isBase ? '1.00' : `**${n2(s.ratio)}**${s.id.startsWith('wundr') ? mark : ''} (${n2(s.ratioMin)}–${n2(s.ratioMax)})`} | ${n2(s.p99Ms)} | ${n1(s.cpuUsPerReq)} (${n1(s.otherCpuUsPerReq)}) | ${base ? n2(base.cpuUsPerReq / s.cpuUsPerReq) : 'n/a'} | ${n0(s.rssMiB)} | ${isBase ? '' : `${signed(rssOver)}${rssMark}`} | ${n0(s.hwmMiB)} | ${pct(s.exportedPerReq)} | ${isBase ? '' : n0(s.logRecords)} | ${isBase ? '' : pct(s.sinkCpuShare)} | ${s.errors} |`,
    );
  }
  return rows;
}

export interface Verdict {
  target: string;
  measured: string;
  met: boolean;
}

/** The issue's targets for @wundr/otel, each against what this run measured. */
export function targetVerdicts(r: ReportInput): Verdict[] {
  const out: Verdict[] = [];
  for (const sc of r.scenarios) {
    const base = sc.summary.find((s) => s.id === 'baseline');
    const w = sc.summary.find((s) => s.id === 'wundr');
    if (!base?.rounds || !w?.rounds) continue;
    const peers = sc.summary.filter((s) => (s.id === 'auto' || s.id === 'dd') && s.rounds).map((s) => `${s.name} ${n2(s.ratio)}`);
    out.push({
      target: `${sc.name}: req/s ≥ ${sc.target.toFixed(2)} × baseline`,
      measured: `${Number.isFinite(w.ratio) ? w.ratio.toFixed(3) : 'n/a'} (CPU-cost ratio ${n2(base.cpuUsPerReq / w.cpuUsPerReq)}; exported ${pct(w.exportedPerReq)} of requests)${peers.length ? `; peers: ${peers.join(', ')}` : ''}`,
      met: w.ratio >= sc.target,
    });
    out.push({
      target: `${sc.name}: RSS after the load ≤ baseline + ${RSS_TARGET_MIB} MiB`,
      measured: `${signed(w.rssMiB - base.rssMiB)} MiB (${n0(w.rssMiB)} against ${n0(base.rssMiB)})`,
      met: w.rssMiB - base.rssMiB <= RSS_TARGET_MIB,
    });
    const dd = sc.summary.find((s) => s.id === 'dd' && s.rounds);
    if (dd && sc.workIters === 0) {
      out.push({
        target: `${sc.name}: p99 latency no worse than dd-trace's in the same run`,
        measured: `${n2(w.p99Ms)} ms against ${n2(dd.p99Ms)} ms (medians of the rounds' p99 of the 2xx responses' latencies at hrtime resolution; in autocannon's whole milliseconds ${n1(w.wholeMsP99)} against ${n1(dd.wholeMsP99)})`,
        met: w.p99Ms <= dd.p99Ms,
      });
    }
  }
  const startBase = r.startup?.rows[0];
  const startOurs = r.startup?.rows.find((x) => x.name.includes('@wundr/otel'));
  if (startBase && startOurs) {
    const overRss = startOurs.rssMiB - startBase.rssMiB;
    out.push({
      target: `Start-up: --require @wundr/otel/register within ${STARTUP_TARGET.wallMs / 1000} s and + ${STARTUP_TARGET.rssMiB} MiB over node alone`,
      measured: `${n0(startOurs.wallMs)} ms, ${signed(overRss, 1)} MiB`,
      met: startOurs.wallMs <= STARTUP_TARGET.wallMs && overRss <= STARTUP_TARGET.rssMiB,
    });
  }
  if (r.memory?.result.rss.length && !r.memory.result.error) {
    const m = r.memory.result;
    out.push({
      target: 'Example daemon under steady load: no upward trend of the heap retained after GC',
      measured: `RSS ${signed(m.rssSlopeMiBPerMin, 2)} MiB/min, heapUsed after GC ${signed(m.heapSlopeMiBPerMin, 2)} MiB/min over ${r.memory.durationS} s`,
      met: m.verdict.startsWith('no upward'),
    });
  }
  for (const h of r.hotPaths ?? []) if (h.status === 'ok') out.push(...hotPathVerdicts(h.name, h.output));
  return out;
}

/**
 * The targets a hot-path benchmark printed: each section's title line, its
 * contender lines, and a `target: <what> -> met|NOT met` line naming the
 * contender judged (the first one, ours).
 */
export function hotPathVerdicts(name: string, output: string): Verdict[] {
  const out: Verdict[] = [];
  let title = '';
  let first = '';
  for (const line of output.split('\n')) {
    if (/^\S/.test(line)) {
      title = line.trim();
      first = '';
      continue;
    }
    const t = /^\s+target: (.*) -> (met|NOT met)\s*$/.exec(line);
    if (t) {
      out.push({ target: `bench/${name}: ${title}: ${t[1]}`, measured: first, met: t[2] === 'met' });
      continue;
    }
    if (first === '' && /\bx\d/.test(line)) first = line.trim().replace(/\s{2,}/g, ' ');
  }
  return out;
}

/** Reads the cost breakdown against the target: the budget per request and what each part takes of it. */
export function costAnalysis(r: ReportInput): string[] {
  const a = r.ablation?.summary;
  if (!a) return [];
  const cpu = (id: string) => a.find((s) => s.id === id && s.rounds)?.cpuUsPerReq ?? NaN;
  const base = cpu('baseline');
  const full = cpu('wundr');
  if (!Number.isFinite(base) || !Number.isFinite(full)) return [];
  const target = r.scenarios[0]?.target ?? 0.6;
  const budget = base / target - base;
  const lines = [
    `- At ${n1(base)} µs of server CPU per request without a preload, a ratio of ${target.toFixed(2)} leaves a budget of about **${n1(budget)} µs per request** for everything the preload does (if the server were CPU-bound on a core of its own). The full preload takes ${n1(full - base)} µs.`,
  ];
  const part = (id: string, what: string) => {
    const x = cpu(id);
    if (Number.isFinite(x)) lines.push(`- ${what}: ${signed(full - x, 1)} µs/req (${a.find((s) => s.id === id)!.name}: ${n1(x)} µs/req).`);
  };
  const bare = cpu('wundr-bare');
  if (Number.isFinite(bare)) lines.push(`- The floor of the current design, the diagnostics_channel server spans (non-recording), instrumentation-http's outgoing patch and the context manager with nothing recorded or exported: ${signed(bare - base, 1)} µs/req over the baseline${bare - base > budget ? ', already more than the whole budget' : ''}.`);
  part('wundr-notrace', 'Recording and exporting spans (full minus TRACING_ENABLED=false)');
  part('wundr-nosample', 'Recording and exporting spans, unsampled spans still started (full minus TRACING_SAMPLE_RATE=0)');
  part('wundr-nometrics', 'Metrics (full minus OTEL_METRICS_EXPORTER=none)');
  const instr = cpu('wundr-instr');
  if (Number.isFinite(instr)) {
    lines.push(`- **Saved by the diagnostics_channel server spans** (the default) against instrumentation-http's incoming patch (WUNDR_OTEL_HTTP_SERVER_SPANS=instrumentation: ${n1(instr)} µs/req): ${signed(instr - full, 1)} µs/req.`);
  }
  part('wundr-semi4', 'Saved by capping the young generation (a host flag; its effect is on RSS, see the table)');
  lines.push(
    '- These differences come from separate short runs on a shared machine: read them to a few µs. The per-package profile below says the same in other units.',
  );
  return lines;
}

/** The report's input as JSON (written beside the build), so the report can be re-rendered without re-measuring. */
export function reportJson(r: ReportInput): string {
  return JSON.stringify(r, null, 1);
}

export function renderReport(r: ReportInput): string {
  const m = r.machine;
  const out: string[] = [
    '# Benchmarks',
    '',
    `Generated by \`${r.command}\` on ${m.date} in ${Math.round(r.elapsedS / 60)} min${r.quick ? ' (**quick mode**: short rounds, numbers are indicative only)' : ''}. Do not edit by hand: run the command again.`,
    '',
    '## Machine',
    '',
    `- CPU: ${m.cpu}, **${m.cores} cores**, ${m.memGiB.toFixed(0)} GiB RAM, Linux ${m.kernel}; load average at start ${m.loadAvg}`,
    `- Node ${m.node}; commit ${m.commit}`,
    `- ${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `- The server under test, the load generator (autocannon, its own process) and the telemetry sink (its own process) share these ${m.cores} cores, as they did for the peers' numbers in issue 8. An exporting variant therefore also pays for the sink's CPU, which a real deployment would put on another machine; the baseline pays nothing there.`,
    '',
  ];

  const verdicts = targetVerdicts(r);
  if (verdicts.length) {
    out.push('## Against the targets (issue 14)', '', '| target | measured | met |', '|---|---|:-:|', ...verdicts.map((v) => `| ${v.target} | ${v.measured} | ${v.met ? '✅' : '❌'} |`), '');
  }

  if (r.scenarios.length) {
    const s = r.settings;
    out.push(
      '## HTTP server overhead',
      '',
      `bench/server.ts (node:http, keep-alive, answers \`ok\`) started fresh for each run; autocannon with ${s.connections} connections for ${s.durationS} s after a warm-up (given under each scenario); ${s.rounds} rounds, the variants interleaved in a balanced order (each variant runs first, and right after each other variant, equally often: a Williams design, roundOrder in bench/http.ts); the ratio is the median of the per-round ratios to the baseline of the same round.`,
      '',
      '- **server CPU µs/req**: user+system CPU of the server process (from /proc) over the measured run, per request answered; in brackets, the part of it taken by threads other than the main one (V8\'s compiler and GC helpers, libuv\'s pool; /proc/<pid>/task, in 10 ms ticks). On a shared, noisy machine this is the steadier view: the **CPU-cost ratio** (baseline µs/req ÷ variant µs/req) is the throughput ratio the server would reach if it had a core to itself.',
      '- **p99 ms**: the 99th percentile of the 2xx responses\' latencies, each as autocannon measures it (hrtime, bench/load.ts), per round; the median of the rounds (of the slices, where a scenario is sliced). Runs before 12acedf read autocannon\'s own p99, in whole milliseconds.',
      '- **exported per request**: spans (OTLP) or traces (Datadog) that reached the sink, counted after the server\'s graceful stop, over the requests autocannon counted (warm-up included). It can exceed 100 % by the requests still in flight when autocannon stops (at most one per connection per run).',
      '- **RSS after load**: VmRSS of the server right after the measured run; peak RSS is VmHWM over its life.',
      '- **sink CPU**: CPU the telemetry sink (bench/sink.ts, which also decodes every body to count spans) used during the measured run, as a share of one core: taken from the same two cores the server and autocannon run on.',
      '',
      'The preloads run with: tracing at 100 % sampling, metrics on (Prometheus pull endpoint, not scraped during the load), logs on, traces and logs to the local sink over OTLP/HTTP protobuf (`OTEL_TRACES_EXPORTER=otlp`, `OTEL_LOGS_EXPORTER=otlp`, `OTEL_METRICS_EXPORTER=prometheus`). auto-instrumentations-node runs with its defaults except `OTEL_NODE_RESOURCE_DETECTORS=env,host,os,process` (the cloud detectors would probe addresses off this machine). dd-trace runs with only `DD_TRACE_AGENT_URL` pointed at the sink (and its telemetry, remote configuration and start-up log off); no Datadog agent runs here.',
      '',
    );
    if (r.charts.throughput) out.push(`![throughput ratio to baseline](${r.charts.throughput})`, '');
    for (const sc of r.scenarios) {
      const warm = sc.warmupS ?? s.warmupS;
      const warmReqs = sc.summary.find((v) => v.id === 'baseline' && !v.skipped)?.rps;
      out.push(
        `### ${sc.name}`,
        '',
        `Target for @wundr/otel: ≥ ${sc.target.toFixed(2)} of the baseline's req/s; RSS after the load ≤ +${RSS_TARGET_MIB} MiB over the baseline's (goal + 40).`,
        '',
        `Warm-up: ${warm} s of the same load before each measured run${warmReqs ? ` (about ${Math.round((warm * warmReqs) / 1000)}k requests at the baseline's rate)` : ''}.${
          sc.workIters > 0
            ? ' V8 optimises a function after enough calls, not after enough time: at ~1,000 req/s, compilations (the bare server\'s too) go on for 20–30 s (docs/PERFORMANCE.md; the brackets of the server CPU column show the other threads\' share, V8 compiling among them), so a short warm-up measures how fast each variant\'s code gets optimised rather than what a request costs a running daemon (`node build/bench/run.js --only http --work-warmup 2` measures that start instead).'
            : ''
        }${
          (sc.slices ?? 1) > 1
            ? ` Measured in ${sc.slices} slices: each round starts every variant's server at once (each exporting to its own sink), warms each up, then loads them in turn, ${Math.max(1, Math.round(s.durationS / sc.slices!))} s at a time, ${sc.slices} times each. This host's speed drifts by ±5 % within seconds, more than the 3 % this target leaves; slices put each variant's load within seconds of the baseline's, so the drift falls on all of them alike (\`--work-slices 1\` measures one run after another, as the trivial handler is). A slice's req/s, CPU and sink CPU are its own; a variant's last batch of a slice is exported during the next one (the sinks used 0.1–0.3 % of a core here). p99 is the median of the slices' p99.`
            : ''
        }`,
        '',
      );
      out.push(...httpTable(sc.summary, sc.target), '');
      const failures = sc.summary.flatMap((v) => v.failures.map((f) => `- ${v.name}: ${f}`));
      if (failures.length) out.push('Failed runs:', '', ...failures, '');
    }
  }

  if (r.ablation) {
    const a = r.ablation;
    const base = a.summary.find((s) => s.id === 'baseline');
    const full = a.summary.find((s) => s.id === 'wundr');
    out.push(
      '## Cost breakdown: @wundr/otel with one part off',
      '',
      `The trivial server again, ${a.rounds} interleaved rounds of ${a.durationS} s, @wundr/otel with one part switched off by environment; the server's CPU per request (from /proc) says what each part costs. "Saved" is the full preload's µs/req minus this variant's.`,
      '',
      '| variant | what it leaves out | server CPU µs/req | over baseline | saved vs full preload | req/s ratio | RSS after load MiB |',
      '|---|---|---:|---:|---:|---:|---:|',
      ...a.summary.map((s) => {
        if (!s.rounds) return `| ${s.name} | failed: ${(s.failures[0] ?? s.skipped ?? '').replace(/\|/g, '/').slice(0, 150)} | | | | | |`;
        const over = base ? s.cpuUsPerReq - base.cpuUsPerReq : NaN;
        const saved = full ? full.cpuUsPerReq - s.cpuUsPerReq : NaN;
        const label = s.id === 'wundr' ? '@wundr/otel/register (everything on)' : s.name;
        return `| ${label} | ${a.why[s.id] ?? ''} | ${n1(s.cpuUsPerReq)} | ${s.id === 'baseline' ? '' : signed(over, 1)} | ${s.id === 'baseline' || s.id === 'wundr' ? '' : signed(saved, 1)} | ${s.id === 'baseline' ? '1.00' : n2(s.ratio)} | ${n0(s.rssMiB)} |`;
      }),
      '',
    );
  }

  const analysis = costAnalysis(r);
  if (analysis.length) out.push('### What holds the trivial-handler target back', '', ...analysis, '');

  if (r.startup) {
    const base = r.startup.rows[0];
    out.push(
      '## Start-up',
      '',
      `\`node [--require <preload>] build/bench/empty.js\`, wall time and peak RSS (GNU time), medians of ${r.startup.rounds} interleaved rounds (bench/startup.ts). An empty script rather than \`-e 0\`: the last column says how each preload fares with \`node --require <preload> -e 0\` itself.`,
      '',
      '| variant | wall ms | over baseline | peak RSS MiB | over baseline | `-e 0` exit code |',
      '|---|---:|---:|---:|---:|---|',
      ...r.startup.rows.map(
        (x) =>
          `| ${x.name} | ${n0(x.wallMs)} | ${signed(x.wallMs - (base?.wallMs ?? NaN))} ms | ${n1(x.rssMiB)} | ${signed(x.rssMiB - (base?.rssMiB ?? NaN), 1)} MiB | ${x.evalCode === 0 ? '0' : `**${x.evalCode}**${x.evalError ? `: \`${x.evalError.replace(/\|/g, '/').slice(0, 120)}\`` : ''}`}${x.failedRuns ? ` (${x.failedRuns} timed runs failed)` : ''} |`,
      ),
      '',
    );
  }

  if (r.memory) {
    const mr = r.memory.result;
    out.push(
      '## Memory over time',
      '',
      `The example daemon (\`node --require ./build/src/register.js build/examples/daemon/main.js\`), traces and logs exported to the sink, under ${r.memory.rate} req/s of steady traffic for ${r.memory.durationS} s. RSS from /proc every second; heapUsed every 5 s right after a forced full collection (the daemon runs with \`--expose-gc\` and \`bench/gcProbe.ts\`, which runs \`gc()\` on SIGUSR2 and reports \`process.memoryUsage().heapUsed\`), so the heap line shows what is retained, not the collector's sawtooth; the verdict is on that line (RSS is shown, not judged: V8 reserves heap in steps under load, capacity rather than retention). Slopes are least-squares fits over the samples after the first third (the heap and buffer pools grow to their working size in the first minute).`,
      '',
    );
    if (mr.error) out.push(`**Failed:** ${mr.error}`, '');
    if (mr.rss.length) {
      out.push(
        '| series | first sample MiB | last sample MiB | slope MiB/min | last third − first third MiB |',
        '|---|---:|---:|---:|---:|',
        `| RSS | ${n1(mr.rss[0]![1])} | ${n1(mr.rss.at(-1)![1])} | ${signed(mr.rssSlopeMiBPerMin, 2)} | ${signed(mr.rssDriftMiB, 1)} |`,
        mr.heap.length
          ? `| heapUsed after GC | ${n1(mr.heap[0]![1])} | ${n1(mr.heap.at(-1)![1])} | ${signed(mr.heapSlopeMiBPerMin, 2)} | ${signed(mr.heapDriftMiB, 1)} |`
          : '| heapUsed after GC | (the GC probe did not answer) | | | |',
        '',
        `Verdict: **${mr.verdict}**.${mr.load ? ` The load: ${n0(mr.load.total)} requests, ${n0(mr.load.rps)} req/s, p99 ${n2(mr.load.p99Ms)} ms, ${mr.load.errors + mr.load.non2xx} errors.` : ''}`,
        '',
      );
      if (r.charts.memory) out.push(`![memory over time](${r.charts.memory})`, '');
    }
  }

  if (r.hotPaths) {
    out.push('## Hot paths', '', 'Each run as its own process (bench/metrics.ts, bench/logging.ts, bench/tracing.ts); their output as printed.', '');
    for (const h of r.hotPaths) {
      out.push(`### ${h.name} (\`node ${h.file}\`)`, '');
      if (h.status === 'missing') out.push(`Not run: ${h.file.split(' ')[0]} does not exist yet.`, '');
      else if (h.status === 'failed') out.push('Failed:', '', '```', h.output.trim(), '```', '');
      // Plain-text tables go in a code block so their columns survive; markdown goes in as is.
      else if (/^\|.*\|\s*$/m.test(h.output)) out.push(h.output.trim(), '');
      else out.push('```text', h.output.trimEnd(), '```', '');
    }
  }

  if (r.profiles?.length) {
    out.push(
      '## Where the time goes',
      '',
      "`node --cpu-prof` on the preloaded trivial server under the same load; self time per package and per function, as a share of the server's non-idle CPU samples (the profiler's own overhead is in the numbers).",
      '',
      ...r.profiles,
    );
  }

  if (r.notes.length) out.push('## Notes', '', ...r.notes.map((x) => `- ${x}`), '');
  return out.join('\n');
}
