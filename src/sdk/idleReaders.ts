/**
 * Keeps pull readers that nobody reads from holding memory.
 *
 * sdk-metrics hands each collection's points to every reader registered on
 * the MeterProvider, and a reader's share is only released when that reader
 * collects (TemporalMetricProcessor keeps a list of unreported points per
 * reader). With /metrics never scraped while alerting reads every 30 s, or
 * /health never called while Prometheus scrapes, one list grows by one
 * collection's changed series at every collection of the others, for as
 * long as the process runs. Each pull reader of ours not read for
 * `idleMs` is read here and the result dropped: its list then holds at
 * most what the others collected in that time.
 */
import { diag } from '@opentelemetry/api';
import type { MetricReader } from '@opentelemetry/sdk-metrics';

export const IDLE_READER_MS = 60_000;

/** Starts the timer (unref'd); returns the function that stops it. */
export function drainIdleReaders(readers: readonly MetricReader[], idleMs = IDLE_READER_MS): () => void {
  const lastRead = new Map<MetricReader, number>();
  for (const r of readers) {
    lastRead.set(r, Date.now());
    const collect = r.collect.bind(r);
    r.collect = (options) => {
      lastRead.set(r, Date.now());
      return collect(options);
    };
  }
  const timer = setInterval(() => {
    const now = Date.now();
    for (const r of readers) {
      if (now - lastRead.get(r)! < idleMs) continue;
      r.collect({ timeoutMillis: idleMs }).catch((err: unknown) => diag.debug(`@wundr/otel: draining an idle metric reader: ${(err as Error)?.message}`));
    }
  }, idleMs);
  timer.unref();
  return () => clearInterval(timer);
}
