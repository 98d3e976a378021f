/**
 * What was recorded is what is exported: for random sequences of inc, set,
 * observe and reset() over the typed API and pre-bound handles, /metrics
 * (cumulative, through the package's serializer) and OTLP (protobuf to a
 * real receiver, delta temporality) show exactly the totals a plain model
 * of the calls computes. A reset() removes nothing from OTel (the SDK
 * keeps a series once it has one): the model keeps counting across it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MeterProvider, MetricReader, PeriodicExportingMetricReader, type MetricReaderOptions } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { MeterBinding, type BoundCounter, type BoundGauge, type BoundHistogram } from '../../src/metrics/families/index.ts';
import { METER_NAME, catalogueViews } from '../../src/metrics/feature.ts';
import { createPrometheusSerializer } from '../../src/sdk/prometheusSerializer.ts';
import * as wm from '../../src/metrics/wundrMetrics.ts';
import { parseExposition } from './expositionParser.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.ts';

const counter = wm.toolMetrics.executionTotal;
const histogram = wm.toolMetrics.executionDuration;
const gauge = wm.agentMetrics.running;
const BOUNDS = histogram.bounds;

// Two label sets per family; keys are `a|b`.
const CL = [
  { tool_name: 'grep', status: 'success' },
  { tool_name: 'edit', status: 'error' },
] as const;
const GL = [
  { orchestrator_id: 'o1', session_type: 'claude-code' },
  { orchestrator_id: 'o2', session_type: 'claude-code' },
] as const;
const ckey = (l: { tool_name: string; status: string }) => `${l.tool_name}|${l.status}`;
const gkey = (l: { orchestrator_id: string; session_type: string }) => `${l.orchestrator_id}|${l.session_type}`;

type Cmd =
  | { k: 'inc'; i: number; v: number; bound: boolean }
  | { k: 'observe'; i: number; v: number; bound: boolean }
  | { k: 'set'; i: number; v: number; bound: boolean }
  | { k: 'gaugeInc'; i: number; v: number; bound: boolean }
  | { k: 'reset'; which: 'counter' | 'histogram' | 'gauge' | 'all' }
  | { k: 'collect' };

const idx = fc.integer({ min: 0, max: 1 });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ k: fc.constant('inc' as const), i: idx, v: fc.integer({ min: 0, max: 50 }), bound: fc.boolean() }),
  // Multiples of 1/8: sums are exact in any order, so the model needs no tolerance.
  fc.record({ k: fc.constant('observe' as const), i: idx, v: fc.integer({ min: 0, max: 800 }).map((x) => x / 8), bound: fc.boolean() }),
  fc.record({ k: fc.constant('set' as const), i: idx, v: fc.integer({ min: -20, max: 20 }), bound: fc.boolean() }),
  fc.record({ k: fc.constant('gaugeInc' as const), i: idx, v: fc.integer({ min: -5, max: 5 }), bound: fc.boolean() }),
  fc.record({ k: fc.constant('reset' as const), which: fc.constantFrom('counter' as const, 'histogram' as const, 'gauge' as const, 'all' as const) }),
  fc.constant({ k: 'collect' as const }),
);

interface HistModel {
  count: number;
  sum: number;
  buckets: number[];
}

/** The model: what OTel must report, from the calls alone. */
class Model {
  counters = new Map<string, number>();
  hists = new Map<string, HistModel>();
  /** A gauge series' value in its current cell, and what the SDK last got. */
  gaugeCells = new Map<string, number>();
  gaugeExported = new Map<string, number>();

  touchCounter(k: string): void {
    if (!this.counters.has(k)) this.counters.set(k, 0);
  }
  touchGauge(k: string): void {
    if (!this.gaugeCells.has(k)) this.gaugeCells.set(k, 0);
  }
  observe(k: string, v: number): void {
    let h = this.hists.get(k);
    if (!h) this.hists.set(k, (h = { count: 0, sum: 0, buckets: new Array(BOUNDS.length + 1).fill(0) }));
    h.count++;
    h.sum += v;
    let i = 0;
    while (i < BOUNDS.length && v > BOUNDS[i]) i++;
    h.buckets[i]++;
  }
  /** At a collection and at a gauge reset, the SDK gets every current gauge cell. */
  settleGauges(): void {
    for (const [k, v] of this.gaugeCells) this.gaugeExported.set(k, v);
  }
}

