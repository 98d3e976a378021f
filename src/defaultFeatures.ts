import type { Feature } from './feature.ts';
import { metricsFeature } from './metrics/feature.ts';
import { loggingFeature } from './logging/feature.ts';
import { tracingFeature } from './tracing/feature.ts';
import { healthFeature } from './health/feature.ts';
import { alertingFeature } from './alerting/feature.ts';
import { embeddedFeature } from './embedded/feature.ts';

/** Every part of the package, in start order (metrics first: others record into it). */
export function defaultFeatures(): Feature[] {
  return [metricsFeature(), loggingFeature(), tracingFeature(), healthFeature(), alertingFeature(), embeddedFeature()];
}
