import { diag, type MeterProvider } from '@opentelemetry/api';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { getMetricDef } from '../metrics/catalogue.ts';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version.ts';
import type { Route } from './EndpointServer.ts';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const COLLECTION_ERRORS_METRIC = 'wundr_otel_metric_collection_errors_total';

/**
 * GET /metrics over a pull reader: concurrent scrapes share one collection
 * (a slow prom-client collect() runs once, not once per scraper), a producer
 * that throws is counted in `wundr_otel_metric_collection_errors_total` and
 * warned about at most once per interval (a scrape every 15 s must not
 * write a warning every 15 s), and a collection that fails as a whole
 * answers 500 so Prometheus marks the target down instead of storing a
 * partial scrape as complete.
 */
export class PrometheusScrape {
  /** Producer errors seen so far (served as the counter). */
  errors = 0;
  private inflight: Promise<string> | undefined;
  private lastWarnAt = -Infinity;
  private unwarned = 0;
  private readonly reader: MetricReader;
  private readonly serializer: PrometheusSerializer;
  private readonly warnIntervalMs: number;
  private readonly now: () => number;

  constructor(reader: MetricReader, serializer: PrometheusSerializer, options: { warnIntervalMs?: number; now?: () => number } = {}) {
    this.reader = reader;
    this.serializer = serializer;
    this.warnIntervalMs = options.warnIntervalMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The exposition text of one collection, shared by every caller while it runs. */
  collect(): Promise<string> {
    if (this.inflight) return this.inflight;
    const run = this.reader.collect().then(({ resourceMetrics, errors }) => {
      if (errors.length > 0) this.failed(errors);
      return this.serializer.serialize(resourceMetrics);
    });
    const shared = run.finally(() => {
      if (this.inflight === shared) this.inflight = undefined;
    });
    this.inflight = shared;
    return shared;
  }

  private failed(errors: unknown[]): void {
    this.errors += errors.length;
    this.unwarned += errors.length;
    const now = this.now();
    if (now - this.lastWarnAt < this.warnIntervalMs) return;
    this.lastWarnAt = now;
    const first = errors[0];
    const text = first instanceof Error ? first.message : String(first);
    diag.warn(
      `@wundr/otel: /metrics: ${this.unwarned} metric producer error(s) (first: ${text.slice(0, 200)}); the families of a failing producer are missing from the scrape. Counted in ${COLLECTION_ERRORS_METRIC}; next warning in ${Math.round(this.warnIntervalMs / 1000)} s at the earliest`,
    );
    this.unwarned = 0;
  }

  /** Registers the error counter on the SDK's meter provider. */
  register(meterProvider: MeterProvider): void {
    const def = getMetricDef(COLLECTION_ERRORS_METRIC);
    const meter = meterProvider.getMeter(PACKAGE_NAME, PACKAGE_VERSION);
    const c = meter.createObservableCounter(def?.otelName ?? 'wundr_otel_metric_collection_errors', {
      description: def?.help ?? 'Metric producer errors during a collection',
      unit: def?.unit ?? '{error}',
    });
    c.addCallback((r) => {
      if (this.errors > 0) r.observe(this.errors);
    });
  }

  /** The GET /metrics route. */
  route(): Route {
    return {
      method: 'GET',
      path: '/metrics',
      handler: async () => {
        try {
          return { status: 200, headers: { 'Content-Type': PROMETHEUS_CONTENT_TYPE }, body: await this.collect() };
        } catch (err) {
          return { status: 500, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: `# failed to export metrics: ${(err as Error)?.message ?? String(err)}\n` };
        }
      },
    };
  }
}