class InMemoryReader extends MetricReader {
  constructor(options?: MetricReaderOptions) {
    super(options);
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

let receiver: OtlpReceiver;
before(async () => {
  receiver = await startOtlpReceiver();
});
after(async () => {
  await receiver.close();
});

interface Pipeline {
  prometheus: PrometheusExporter;
  otlp: PeriodicExportingMetricReader;
  binding: MeterBinding;
  mp: MeterProvider;
}

function pipeline(): Pipeline {
  wm.resetWundrMetrics();
  const prometheus = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const otlp = new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter({ url: `${receiver.url}/v1/metrics`, temporalityPreference: 0 /* delta */ }),
    exportIntervalMillis: 3_600_000,
  });
  const mp = new MeterProvider({ readers: [prometheus, otlp], views: catalogueViews() });
  const binding = new MeterBinding(mp.getMeter(METER_NAME), () => wm.wundrFamilies().values());
  return { prometheus, otlp, binding, mp };
}

const serializer = createPrometheusSerializer({ withoutScopeInfo: true });

async function scrape(p: Pipeline) {
  const { resourceMetrics } = await p.prometheus.collect();
  return parseExposition(serializer.serialize(resourceMetrics));
}

function checkScrape(fams: ReturnType<typeof parseExposition>, m: Model): void {
  const samples = [...fams.values()].flatMap((f) => f.samples);
  const pick = (name: string, labelKey: (l: Record<string, string>) => string) =>
    new Map(samples.filter((s) => s.name === name).map((s) => [labelKey(s.labels), s]));
  const counters = pick(counter.def.name, (l) => `${l.tool_name}|${l.status}`);
  assert.deepEqual(new Map([...counters].map(([k, s]) => [k, s.value])), m.counters, '/metrics counters');
  const gauges = pick(gauge.def.name, (l) => `${l.orchestrator_id}|${l.session_type}`);
  assert.deepEqual(new Map([...gauges].map(([k, s]) => [k, s.value])), m.gaugeExported, '/metrics gauges');
  const counts = pick(`${histogram.def.name}_count`, (l) => `${l.tool_name}|${l.status}`);
  const sums = pick(`${histogram.def.name}_sum`, (l) => `${l.tool_name}|${l.status}`);
  assert.deepEqual([...counts.keys()].sort(), [...m.hists.keys()].sort(), '/metrics histogram series');
  for (const [k, h] of m.hists) {
    assert.equal(counts.get(k)?.value, h.count, `/metrics ${k} _count`);
    assert.equal(sums.get(k)?.value, h.sum, `/metrics ${k} _sum`);
    const buckets = samples.filter((s) => s.name === `${histogram.def.name}_bucket` && `${s.labels.tool_name}|${s.labels.status}` === k).map((s) => s.value);
    let cum = 0;
    assert.deepEqual(buckets, h.buckets.map((b) => (cum += b)), `/metrics ${k} buckets`);
  }
}

/** Sums the delta points received over OTLP (counters, histograms), and takes each gauge's last value. */
function checkOtlp(m: Model): void {
  const key = (a: Record<string, unknown>, x: string, y: string) => `${String(a[x])}|${String(a[y])}`;
  const counters = new Map<string, number>();
  const hists = new Map<string, HistModel>();
  const gauges = new Map<string, number>();
  for (const metric of receiver.metrics()) {
    for (const p of metric.dataPoints) {
      if (metric.name === counter.def.otelName) {
        assert.equal(metric.temporality, 'delta');
        const k = key(p.attributes, 'tool_name', 'status');
        counters.set(k, (counters.get(k) ?? 0) + p.value!);
      } else if (metric.name === histogram.def.otelName) {
        assert.equal(metric.temporality, 'delta');
        const k = key(p.attributes, 'tool_name', 'status');
        const h = hists.get(k) ?? { count: 0, sum: 0, buckets: new Array(BOUNDS.length + 1).fill(0) };
        h.count += p.count!;
        h.sum += p.sum!;
        p.bucketCounts!.forEach((c, j) => (h.buckets[j] += Number(c)));
        hists.set(k, h);
      } else if (metric.name === gauge.def.otelName) {
        gauges.set(key(p.attributes, 'orchestrator_id', 'session_type'), p.value!);
      }
    }
  }
  assert.deepEqual(counters, m.counters, 'OTLP counters');
  // A histogram series that only ever had empty intervals sends nothing; the model has none such.
  assert.deepEqual(hists, m.hists, 'OTLP histograms');
  assert.deepEqual(gauges, m.gaugeExported, 'OTLP gauges');
}

