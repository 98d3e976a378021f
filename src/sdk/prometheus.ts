/**
 * The Prometheus pull pipeline: the exporter as a reader (its own server
 * not started), the serializer with the label cache (prometheusSerializer.ts)
 * and the /metrics route on the endpoint server.
 */
import { diag } from '@opentelemetry/api';
import type { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { Route } from '../endpoint/EndpointServer.ts';
import type { SdkBuilder } from '../feature.ts';
import { load } from './otlp.ts';
import { createPrometheusSerializer } from './prometheusSerializer.ts';

const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

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
 * GET /metrics: the exporter's collection and serializer, answered here with
 * the text format's version in the content type, and a 500 when the
 * collection fails, so that Prometheus marks the target down instead of
 * storing an empty scrape.
 */
export function metricsRoute({ reader, serializer }: PrometheusPull): Route {
  return {
    method: 'GET',
    path: '/metrics',
    handler: (_req, res) => {
      reader.collect().then(
        ({ resourceMetrics, errors }) => {
          if (errors.length > 0) diag.error('@wundr/otel: /metrics: collection errors', ...errors);
          const body = serializer.serialize(resourceMetrics);
          res.statusCode = 200;
          res.setHeader('content-type', PROMETHEUS_CONTENT_TYPE);
          res.end(body);
        },
      ).catch((err: unknown) => {
        if (res.headersSent) return void res.destroy();
        res.statusCode = 500;
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.end(`# failed to export metrics: ${(err as Error)?.message ?? String(err)}\n`);
      });
      return 'handled';
    },
  };
}
