import type { Resource } from '@opentelemetry/resources';

/**
 * The resource of producer output. MetricReaders replace it with the SDK's,
 * so it is only a placeholder; @opentelemetry/resources (and the semantic
 * conventions it pulls in) is loaded on first collection, not at import.
 */
export function emptyResource(): Resource {
  return (require('@opentelemetry/resources') as typeof import('@opentelemetry/resources')).emptyResource();
}
