/**
 * Private members of @opentelemetry/exporter-prometheus (pinned 0.301): the
 * PrometheusSerializer's per-point methods `_serializeSingularDataPoint`,
 * `_serializeHistogramDataPoint` and its `_appendTimestamp` flag (private in
 * its typings, stable in its code since 1.x). test/sdk/internals.test.ts
 * fails when a new version changes them.
 */
import type { Attributes } from '@opentelemetry/api';
import type { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';

export type PointSerializer<T> = (
  this: SerializerInternals,
  name: string,
  data: MetricData,
  point: DataPoint<T>,
  additional: Attributes | undefined,
) => string;

export interface SerializerInternals {
  _appendTimestamp: boolean;
  _serializeSingularDataPoint: PointSerializer<number>;
  _serializeHistogramDataPoint: PointSerializer<Histogram>;
}

/** Detection: the serializer's per-point methods, or undefined for a serializer built differently (fallback: the stock code, only slower). */
export function pointSerializersOf(serializer: PrometheusSerializer): SerializerInternals | undefined {
  const internals = serializer as unknown as SerializerInternals;
  if (typeof internals._serializeSingularDataPoint !== 'function' || typeof internals._serializeHistogramDataPoint !== 'function') return undefined;
  return internals;
}
