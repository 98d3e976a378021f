/**
 * HTTP server overhead: bench/server.ts bare and under each preload, loaded
 * by autocannon from its own process on 127.0.0.1, variants interleaved over
 * rounds (in a balanced order, `roundOrder`), every telemetry export going to
 * the local sink (bench/sink.ts), whose counts show what was exported.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { median } from './startup.ts';
import {
  cleanEnv,
  cpuSeconds,
  distinctPorts,
  freePort,
  httpGet,
  httpPost,
  PEERS,
  procStatus,
  ROOT,
  runLoad,
  sleep,
  spawnNode,
  stopChild,
  threadCpuSeconds,
  waitForPort,
} from './proc.ts';
import type { Child, LoadResult } from './proc.ts';
import type { SinkStats } from './sink.ts';

const SERVER = path.join(ROOT, 'build', 'bench', 'server.js');
const REGISTER = path.join(ROOT, 'build', 'src', 'register.js');
const AUTO_REGISTER = path.join(PEERS, '@opentelemetry', 'auto-instrumentations-node', 'dist', 'register.cjs');
const DD_INIT = path.join(PEERS, 'dd-trace', 'init.js');

export interface VariantContext {
  sinkUrl: string;
  promPort: number;
}

export interface HttpVariant {
  id: string;
  name: string;
  /** Node flags before the script (the preload). */
  nodeArgs: string[];
  env(ctx: VariantContext): Record<string, string>;
  /** Why it cannot run here, or undefined. */
  unavailable?(): string | undefined;
  /** Where its Prometheus metrics are, when it has them. */
  metricsPath?: string;
  /** What the sink counts as one exported request. */
  exports: 'otlp' | 'datadog' | 'none';
}

/** OTLP exporters as both OTel variants get them: traces and logs to the sink, metrics pulled. */
function otelEnv(ctx: VariantContext): Record<string, string> {
  return {
    OTEL_SERVICE_NAME: 'bench-server',
    OTEL_EXPORTER_OTLP_ENDPOINT: ctx.sinkUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_LOGS_EXPORTER: 'otlp',
    OTEL_METRICS_EXPORTER: 'prometheus',
    OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: String(ctx.promPort),
  };
}

const missing = (p: string) => () => (existsSync(p) ? undefined : `${path.relative(ROOT, p)} is not installed (cd bench/peers && npm ci)`);

export const BASELINE: HttpVariant = { id: 'baseline', name: 'no preload (baseline)', nodeArgs: [], env: () => ({}), exports: 'none' };

export const WUNDR: HttpVariant = {
  id: 'wundr',
  name: '@wundr/otel/register',
  nodeArgs: ['--require', REGISTER],
  env: (ctx) => ({
    ...otelEnv(ctx),
    TRACING_ENABLED: 'true',
    TRACING_SAMPLE_RATE: '1.0',
    METRICS_ENABLED: 'true',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
  }),
  unavailable: missing(REGISTER),
  metricsPath: '/metrics',
  exports: 'otlp',
};

export const AUTO: HttpVariant = {
  id: 'auto',
  name: 'auto-instrumentations-node/register',
  nodeArgs: ['--require', AUTO_REGISTER],
  env: (ctx) => ({
    ...otelEnv(ctx),
    // The cloud detectors probe metadata addresses off this machine; keep to local ones.
    OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
  }),
  unavailable: missing(AUTO_REGISTER),
  metricsPath: '/metrics',
  exports: 'otlp',
};

export const DDTRACE: HttpVariant = {
  id: 'dd',
  name: 'dd-trace/init',
  nodeArgs: ['--require', DD_INIT],
  env: (ctx) => ({
    DD_SERVICE: 'bench-server',
    DD_TRACE_AGENT_URL: ctx.sinkUrl,
    DD_DOGSTATSD_HOST: '127.0.0.1',
    DD_TRACE_STARTUP_LOGS: 'false',
    DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
    DD_REMOTE_CONFIGURATION_ENABLED: 'false',
  }),
  unavailable: missing(DD_INIT),
  exports: 'datadog',
};

function wundrWith(id: string, name: string, extra: Record<string, string>, why: string): HttpVariant & { why: string } {
  return { ...WUNDR, id, name, env: (ctx) => ({ ...WUNDR.env(ctx), ...extra }), why };
}

/**
 * The cost breakdown (`--only ablation`): @wundr/otel with one part switched
 * off at a time, by environment alone, so the difference to the full preload
 * is what that part costs per request.
 */
