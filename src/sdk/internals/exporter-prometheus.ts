/**
 * Private members of @opentelemetry/exporter-prometheus (pinned 0.301): the
 * PrometheusSerializer's per-metric method `_serializeMetricData`, its
 * per-point methods `_serializeSingularDataPoint` and
 * `_serializeHistogramDataPoint`, and the fields they read
 * (`_appendTimestamp`, `_withoutScopeInfo`, `_additionalAttributes`; private
 * in its typings, stable in its code since 1.x). test/sdk/internals.test.ts
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

/** A family's metadata as the serializer groups it. */
export interface PrometheusMetadata {
  help: string;
  unit: string;
  type: string;
}

export type MetricSerializer = (
  this: SerializerInternals,
  data: MetricData,
  scope: unknown,
  name: string | undefined,
  metadata: PrometheusMetadata | undefined,
  writeMetadata?: boolean,
) => string;

export interface SerializerInternals {
  _appendTimestamp: boolean;
  _withoutScopeInfo: boolean;
  /** Resource attributes copied as labels (`withResourceConstantLabels`), set at each serialize(). */
  _additionalAttributes: Attributes | undefined;
  _serializeMetricData: MetricSerializer;
  _serializeSingularDataPoint: PointSerializer<number>;
  _serializeHistogramDataPoint: PointSerializer<Histogram>;
}

/** Detection: the serializer's per-metric and per-point methods, or undefined for a serializer built differently (fallback: the stock code, only slower). */
export function serializerInternalsOf(serializer: PrometheusSerializer): SerializerInternals | undefined {
  const internals = serializer as unknown as SerializerInternals;
  if (
    typeof internals._serializeMetricData !== 'function' ||
    typeof internals._serializeSingularDataPoint !== 'function' ||
    typeof internals._serializeHistogramDataPoint !== 'function' ||
    typeof internals._withoutScopeInfo !== 'boolean'
  ) {
    return undefined;
  }
  return internals;
}
