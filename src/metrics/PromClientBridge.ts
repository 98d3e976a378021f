/**
 * A sdk-metrics MetricProducer that reads prom-client registries at
 * collection time, so the one Prometheus exporter serves their families and
 * an OTLP metric reader ships them too (modelled on the Go contrib
 * Prometheus bridge: one scope, counters as cumulative monotonic sums, a
 * failing registry reported as an error while the others are still produced).
 *
 * Mapping (prom-client -> OTel -> Prometheus text):
 * - counter   -> monotonic cumulative Sum -> `counter` (a name without
 *                `_total` gets it appended by the exporter, as OpenMetrics wants);
 * - gauge     -> Gauge -> `gauge`;
 * - histogram -> explicit-bucket Histogram (prom-client's cumulative `le`
 *                counts turned into per-bucket counts) -> the same
 *                `_bucket`/`_sum`/`_count` series;
 * - summary   -> OTel has no Summary: the quantile series become a gauge
 *                family under the summary's name (with its `quantile`
 *                label), `_sum` and `_count` become gauges of those names.
 *                Same series and values; the TYPE line says gauge.
 * Families without values are still reported (HELP/TYPE only), as
 * prom-client prints them.
 */
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import type {
  CollectionResult,
  DataPoint,
  Histogram,
  MetricData,
  MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { CUMULATIVE, GAUGE, HISTOGRAM, SUM } from './otelConstants.ts';
import { emptyResource } from './emptyResource.ts';
import type { Registry, MetricObjectWithValues, MetricValue, MetricValueWithName } from 'prom-client';
import { nowHr } from './families/index.ts';
import { PACKAGE_VERSION } from '../version.ts';

/** The instrumentation scope of bridged metrics. */
export const BRIDGE_SCOPE = '@wundr/otel/prom-client-bridge';

type AnyValue = MetricValue<string> & Partial<MetricValueWithName<string>>;

export interface PromClientBridgeOptions {
  /** Registries to read; defaults to prom-client's global default registry. */
  registries?: Registry[];
}

export class PromClientBridge implements MetricProducer {
  private readonly registries: () => Registry[];
  private readonly startTime: HrTime = nowHr();

  constructor(options: PromClientBridgeOptions = {}) {
    const given = options.registries;
    this.registries = given ? () => given : loadedDefaultRegistry;
  }

  async collect(): Promise<CollectionResult> {
    const errors: unknown[] = [];
    const metrics: MetricData[] = [];
    const endTime = nowHr();
    for (const reg of this.registries()) {
      let families: MetricObjectWithValues<MetricValue<string>>[];
      try {
        families = await reg.getMetricsAsJSON();
      } catch (err) {
        errors.push(err);
        continue;
      }
      for (const fam of families) {
        try {
          metrics.push(...convertFamily(fam as never, this.startTime, endTime));
        } catch (err) {
          errors.push(err);
        }
      }
    }
    return {
      resourceMetrics: { resource: emptyResource(), scopeMetrics: [{ scope: { name: BRIDGE_SCOPE, version: PACKAGE_VERSION }, metrics }] },
      errors,
    };
  }
}

let promClientId: string | null | undefined;

/**
 * prom-client's default registry once something has loaded prom-client: an
 * application that never did has nothing in it, and loading it only to read
 * an empty registry would cost every process ~2 MiB of heap.
 */
function loadedDefaultRegistry(): Registry[] {
  if (promClientId === undefined) {
    try {
      promClientId = require.resolve('prom-client');
    } catch {
      promClientId = null;
    }
  }
  const mod = promClientId === null ? undefined : require.cache[promClientId];
  return mod?.loaded ? [(mod.exports as typeof import('prom-client')).register] : [];
}

function attrsOf(labels: Record<string, string | number> | undefined, omit?: string): Attributes {
  const out: Attributes = {};
  if (!labels) return out;
  for (const k in labels) if (k !== omit) out[k] = labels[k];
  return out;
}

function keyOf(a: Attributes): string {
  let k = '';
  for (const n in a) k += `${n}\u0001${String(a[n])}\u0002`;
  return k;
}

/** One prom-client family as OTel metric data (one entry, or three for a summary). */
export function convertFamily(
  fam: { name: string; help: string; type: string; values: AnyValue[] },
  startTime: HrTime,
  endTime: HrTime,
): MetricData[] {
  const descriptor = (name: string) => ({ name, description: fam.help, unit: '', valueType: ValueType.DOUBLE });
  const point = (v: AnyValue, omit?: string): DataPoint<number> => ({
    startTime,
    endTime,
    attributes: attrsOf(v.labels as Record<string, string | number>, omit),
    value: v.value,
  });
  switch (fam.type) {
    case 'counter':
      return [
        {
          descriptor: descriptor(fam.name),
          aggregationTemporality: CUMULATIVE,
          dataPointType: SUM,
          isMonotonic: true,
          dataPoints: fam.values.map((v) => point(v)),
        },
      ];
    case 'gauge':
      return [
        {
          descriptor: descriptor(fam.name),
          aggregationTemporality: CUMULATIVE,
          dataPointType: GAUGE,
          dataPoints: fam.values.map((v) => point(v)),
        },
      ];
    case 'histogram':
      return [
        {
          descriptor: descriptor(fam.name),
          aggregationTemporality: CUMULATIVE,
          dataPointType: HISTOGRAM,
          dataPoints: histogramPoints(fam.name, fam.values, startTime, endTime),
        },
      ];
    case 'summary': {
      const bySuffix = (suffix: string) => fam.values.filter((v) => v.metricName === `${fam.name}${suffix}`);
      const gauge = (name: string, values: AnyValue[]): MetricData => ({
        descriptor: descriptor(name),
        aggregationTemporality: CUMULATIVE,
        dataPointType: GAUGE,
        dataPoints: values.map((v) => point(v)),
      });
      return [
        gauge(fam.name, fam.values.filter((v) => v.metricName === undefined || v.metricName === fam.name)),
        gauge(`${fam.name}_sum`, bySuffix('_sum')),
        gauge(`${fam.name}_count`, bySuffix('_count')),
      ];
    }
    default:
      throw new Error(`@wundr/otel: prom-client metric ${fam.name} has unsupported type ${fam.type}`);
  }
}

function histogramPoints(name: string, values: AnyValue[], startTime: HrTime, endTime: HrTime): DataPoint<Histogram>[] {
  interface Acc {
    attributes: Attributes;
    les: [number, number][];
    sum: number;
    count: number;
  }
  const series = new Map<string, Acc>();
  const acc = (labels: Record<string, string | number> | undefined): Acc => {
    const attributes = attrsOf(labels, 'le');
    const k = keyOf(attributes);
    let a = series.get(k);
    if (!a) {
      a = { attributes, les: [], sum: 0, count: 0 };
      series.set(k, a);
    }
    return a;
  };
  for (const v of values) {
    const labels = v.labels as Record<string, string | number> | undefined;
    if (v.metricName === `${name}_bucket`) {
      const le = labels?.le;
      const bound = le === '+Inf' ? Infinity : Number(le);
      acc(labels).les.push([bound, v.value]);
    } else if (v.metricName === `${name}_sum`) acc(labels).sum = v.value;
    else if (v.metricName === `${name}_count`) acc(labels).count = v.value;
  }
  const out: DataPoint<Histogram>[] = [];
  for (const a of series.values()) {
    a.les.sort((x, y) => x[0] - y[0]);
    const boundaries: number[] = [];
    const counts: number[] = [];
    let prev = 0;
    for (const [bound, cum] of a.les) {
      if (bound === Infinity) continue;
      boundaries.push(bound);
      counts.push(cum - prev);
      prev = cum;
    }
    counts.push(a.count - prev);
    out.push({
      startTime,
      endTime,
      attributes: a.attributes,
      value: { buckets: { boundaries, counts }, sum: a.sum, count: a.count },
    });
  }
  return out;
}
