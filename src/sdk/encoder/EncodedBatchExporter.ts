import type { BatchExporter } from '../BoundedExporter.ts';
import type { EncodedBatch } from './BatchBuilder.ts';

type Req = (id: string) => any;
// Loaded on demand, as the stock exporters are (start-up budget).
const load: Req = (id) => require(id);

/** The options the OTLP/HTTP exporters take (the package's own `httpOpts`). */
export interface OtlpHttpOptions {
  url: string;
  headers?: Record<string, string>;
  timeoutMillis: number;
  httpAgentOptions?: unknown;
}

const SIGNALS = {
  traces: { env: 'TRACES', path: 'v1/traces', component: 'otlp_http_span_exporter', item: 'span', response: 'ProtobufTraceSerializer' },
  logs: { env: 'LOGS', path: 'v1/logs', component: 'otlp_http_log_exporter', item: 'log', response: 'ProtobufLogsSerializer' },
} as const;

/** Items in a list of encoded requests (for the drop counts). */
export const countEncoded = (batches: EncodedBatch[]): number => batches.reduce((n, b) => n + b.count, 0);

/**
 * An OTLP/HTTP protobuf exporter of requests that are already encoded.
 * It is the stock exporter with the serialization left out: the same
 * otlp-exporter-base transport, configuration and environment
 * (OTEL_EXPORTER_OTLP_[SIGNAL_]COMPRESSION, headers, timeout, retries with
 * backoff on 429/503 and refused connections, concurrency limit), and the
 * stock response deserializer for partial-success reports.
 */
export function createEncodedBatchExporter(signal: 'traces' | 'logs', options: OtlpHttpOptions): BatchExporter<EncodedBatch> {
  const s = SIGNALS[signal];
  const base = load('@opentelemetry/otlp-exporter-base');
  const http = load('@opentelemetry/otlp-exporter-base/node-http');
  // The stock deserializer (and the protobuf tables it brings, ~1.5 MiB of
  // heap) is needed only for a partial-success report: a full success is
  // an empty body.
  let stock: { deserializeResponse(data: Uint8Array): unknown } | undefined;
  const serializer = {
    // Requests concatenate into one (their fields are all repeated), should more than one come at once.
    serializeRequest: (batches: EncodedBatch[]): Uint8Array =>
      batches.length === 1 ? batches[0]!.bytes : Buffer.concat(batches.map((b) => b.bytes)),
    deserializeResponse: (data: Uint8Array): unknown =>
      data.length === 0 ? {} : (stock ??= load('@opentelemetry/otlp-transformer')[s.response]).deserializeResponse(data),
  };
  const config = http.convertLegacyHttpOptions(options, s.env, s.path, { 'Content-Type': 'application/x-protobuf' });
  const helper = { name: s.item, countItems: countEncoded };
  return new base.OTLPExporterBase(http.createOtlpHttpExportDelegate(config, serializer, s.component, helper, undefined)) as BatchExporter<EncodedBatch>;
}
