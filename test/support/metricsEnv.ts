/**
 * The settings of an in-process SDK that exports only metrics, both to
 * /metrics on `metricsPort` and, with delta temporality and a short
 * interval, over OTLP to `otlpEndpoint` (a test receiver).
 */
export function deltaMetricsEnv(metricsPort: number, otlpEndpoint: string): Record<string, string> {
  return {
    METRICS_PORT: String(metricsPort),
    METRICS_HOST: '127.0.0.1',
    OTEL_METRICS_EXPORTER: 'prometheus,otlp',
    OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
    OTEL_METRIC_EXPORT_INTERVAL: '200',
    OTEL_METRIC_EXPORT_TIMEOUT: '200',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
  };
}
