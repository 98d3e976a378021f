import type { HrTime } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, type CollectionResult, type MetricData, type MetricProducer, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { attributesKey, hasCarried, takeCarried } from '../metrics/families/carried.ts';
import { PACKAGE_NAME } from '../version.ts';

/** Most series remembered; past it the oldest are forgotten (their next point is reported whole). */
const MAX_SERIES = 20_000;

interface Last {
  value: number | { count: number; sum: number; counts: number[] };
  endTime: HrTime;
}

/**
 * What each cumulative series reported last, for the whole process: the
 * bridged registries (prom-client's default one) are process-wide too, so an
 * SDK restarted in the same process continues where the previous one left
 * off instead of exporting every count again.
 */
const lastSeen = new Map<string, Last>();

function remember(key: string, last: Last): void {
  lastSeen.delete(key);
  lastSeen.set(key, last);
  if (lastSeen.size > MAX_SERIES) lastSeen.delete(lastSeen.keys().next().value!);
}

function toDelta(scope: string, m: MetricData): MetricData {
  if (m.aggregationTemporality !== AggregationTemporality.CUMULATIVE) return m;
  if (m.dataPointType === DataPointType.SUM && m.isMonotonic) {
    const dataPoints = m.dataPoints.map((p) => {
      const key = `${scope}\u0000${m.descriptor.name}\u0000${attributesKey(p.attributes)}`;
      const prev = lastSeen.get(key);
      remember(key, { value: p.value, endTime: p.endTime });
      // A value below the last one is a reset (a new registry, a restarted counter): all of it is new.
      if (!prev || typeof prev.value !== 'number' || p.value < prev.value) return p;
      return { ...p, startTime: prev.endTime, value: p.value - prev.value };
    });
    return { ...m, aggregationTemporality: AggregationTemporality.DELTA, dataPoints };
  }
  if (m.dataPointType === DataPointType.HISTOGRAM) {
    const dataPoints = m.dataPoints.map((p) => {
      const key = `${scope}\u0000${m.descriptor.name}\u0000${attributesKey(p.attributes)}`;
      const v = p.value;
      const cur = { count: v.count, sum: v.sum ?? 0, counts: [...v.buckets.counts] };
      const prev = lastSeen.get(key);
      remember(key, { value: cur, endTime: p.endTime });
      if (!prev || typeof prev.value === 'number' || cur.count < prev.value.count || prev.value.counts.length !== cur.counts.length) return p;
      const pv = prev.value;
      // min and max cannot be taken apart per interval: a delta point goes without them.
      return {
        ...p,
        startTime: prev.endTime,
        value: { ...v, count: cur.count - pv.count, sum: cur.sum - pv.sum, min: undefined, max: undefined, buckets: { boundaries: v.buckets.boundaries, counts: cur.counts.map((c, i) => c - pv.counts[i]!) } },
      };
    });
    return { ...m, aggregationTemporality: AggregationTemporality.DELTA, dataPoints };
  }
  return m;
}

/**
 * A producer whose monotonic sums and histograms are reported as deltas.
 * Producers (the prom-client bridge) report cumulative data, and a reader
 * passes it on as it is: under a delta temporality preference the bridged
 * `orchestrator_` counters would stay cumulative while every other counter
 * reports what changed. Gauges and up-down sums stay as they are (the
 * exporters' delta preference keeps those cumulative too).
 */
export function deltaProducer(inner: MetricProducer): MetricProducer {
  return {
    async collect(options) {
      const r: CollectionResult = await inner.collect(options);
      const rm = r.resourceMetrics;
      return {
        ...r,
        resourceMetrics: {
          ...rm,
          scopeMetrics: rm.scopeMetrics.map((sm) => ({ ...sm, metrics: sm.metrics.map((m) => toDelta(`${sm.scope.name}@${sm.scope.version ?? ''}`, m)) })),
        },
      };
    },
  };
}

/**
 * A push export without what the wundr_ counters carried into a restarted
 * SDK (src/metrics/families/carried.ts): each series' first delta point
 * after the restart holds the series' whole count, of which the part an
 * earlier SDK collected was exported then. Cumulative points keep it.
 */
export function withoutCarried(rm: ResourceMetrics): ResourceMetrics {
  if (!hasCarried()) return rm;
  return {
    ...rm,
    scopeMetrics: rm.scopeMetrics.map((sm) =>
      sm.scope.name !== PACKAGE_NAME
        ? sm
        : {
            ...sm,
            metrics: sm.metrics.map((m) => {
              if (m.dataPointType !== DataPointType.SUM || m.aggregationTemporality !== AggregationTemporality.DELTA || !m.isMonotonic) return m;
              const dataPoints = m.dataPoints.map((p) => {
                const c = takeCarried(m.descriptor.name, p.attributes);
                return c === 0 ? p : { ...p, value: Math.max(0, p.value - c) };
              });
              return { ...m, dataPoints };
            }),
          },
    ),
  };
}
