/**
 * Hands the catalogue's cells to the OTel metric readers at collection
 * (sdk-metrics MetricProducer). Every reader (the Prometheus exporter, an
 * OTLP periodic reader, the alerting/health pull readers) gets cumulative
 * points: counters as monotonic sums, gauges as gauges, histograms as
 * explicit-bucket histograms, under one instrumentation scope.
 *
 * Series are read where they live, with their attribute objects built once
 * per cell: no hashing or aggregation per collection.
 */
import { ValueType } from '@opentelemetry/api';
import type {
  CollectionResult,
  MetricData,
  MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { CUMULATIVE, GAUGE, HISTOGRAM, SUM } from './otelConstants.ts';
import type { Resource } from '@opentelemetry/resources';
import { emptyResource } from './emptyResource.ts';
import { CounterFamily, GaugeFamily, HistogramCell, HistogramFamily, nowHr, type Family } from './instruments.ts';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version.ts';

export const METER_NAME = PACKAGE_NAME;

export class CatalogueProducer implements MetricProducer {
  private readonly families: () => Iterable<Family>;
  private readonly resource: Resource | undefined;

  /** `families` is read at each collection, so families added later are reported. */
  constructor(families: () => Iterable<Family>, resource?: Resource) {
    this.families = families;
    this.resource = resource;
  }

  async collect(): Promise<CollectionResult> {
    return { resourceMetrics: this.collectSync(), errors: [] };
  }

  /** The points as they are now (synchronous; the producer has nothing to wait for). */
  collectSync(): CollectionResult['resourceMetrics'] {
    const endTime = nowHr();
    const metrics: MetricData[] = [];
    for (const f of this.families()) {
      if (f.cells.size === 0) continue;
      const d = f.def;
      const descriptor = { name: d.otelName, description: d.help, unit: d.unit, valueType: ValueType.DOUBLE };
      const dataPoints = new Array(f.cells.size);
      let i = 0;
      if (f instanceof HistogramFamily) {
        const boundaries = [...f.bounds];
        for (const c of f.cells.values() as IterableIterator<HistogramCell>) {
          dataPoints[i++] = {
            startTime: c.startTime,
            endTime,
            attributes: c.attributes,
            // Copied: an exporter may hold the points while recording goes on.
            value: {
              buckets: { boundaries, counts: c.counts.slice() },
              sum: c.sum,
              count: c.count,
              ...(c.count > 0 ? { min: c.min, max: c.max } : {}),
            },
          };
        }
        metrics.push({ descriptor, aggregationTemporality: CUMULATIVE, dataPointType: HISTOGRAM, dataPoints });
        continue;
      }
      const isCounter = f instanceof CounterFamily;
      if (!isCounter && !(f instanceof GaugeFamily)) continue;
      for (const c of f.cells.values()) {
        dataPoints[i++] = { startTime: c.startTime, endTime, attributes: c.attributes, value: c.value };
      }
      metrics.push(
        isCounter
          ? { descriptor, aggregationTemporality: CUMULATIVE, dataPointType: SUM, isMonotonic: true, dataPoints }
          : { descriptor, aggregationTemporality: CUMULATIVE, dataPointType: GAUGE, dataPoints },
      );
    }
    return {
      resource: this.resource ?? emptyResource(),
      scopeMetrics: [{ scope: { name: METER_NAME, version: PACKAGE_VERSION }, metrics }],
    };
  }
}
