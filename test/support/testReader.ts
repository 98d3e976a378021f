/**
 * A metric reader that only collects when a test asks (`reader.collect()`),
 * with no export and no timer, so a test reads exactly what was recorded.
 */
import { MetricReader, type MetricReaderOptions } from '@opentelemetry/sdk-metrics';

export class TestReader extends MetricReader {
  constructor(options?: MetricReaderOptions) {
    super(options);
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}
