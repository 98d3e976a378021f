import type { Feature } from '../feature.ts';

/** The alerting part of the SDK (filled in by its own issue). */
export function alertingFeature(): Feature {
  return { name: 'alerting' };
}
