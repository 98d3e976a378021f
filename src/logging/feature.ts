import type { Feature } from '../feature.ts';

/** The logging part of the SDK (filled in by its own issue). */
export function loggingFeature(): Feature {
  return { name: 'logging' };
}
