/**
 * sdk-metrics enum values as typed constants, so that the metrics modules
 * can be imported without loading @opentelemetry/sdk-metrics (the SDK loads
 * it only when metrics are enabled). The values are the published enum
 * values of sdk-metrics 2.x/3.x; test/metrics checks them against the package.
 */
import type { AggregationTemporality, AggregationType, DataPointType, InstrumentType } from '@opentelemetry/sdk-metrics';

export const CUMULATIVE = 1 as AggregationTemporality.CUMULATIVE;
export const HISTOGRAM = 0 as DataPointType.HISTOGRAM;
export const GAUGE = 2 as DataPointType.GAUGE;
export const SUM = 3 as DataPointType.SUM;
export const GAUGE_INSTRUMENT = 'GAUGE' as InstrumentType.GAUGE;
export const EXPLICIT_BUCKET_HISTOGRAM = 4 as AggregationType.EXPLICIT_BUCKET_HISTOGRAM;
