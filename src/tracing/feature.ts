import type { Feature } from '../feature.ts';

/** The tracing part of the SDK (filled in by its own issue). */
export function tracingFeature(): Feature {
  return { name: 'tracing' };
}
