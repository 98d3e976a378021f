/** Every stock OTLP/HTTP exporter (traces, logs, metrics; protobuf and JSON): package and class name. */
export const OTLP_HTTP_EXPORTERS = [
  ['@opentelemetry/exporter-trace-otlp-proto', 'OTLPTraceExporter'],
  ['@opentelemetry/exporter-trace-otlp-http', 'OTLPTraceExporter'],
  ['@opentelemetry/exporter-logs-otlp-proto', 'OTLPLogExporter'],
  ['@opentelemetry/exporter-logs-otlp-http', 'OTLPLogExporter'],
  ['@opentelemetry/exporter-metrics-otlp-proto', 'OTLPMetricExporter'],
  ['@opentelemetry/exporter-metrics-otlp-http', 'OTLPMetricExporter'],
] as const;