test('random inc/set/observe/reset over typed and pre-bound handles: /metrics and OTLP show what was recorded', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(cmd, { maxLength: 60, size: 'max' }), async (cmds) => {
      const p = pipeline();
      receiver.clear();
      const m = new Model();
      const ch: (BoundCounter | undefined)[] = [];
      const hh: (BoundHistogram | undefined)[] = [];
      const gh: (BoundGauge | undefined)[] = [];
      try {
        for (const c of cmds) {
          switch (c.k) {
            case 'inc': {
              const l = CL[c.i];
              if (c.bound) (ch[c.i] ??= counter.labels(l.tool_name, l.status)).inc(c.v);
              else counter.inc({ ...l }, c.v);
              m.touchCounter(ckey(l));
              m.counters.set(ckey(l), m.counters.get(ckey(l))! + c.v);
              break;
            }
            case 'observe': {
              const l = CL[c.i];
              if (c.bound) (hh[c.i] ??= histogram.labels({ ...l })).observe(c.v);
              else histogram.observe({ ...l }, c.v);
              m.observe(ckey(l), c.v);
              break;
            }
            case 'set':
            case 'gaugeInc': {
              const l = GL[c.i];
              const k = gkey(l);
              if (c.bound) {
                const h = (gh[c.i] ??= gauge.labels(l.orchestrator_id, l.session_type));
                if (c.k === 'set') h.set(c.v);
                else h.inc(c.v);
              } else if (c.k === 'set') gauge.set({ ...l }, c.v);
              else gauge.inc({ ...l }, c.v);
              m.touchGauge(k);
              m.gaugeCells.set(k, c.k === 'set' ? c.v : m.gaugeCells.get(k)! + c.v);
              break;
            }
            case 'reset':
              if (c.which === 'gauge' || c.which === 'all') {
                m.settleGauges();
                m.gaugeCells.clear();
              }
              if (c.which === 'counter') counter.reset();
              else if (c.which === 'histogram') histogram.reset();
              else if (c.which === 'gauge') gauge.reset();
              else wm.resetWundrMetrics();
              break;
            case 'collect':
              m.settleGauges();
              checkScrape(await scrape(p), m);
              await p.otlp.forceFlush();
              break;
          }
        }
        m.settleGauges();
        checkScrape(await scrape(p), m);
        await p.otlp.forceFlush();
        checkOtlp(m);
      } finally {
        p.binding.close();
        await p.mp.shutdown();
      }
    }),
    { numRuns: 40 },
  );
});

test('a pre-bound counter handle keeps counting after reset(), as prom-client does', async () => {
  const reader = new InMemoryReader();
  wm.resetWundrMetrics();
  const mp = new MeterProvider({ readers: [reader], views: catalogueViews() });
  const binding = new MeterBinding(mp.getMeter(METER_NAME), () => wm.wundrFamilies().values());
  try {
    const l = { tool_name: 'bound-after-reset', status: 'success' };
    const handle = counter.labels(l.tool_name, l.status);
    handle.inc(5);
    counter.reset();
    for (let i = 0; i < 10; i++) handle.inc();
    assert.equal(counter.get(l), 10, 'the typed API sees the handle after reset()');
    const { resourceMetrics } = await reader.collect();
    const point = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((x) => x.descriptor.name === counter.def.otelName)
      ?.dataPoints.find((d) => d.attributes.tool_name === l.tool_name);
    // OTel keeps what it was given before the reset (5) and adds the 10 after it.
    assert.equal(point?.value, 15);
  } finally {
    binding.close();
    await mp.shutdown();
  }
});
