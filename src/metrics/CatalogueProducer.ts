/**
 * Hands the catalogue's counter and gauge cells to the OTel metric readers
 * at collection (sdk-metrics MetricProducer). Every reader (the Prometheus
 * exporter, an OTLP periodic reader) gets cumulative points: counters as
 * monotonic sums, gauges as gauges, under one instrumentation scope.
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
import { emptyResource } from '@opentelemetry/resources';
import { CounterFamily, GaugeFamily, nowHr, type Family } from './instruments.ts';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version.ts';

export const METER_NAME = PACKAGE_NAME;

export class CatalogueProducer implements MetricProducer {
  private readonly families: () => Iterable<Family>;
  private readonly resource: Resource;

  /** `families` is read at each collection, so families added later are reported. */
  constructor(families: () => Iterable<Family>, resource: Resource = emptyResource()) {
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
      const isCounter = f instanceof CounterFamily;
      if (!isCounter && !(f instanceof GaugeFamily)) continue;
      if (f.cells.size === 0) continue;
      const d = f.def;
      const dataPoints = new Array(f.cells.size);
      let i = 0;
      for (const c of f.cells.values()) {
        dataPoints[i++] = { startTime: c.startTime, endTime, attributes: c.attributes, value: c.value };
      }
      const descriptor = { name: d.otelName, description: d.help, unit: d.unit, valueType: ValueType.DOUBLE };
      metrics.push(
        isCounter
          ? { descriptor, aggregationTemporality: CUMULATIVE, dataPointType: SUM, isMonotonic: true, dataPoints }
          : { descriptor, aggregationTemporality: CUMULATIVE, dataPointType: GAUGE, dataPoints },
      );
    }
    return {
      resource: this.resource,
      scopeMetrics: [{ scope: { name: METER_NAME, version: PACKAGE_VERSION }, metrics }],
    };
  }
}
