import type { Feature } from '../feature.ts';

/** The metrics part of the SDK (filled in by its own issue). */
export function metricsFeature(): Feature {
  return { name: 'metrics' };
}
