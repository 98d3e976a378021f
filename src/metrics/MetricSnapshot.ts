/**
 * The SDK's own metric data, flattened into Prometheus-style samples, so the
 * in-process evaluator and /health read the very numbers /metrics shows and
 * rules can name metrics exactly as PromQL does (`_total`, `_bucket{le}`,
 * `_sum`, `_count`).
 */
import { diag } from '@opentelemetry/api';
import type { MetricReader, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { SdkBuilder } from '../feature.ts';

export type Labels = Record<string, string>;

export interface Sample {
  labels: Labels;
  value: number;
}

/** One collection: samples per Prometheus series name, taken at `time` (ms since epoch). */
export interface MetricSnapshot {
  time: number;
  series: Map<string, Sample[]>;
  /** The collection failed: the snapshot says nothing (not "every series is gone"). */
  failed?: boolean;
}

/** Something that yields a fresh snapshot (the SDK reader, or a test double). */
export interface MetricSource {
  collect(): Promise<MetricSnapshot>;
}

const INVALID = /[^a-z0-9_]/gi;
const MULTI_UNDERSCORE = /_{2,}/g;

/** The name the Prometheus exporter gives a metric (exporter-prometheus 0.301 rules). */
export function prometheusName(otelName: string, monotonicSum: boolean): string {
  const n = otelName.replace(INVALID, '_').replace(MULTI_UNDERSCORE, '_');
  return monotonicSum && !n.endsWith('_total') ? `${n}_total` : n;
}

function labelsOf(attrs: Record<string, unknown>): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    out[k.replace(INVALID, '_')] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

function formatLe(n: number): string {
  return n === Infinity ? '+Inf' : String(n);
}

// DataPointType values of sdk-metrics (a const enum in spirit; read by value to avoid loading the SDK here).
const HISTOGRAM = 0;
const GAUGE = 2;
const SUM = 3;

/** Flattens OTel ResourceMetrics into Prometheus-style series. Pure. */
export function toSnapshot(rm: ResourceMetrics, time = Date.now()): MetricSnapshot {
  const series = new Map<string, Sample[]>();
  const add = (name: string, s: Sample): void => {
    let list = series.get(name);
    if (!list) series.set(name, (list = []));
    list.push(s);
  };
  for (const sm of rm.scopeMetrics) {
    for (const m of sm.metrics) {
      const type = m.dataPointType as number;
      if (type === SUM || type === GAUGE) {
        const name = prometheusName(m.descriptor.name, type === SUM && (m as { isMonotonic: boolean }).isMonotonic);
        for (const dp of m.dataPoints) add(name, { labels: labelsOf(dp.attributes), value: dp.value as number });
      } else if (type === HISTOGRAM) {
        const name = prometheusName(m.descriptor.name, false);
        for (const dp of m.dataPoints) {
          const labels = labelsOf(dp.attributes);
          const h = dp.value as { buckets: { boundaries: number[]; counts: number[] }; sum?: number; count: number };
          let cum = 0;
          h.buckets.boundaries.forEach((b, i) => {
            cum += h.buckets.counts[i] ?? 0;
            add(`${name}_bucket`, { labels: { ...labels, le: formatLe(b) }, value: cum });
          });
          add(`${name}_bucket`, { labels: { ...labels, le: '+Inf' }, value: h.count });
          add(`${name}_sum`, { labels, value: h.sum ?? 0 });
          add(`${name}_count`, { labels, value: h.count });
        }
      }
    }
  }
  return { time, series };
}

/** Sum of every series of `name` (0 when absent), and whether any series exists. */
export function sumOf(s: MetricSnapshot, name: string): { value: number; present: boolean } {
  const list = s.series.get(name);
  if (!list || list.length === 0) return { value: 0, present: false };
  return { value: list.reduce((a, x) => a + x.value, 0), present: true };
}

/** A pull reader added to the SDK's MeterProvider; collecting never throws. */
export class SdkMetricSource implements MetricSource {
  readonly reader: MetricReader;
  private warned = false;

  constructor(reader: MetricReader) {
    this.reader = reader;
  }

  async collect(): Promise<MetricSnapshot> {
    try {
      const { resourceMetrics, errors } = await this.reader.collect({ timeoutMillis: 5000 });
      if (errors.length > 0) diag.debug(`@wundr/otel: metric collection for health/alerting reported ${errors.length} error(s)`);
      return toSnapshot(resourceMetrics);
    } catch (err) {
      if (!this.warned) {
        this.warned = true;
        diag.warn(`@wundr/otel: health/alerting cannot read metric data: ${(err as Error).message}`);
      }
      return { time: Date.now(), series: new Map(), failed: true };
    }
  }
}

const sources = new WeakMap<SdkBuilder, SdkMetricSource>();

/**
 * The one in-memory reader per SDK build, shared by health and alerting.
 * It carries the builder's metric producers (the prom-client bridge), so
 * orchestrator_* families are visible too. Undefined when metrics are off.
 */
export function metricSourceFor(builder: SdkBuilder): SdkMetricSource | undefined {
  if (!builder.config.metrics.enabled) return undefined;
  let src = sources.get(builder);
  if (!src) {
    const sm = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
    class InMemoryPullReader extends sm.MetricReader {
      protected override async onShutdown(): Promise<void> {}
      protected override async onForceFlush(): Promise<void> {}
    }
    // The producers array is read at each collect, so producers added by later features count too.
    const reader = new InMemoryPullReader({ metricProducers: builder.metricProducers });
    builder.metricReaders.push(reader);
    src = new SdkMetricSource(reader);
    sources.set(builder, src);
  }
  return src;
}

/** A source fed by hand (tests, or apps that evaluate rules over their own numbers). */
export class StaticMetricSource implements MetricSource {
  private series = new Map<string, Sample[]>();
  now: () => number = Date.now;

  /** Sets one series value (replaces the sample with the same labels). */
  set(name: string, value: number, labels: Labels = {}): this {
    let list = this.series.get(name);
    if (!list) this.series.set(name, (list = []));
    const key = JSON.stringify(Object.entries(labels).sort());
    const i = list.findIndex((s) => JSON.stringify(Object.entries(s.labels).sort()) === key);
    if (i >= 0) list[i] = { labels: { ...labels }, value };
    else list.push({ labels: { ...labels }, value });
    return this;
  }

  /** Adds to a series (counters). */
  add(name: string, delta: number, labels: Labels = {}): this {
    const key = JSON.stringify(Object.entries(labels).sort());
    const cur = this.series.get(name)?.find((s) => JSON.stringify(Object.entries(s.labels).sort()) === key)?.value ?? 0;
    return this.set(name, cur + delta, labels);
  }

  /** Records one observation into a cumulative histogram's _bucket/_sum/_count series. */
  observe(name: string, value: number, buckets: readonly number[], labels: Labels = {}): this {
    for (const b of [...buckets, Infinity]) {
      if (value <= b) this.add(`${name}_bucket`, 1, { ...labels, le: formatLe(b) });
      else this.add(`${name}_bucket`, 0, { ...labels, le: formatLe(b) });
    }
    this.add(`${name}_sum`, value, labels);
    return this.add(`${name}_count`, 1, labels);
  }

  async collect(): Promise<MetricSnapshot> {
    const copy = new Map<string, Sample[]>();
    for (const [k, v] of this.series) copy.set(k, v.map((s) => ({ labels: { ...s.labels }, value: s.value })));
    return { time: this.now(), series: copy };
  }
}
