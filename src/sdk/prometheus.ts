/**
 * The Prometheus pull pipeline: the exporter as a reader (its own server
 * not started), the serializer with the label cache (prometheusSerializer.ts)
 * and the /metrics route on the endpoint server.
 */
import type { MeterProvider } from '@opentelemetry/api';
import type { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { Route } from '../endpoint/EndpointServer.ts';
import { PrometheusScrape } from '../endpoint/PrometheusScrape.ts';
import type { SdkBuilder } from '../feature.ts';
import { load } from './otlp.ts';
import { createPrometheusSerializer } from './prometheusSerializer.ts';

export interface PrometheusPull {
  reader: MetricReader;
  serializer: PrometheusSerializer;
}

export function prometheusPull(builder: SdkBuilder): PrometheusPull {
  const { PrometheusExporter } = load('@opentelemetry/exporter-prometheus') as typeof import('@opentelemetry/exporter-prometheus');
  // The catalogue lists each metric's labels exactly (docs/METRICS.md): no otel_scope_* labels.
  const reader = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, metricProducers: builder.metricProducers });
  return { reader, serializer: createPrometheusSerializer({ withoutScopeInfo: true }) };
}

/**
 * GET /metrics: the exporter's collection and serializer, answered with the
 * text format's version in the content type and a 500 when the collection
 * fails; concurrent scrapes share one collection, and a producer that
 * throws is counted and warned about at most once a minute
 * (endpoint/PrometheusScrape.ts).
 */
export function metricsRoute({ reader, serializer }: PrometheusPull, meterProvider?: MeterProvider): Route {
  const scrape = new PrometheusScrape(reader, serializer);
  if (meterProvider) scrape.register(meterProvider);
  return scrape.route();
}