export const WUNDR_ABLATIONS: (HttpVariant & { why: string })[] = [
  wundrWith('wundr-nosample', 'TRACING_SAMPLE_RATE=0', { TRACING_SAMPLE_RATE: '0' }, 'spans started but not sampled: nothing recorded or exported'),
  wundrWith('wundr-notrace', 'TRACING_ENABLED=false', { TRACING_ENABLED: 'false' }, "no tracer provider: the API's pass-through spans"),
  wundrWith(
    'wundr-notraceexp',
    'OTEL_TRACES_EXPORTER=none',
    { OTEL_TRACES_EXPORTER: 'none' },
    'tracing on, no trace exporter: non-recording spans with fresh ids (a new trace per request without a context)',
  ),
  wundrWith('wundr-nometrics', 'OTEL_METRICS_EXPORTER=none', { OTEL_METRICS_EXPORTER: 'none' }, 'no meter provider: the HTTP duration histogram and the catalogue are no-ops'),
  wundrWith('wundr-nologs', 'OTEL_LOGS_EXPORTER=none', { OTEL_LOGS_EXPORTER: 'none' }, 'no OTLP log export'),
  wundrWith(
    'wundr-stock',
    'WUNDR_OTEL_OTLP_ENCODER=stock',
    { WUNDR_OTEL_OTLP_ENCODER: 'stock' },
    "the SDK's batch processors and the stock OTLP protobuf serializer instead of encoding each span and record as it ends",
  ),
  wundrWith('wundr-json', 'OTEL_EXPORTER_OTLP_PROTOCOL=http/json', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, 'JSON instead of protobuf on the wire'),
  wundrWith(
    'wundr-bigbatch',
    'OTEL_BSP_MAX_EXPORT_BATCH_SIZE=2048',
    { OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2048', OTEL_BSP_MAX_QUEUE_SIZE: '8192' },
    'a quarter of the export requests (queue 8192)',
  ),
  wundrWith(
    'wundr-bare',
    'everything off but the HTTP server spans',
    { TRACING_ENABLED: 'false', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', HEALTH_CHECK_ENABLED: 'false', ALERTING_ENABLED: 'false' },
    "the diagnostics_channel server spans (non-recording), instrumentation-http's outgoing patch and the context manager with nothing recorded: the floor of this design",
  ),
  wundrWith(
    'wundr-noembedded',
    'WUNDR_OTEL_EMBEDDED=false',
    { WUNDR_OTEL_EMBEDDED: 'false' },
    'no recent-trace ring, no retention store, no page: what the embedded view costs',
  ),
  wundrWith(
    'wundr-gcpauses',
    'WUNDR_OTEL_GC_PAUSES=true',
    { WUNDR_OTEL_GC_PAUSES: 'true' },
    "GC pauses observed (opt-in): Node's 'gc' PerformanceObserver, 4–8 KiB of old-space garbage per young collection",
  ),
  wundrWith(
    'wundr-instr',
    'WUNDR_OTEL_HTTP_SERVER_SPANS=instrumentation',
    { WUNDR_OTEL_HTTP_SERVER_SPANS: 'instrumentation' },
    "incoming requests through instrumentation-http's patch of Server.prototype.emit (the design before the diagnostics_channel server spans)",
  ),
];

/**
 * Experiments beside the breakdown: the package with a change it does not
 * have yet, injected by a preload of bench/ ahead of the package's own.
 */
export const WUNDR_EXPERIMENTS: (HttpVariant & { why: string })[] = [
  {
    ...WUNDR,
    id: 'wundr-semi4',
    name: 'experiment: node --max-semi-space-size=4',
    nodeArgs: ['--max-semi-space-size=4', '--require', REGISTER],
    why: "a host V8 flag, not the package: caps the young generation, which V8 grows as the bytes surviving young collections add up (to 16 MiB or more under this load; the baseline's stays at 4 MiB)",
  },
];

/** Extra variants for the main tables (`--extra`). */
export const WUNDR_EXTRAS: HttpVariant[] = WUNDR_ABLATIONS.filter((v) => v.id === 'wundr-nosample' || v.id === 'wundr-json');

export const HTTP_VARIANTS: HttpVariant[] = [BASELINE, WUNDR, AUTO, DDTRACE];

export interface RunSample {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** autocannon's own p99, whole milliseconds. */
  wholeMsP99: number;
  /** RSS right after the measured load (MiB). */
  rssMiB: number;
  /** Peak RSS of the server over its life (MiB). */
  hwmMiB: number;
  /** Server CPU (user+sys) per request served in the measured run, µs. */
  cpuUsPerReq: number;
  /**
   * Of it, the threads other than the main one: V8's compiler and GC
   * helpers. They run beside the main thread on the same two cores; a JIT
   * still compiling the request path shows here.
   */
  otherCpuUsPerReq: number;
  /** CPU the sink used during the measured run, as a share of one core. */
  sinkCpuShare: number;
  /** Requests the server answered (warm-up + measured). */
  requests: number;
  errors: number;
  /** Spans (OTLP) or traces (Datadog) the sink received from this server, after its graceful stop. */
  exported: number;
  logRecords: number;
  sinkRequests: number;
  /** Non-comment lines on the variant's Prometheus endpoint after the run. */
  series: number;
  /** The server stopped on SIGTERM within the grace period. */
  graceful: boolean;
}

export interface VariantResult {
  variant: HttpVariant;
  skipped?: string;
  failures: string[];
  samples: RunSample[];
  /** Per-round ratio to the baseline's req/s in the same round. */
  ratios: number[];
  /** Per-round CPU-cost ratio: the baseline's CPU per request over this variant's, same round. */
  cpuRatios: number[];
}

export interface ScenarioResult {
  name: string;
  workIters: number;
  results: VariantResult[];
}

export interface HttpOptions {
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
  sinkUrl: string;
  /** The sink's pid, to report the CPU it used (it shares the cores with the server). */
  sinkPid?: number;
  variants: HttpVariant[];
  log(msg: string): void;
  /**
   * Slices per measured run (default 1). With more, a round starts every
   * variant's server at once (each with its own sink, so exports are still
   * told apart), warms each up, then loads them in turn for
   * durationS/slices seconds at a time until each has had durationS: the
   * variants' windows are seconds apart instead of a minute, so the host's
   * drift (its speed moves by ±5 % from one second to the next) lands on
   * all of them alike.
   */
  slices?: number;
}

/** bench/server.ts under a variant, doing `workIters` of spin per request, exporting to `sinkUrl`. */
export function spawnServer(v: HttpVariant, workIters: number, appPort: number, ctx: VariantContext, probe?: { before: string[]; after: string[]; env: Record<string, string> }): Child {
  return spawnNode(
    [...(probe?.before ?? []), ...v.nodeArgs, ...(probe?.after ?? []), SERVER],
    cleanEnv({ PORT: String(appPort), WORK_ITERS: String(workIters), ...probe?.env, ...v.env(ctx) }),
  );
}

/**
 * A variant from `id` or `id+NAME=value+…+--flag…` (the variant with
 * variables and Node or V8 flags added, for trying a setting without a
 * new variant), among `all`.
 */
export function variantFromSpec(spec: string, all: HttpVariant[], what: string): HttpVariant {
  const [id, ...extra] = spec.split('+');
  const v = all.find((x) => x.id === id);
  if (!v) throw new Error(`${what}: unknown variant ${id} (${all.map((x) => x.id).join(', ')})`);
  if (extra.length === 0) return v;
  const vars: Record<string, string> = {};
  const flags: string[] = [];
  for (const kv of extra) {
    // A Node or V8 flag (`+--max-semi-space-size=2`): most V8 flags are refused in NODE_OPTIONS. After the variant's own, so it wins (V8 keeps a repeated flag's last value).
    if (kv.startsWith('--') && kv.length > 2) {
      flags.push(kv);
      continue;
    }
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`${what}: ${spec}: expected NAME=value or a --flag after '+', got '${kv}'`);
    vars[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return {
    ...v,
    id: spec,
    name: `${v.name} ${extra.join(' ')}`,
    nodeArgs: [...v.nodeArgs, ...flags],
    env: (ctx: VariantContext) => ({ ...v.env(ctx), ...vars }),
  };
}

/** Non-comment lines on the variant's Prometheus endpoint (0 when it has none). */
async function seriesOn(v: HttpVariant, promPort: number): Promise<number> {
  if (!v.metricsPath) return 0;
  const text = await httpGet(`http://127.0.0.1:${promPort}${v.metricsPath}`);
  return text.split('\n').filter((l) => l && !l.startsWith('#')).length;
}

async function runOne(v: HttpVariant, workIters: number, o: HttpOptions): Promise<RunSample> {
  const [appPort, promPort] = [await freePort(), await freePort()];
  await httpPost(`${o.sinkUrl}/__reset`);
  const child = spawnServer(v, workIters, appPort, { sinkUrl: o.sinkUrl, promPort });
  try {
    await waitForPort(appPort, 30_000, child.proc);
    const url = `http://127.0.0.1:${appPort}/`;
    const warm = await runLoad({ url, durationS: o.warmupS, connections: o.connections });
    const pid = child.proc.pid!;
    const cpu0 = cpuSeconds(pid);
    const threads0 = threadCpuSeconds(pid);
    const sink0 = o.sinkPid ? cpuSeconds(o.sinkPid) : 0;
    const r = await runLoad({ url, durationS: o.durationS, connections: o.connections });
    const cpu1 = cpuSeconds(pid);
    const threads1 = threadCpuSeconds(pid);
    const sinkCpu = o.sinkPid ? (cpuSeconds(o.sinkPid) - sink0) / r.durationS : NaN;
    const st = procStatus(pid);
    const series = await seriesOn(v, promPort);
    const graceful = await stopChild(child);
    await sleep(200);
    const stats = JSON.parse((await httpGet(`${o.sinkUrl}/__stats`)) || '{}') as Partial<SinkStats>;
    return {
      rps: r.rps,
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      wholeMsP99: r.wholeMsP99,
      rssMiB: st.rssMiB,
      hwmMiB: st.hwmMiB,
      cpuUsPerReq: ((cpu1 - cpu0) / Math.max(1, r.total)) * 1e6,
      otherCpuUsPerReq: ((threads1.other - threads0.other) / Math.max(1, r.total)) * 1e6,
      sinkCpuShare: sinkCpu,
      requests: warm.total + r.total,
      errors: warm.errors + r.errors + warm.non2xx + r.non2xx,
      exported: v.exports === 'datadog' ? (stats.ddTraces ?? 0) : (stats.spans ?? 0),
      logRecords: stats.logRecords ?? 0,
      sinkRequests: Object.values(stats.requests ?? {}).reduce((a, b) => a + b, 0),
      series,
      graceful,
    };
  } catch (err) {
    await stopChild(child, 2000);
    throw new Error(failureMessage(err, child));
  }
}

/** The error with the last lines the child wrote to stderr. */
function failureMessage(err: unknown, child: Child): string {
  const tail = child.stderr().trim().split('\n').slice(-5).join(' | ');
  return `${(err as Error).message}${tail ? ` — stderr: ${tail}` : ''}`;
}

interface Slot {
  variant: HttpVariant;
  child: Child;
  sink: Child;
  sinkUrl: string;
  promPort: number;
  url: string;
  warmRequests: number;
  warmErrors: number;
  loads: LoadResult[];
  cpuS: number;
  otherCpuS: number;
  sinkCpuS: number;
}

/** One round of `HttpOptions.slices` > 1: every variant's server alive at once, loaded in turn. */
async function runSliced(variants: HttpVariant[], workIters: number, o: HttpOptions): Promise<Map<string, RunSample | Error>> {
  const slices = o.slices!;
  // autocannon takes whole seconds.
  const sliceS = Math.max(1, Math.round(o.durationS / slices));
  const slots: Slot[] = [];
  const out = new Map<string, RunSample | Error>();
  const started: Child[] = [];
  const alive = (s: Slot) => !out.has(s.variant.id);
  // A failed variant stops at once: a hung or exporting server would take CPU from every later slice.
  const fail = async (s: Slot, err: unknown) => {
    out.set(s.variant.id, new Error(failureMessage(err, s.child)));
    await stopChild(s.child, 2000);
    await stopChild(s.sink, 2000);
  };
  try {
    const port = distinctPorts();
    for (const v of variants) {
      const [sinkPort, appPort, promPort] = [await port(), await port(), await port()];
      const sink = spawnNode([path.join(ROOT, 'build', 'bench', 'sink.js'), String(sinkPort)], process.env);
      started.push(sink);
      const sinkUrl = `http://127.0.0.1:${sinkPort}`;
      const child = spawnServer(v, workIters, appPort, { sinkUrl, promPort });
      started.push(child);
      slots.push({ variant: v, child, sink, sinkUrl, promPort, url: `http://127.0.0.1:${appPort}/`, warmRequests: 0, warmErrors: 0, loads: [], cpuS: 0, otherCpuS: 0, sinkCpuS: 0 });
    }
    for (const s of slots) {
      try {
        await waitForPort(Number(new URL(s.sinkUrl).port), 10_000, s.sink.proc);
        await waitForPort(Number(new URL(s.url).port), 30_000, s.child.proc);
        const warm = await runLoad({ url: s.url, durationS: o.warmupS, connections: o.connections });
        s.warmRequests = warm.total;
        s.warmErrors = warm.errors + warm.non2xx;
      } catch (err) {
        await fail(s, err);
      }
    }
    for (let k = 0; k < slices; k++) {
      // Each slice in another order, so no variant always follows the same one.
      for (const i of roundOrder(k, slots.length)) {
        const s = slots[i]!;
        if (!alive(s)) continue;
        try {
          const pid = s.child.proc.pid!;
          const cpu0 = cpuSeconds(pid);
          const other0 = threadCpuSeconds(pid).other;
          const sink0 = cpuSeconds(s.sink.proc.pid!);
          s.loads.push(await runLoad({ url: s.url, durationS: sliceS, connections: o.connections }));
          s.cpuS += cpuSeconds(pid) - cpu0;
          s.otherCpuS += threadCpuSeconds(pid).other - other0;
          s.sinkCpuS += cpuSeconds(s.sink.proc.pid!) - sink0;
        } catch (err) {
          await fail(s, err);
        }
      }
    }
    for (const s of slots) {
      if (!alive(s)) continue;
      try {
        const st = procStatus(s.child.proc.pid!);
        const series = await seriesOn(s.variant, s.promPort);
        const graceful = await stopChild(s.child);
        await sleep(200);
        const stats = JSON.parse((await httpGet(`${s.sinkUrl}/__stats`)) || '{}') as Partial<SinkStats>;
        const total = s.loads.reduce((a, l) => a + l.total, 0);
        const seconds = s.loads.reduce((a, l) => a + l.durationS, 0);
        out.set(s.variant.id, {
          rps: total / seconds,
          p50Ms: median(s.loads.map((l) => l.p50Ms)),
          p99Ms: median(s.loads.map((l) => l.p99Ms)),
          wholeMsP99: median(s.loads.map((l) => l.wholeMsP99)),
          rssMiB: st.rssMiB,
          hwmMiB: st.hwmMiB,
          cpuUsPerReq: (s.cpuS / Math.max(1, total)) * 1e6,
          otherCpuUsPerReq: (s.otherCpuS / Math.max(1, total)) * 1e6,
          sinkCpuShare: s.sinkCpuS / seconds,
          requests: s.warmRequests + total,
          errors: s.warmErrors + s.loads.reduce((a, l) => a + l.errors + l.non2xx, 0),
          exported: s.variant.exports === 'datadog' ? (stats.ddTraces ?? 0) : (stats.spans ?? 0),
          logRecords: stats.logRecords ?? 0,
          sinkRequests: Object.values(stats.requests ?? {}).reduce((a, b) => a + b, 0),
          series,
          graceful,
        });
      } catch (err) {
        await fail(s, err);
      }
    }
  } finally {
    for (const c of started) await stopChild(c, 2000);
  }
  return out;
}

/**
 * The order of the variants in round `round`: a Williams design, so that
 * over n rounds (2n for an odd n) each variant runs first once and runs
 * right after each other variant once. A plain rotation keeps every
 * variant behind the same one in every round, and whatever a run leaves
 * behind (a machine still busy with the last server's exit, the sink
 * digesting its exports) then always lands on the same variant: with the
 * peers in the rotation, the baseline always ran right after dd-trace.
 */
export function roundOrder(round: number, n: number): number[] {
  const first: number[] = [];
  for (let lo = 0, hi = n - 1, j = 0; j < n; j++) first.push(j % 2 === 0 ? lo++ : hi--);
  // 0, n-1, 1, n-2, …: successive differences all distinct mod n (for an even n).
  const row = n % 2 === 1 && Math.floor(round / n) % 2 === 1 ? [...first].reverse() : first;
  return row.map((v) => (v + round) % n);
}

/** One scenario (a handler doing `workIters` of bench/work.ts's spin per request), every variant, interleaved rounds. */
export async function runScenario(name: string, workIters: number, o: HttpOptions): Promise<ScenarioResult> {
  const results: VariantResult[] = o.variants.map((variant) => ({
    variant,
    skipped: variant.unavailable?.(),
    failures: [],
    samples: [],
    ratios: [],
    cpuRatios: [],
  }));
  const live = results.filter((r) => !r.skipped);
  for (let round = 0; round < o.rounds; round++) {
    const order = roundOrder(round, live.length).map((i) => live[i]!);
    const byId = new Map<string, RunSample>();
    if ((o.slices ?? 1) > 1) {
      const t0 = Date.now();
      const got = await runSliced(order.map((r) => r.variant), workIters, o);
      for (const res of order) {
        const s = got.get(res.variant.id);
        if (s instanceof Error || !s) {
          const msg = s ? s.message : 'no result';
          res.failures.push(msg);
          o.log(`  [${name}] round ${round + 1}/${o.rounds} ${res.variant.name}: FAILED ${msg}`);
          continue;
        }
        res.samples.push(s);
        byId.set(res.variant.id, s);
        o.log(`  [${name}] round ${round + 1}/${o.rounds} ${res.variant.name.padEnd(40)} ${s.rps.toFixed(0).padStart(6)} req/s  CPU ${s.cpuUsPerReq.toFixed(1)} µs/req  p99 ${s.p99Ms.toFixed(2)} ms  RSS ${s.rssMiB.toFixed(0)} MiB  exported ${s.exported}/${s.requests}`);
      }
      o.log(`  [${name}] round ${round + 1}/${o.rounds}: ${o.slices} slices per variant (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    } else {
      for (const res of order) {
        const t0 = Date.now();
        try {
          const s = await runOne(res.variant, workIters, o);
          res.samples.push(s);
          byId.set(res.variant.id, s);
          o.log(
            `  [${name}] round ${round + 1}/${o.rounds} ${res.variant.name.padEnd(40)} ${s.rps.toFixed(0).padStart(6)} req/s  CPU ${s.cpuUsPerReq.toFixed(1)} µs/req  p99 ${s.p99Ms.toFixed(2)} ms  RSS ${s.rssMiB.toFixed(0)} MiB  exported ${s.exported}/${s.requests}  (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
          );
        } catch (err) {
          res.failures.push((err as Error).message);
          o.log(`  [${name}] round ${round + 1}/${o.rounds} ${res.variant.name}: FAILED ${(err as Error).message}`);
        }
      }
    }
    const base = byId.get(BASELINE.id);
    if (base) {
      for (const res of live) {
        const s = byId.get(res.variant.id);
        if (s) {
          res.ratios.push(s.rps / base.rps);
          res.cpuRatios.push(base.cpuUsPerReq / s.cpuUsPerReq);
        }
      }
    }
  }
  return { name, workIters, results };
}

export interface Summary {
  id: string;
  name: string;
  skipped?: string;
  failures: string[];
  rounds: number;
  rps: number;
  p99Ms: number;
  wholeMsP99: number;
  ratio: number;
  ratioMin: number;
  ratioMax: number;
  /** The rounds' req/s ratios and CPU-cost ratios, in round order (kept in the run's JSON, to see where the two part). */
  roundRatios: number[];
  roundCpuRatios: number[];
  rssMiB: number;
  hwmMiB: number;
  cpuUsPerReq: number;
  otherCpuUsPerReq: number;
  sinkCpuShare: number;
  exportedPerReq: number;
  logRecords: number;
  series: number;
  errors: number;
  allGraceful: boolean;
}

export function summarize(s: ScenarioResult): Summary[] {
  return s.results.map((r) => {
    const m = (f: (x: RunSample) => number) => (r.samples.length ? median(r.samples.map(f)) : NaN);
    return {
      id: r.variant.id,
      name: r.variant.name,
      skipped: r.skipped,
      failures: r.failures,
      rounds: r.samples.length,
      rps: m((x) => x.rps),
      p99Ms: m((x) => x.p99Ms),
      wholeMsP99: m((x) => x.wholeMsP99),
      ratio: r.ratios.length ? median(r.ratios) : NaN,
      ratioMin: r.ratios.length ? Math.min(...r.ratios) : NaN,
      ratioMax: r.ratios.length ? Math.max(...r.ratios) : NaN,
      roundRatios: r.ratios,
      roundCpuRatios: r.cpuRatios,
      rssMiB: m((x) => x.rssMiB),
      hwmMiB: m((x) => x.hwmMiB),
      cpuUsPerReq: m((x) => x.cpuUsPerReq),
      otherCpuUsPerReq: m((x) => x.otherCpuUsPerReq),
      sinkCpuShare: m((x) => x.sinkCpuShare),
      exportedPerReq: m((x) => (r.variant.exports === 'none' ? NaN : x.exported / Math.max(1, x.requests))),
      logRecords: m((x) => x.logRecords),
      series: m((x) => x.series),
      errors: r.samples.reduce((a, x) => a + x.errors, 0),
      allGraceful: r.samples.every((x) => x.graceful),
    };
  });
}
