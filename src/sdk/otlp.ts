/**
 * The OTLP exporters of the three signals, made from one table of
 * (signal, protocol) -> package and class. The packages are loaded on
 * demand: each pulls in its own transport stack, and the preload's start-up
 * budget (docs/BENCHMARKS.md) has no room for unused ones.
 */
import { diag } from '@opentelemetry/api';
import type { OtlpProtocol, OtlpSignalConfig } from '../config.ts';
import { paceRequestBodies, unrefRetryTimers } from './internals/otlp-exporter-base.ts';
import { withoutEnvHeaders } from './withoutEnvHeaders.ts';
import type { EncodedBatch } from './encoder/BatchBuilder.ts';
import { createEncodedBatchExporter } from './encoder/EncodedBatchExporter.ts';
import type { BatchExporter } from './BoundedExporter.ts';

export { countEncoded } from './encoder/EncodedBatchExporter.ts';

type Req = (id: string) => any;
export const load: Req = (id) => require(id);

export type OtlpSignal = 'traces' | 'logs' | 'metrics';

const EXPORTERS: Record<OtlpSignal, Record<OtlpProtocol, readonly [pkg: string, cls: string]>> = {
  traces: {
    'http/protobuf': ['@opentelemetry/exporter-trace-otlp-proto', 'OTLPTraceExporter'],
    'http/json': ['@opentelemetry/exporter-trace-otlp-http', 'OTLPTraceExporter'],
    grpc: ['@opentelemetry/exporter-trace-otlp-grpc', 'OTLPTraceExporter'],
  },
  logs: {
    'http/protobuf': ['@opentelemetry/exporter-logs-otlp-proto', 'OTLPLogExporter'],
    'http/json': ['@opentelemetry/exporter-logs-otlp-http', 'OTLPLogExporter'],
    grpc: ['@opentelemetry/exporter-logs-otlp-grpc', 'OTLPLogExporter'],
  },
  metrics: {
    'http/protobuf': ['@opentelemetry/exporter-metrics-otlp-proto', 'OTLPMetricExporter'],
    'http/json': ['@opentelemetry/exporter-metrics-otlp-http', 'OTLPMetricExporter'],
    grpc: ['@opentelemetry/exporter-metrics-otlp-grpc', 'OTLPMetricExporter'],
  },
};

/**
 * The OTLP exporter of a signal for its configuration; `extra` is merged
 * into the exporter's options (the metrics' temporality preference).
 */
export function otlpExporter(signal: OtlpSignal, c: OtlpSignalConfig, extra: Record<string, unknown> = {}): any {
  const protocol: OtlpProtocol = c.protocol === 'grpc' || c.protocol === 'http/json' ? c.protocol : 'http/protobuf';
  const [pkg, cls] = EXPORTERS[signal][protocol];
  const Exporter = load(pkg)[cls];
  // The exporters would read the header variables themselves and merge back any header the
  // configuration dropped (withoutEnvHeaders.ts): they get the parsed headers only.
  if (protocol === 'grpc') return withoutEnvHeaders(() => new Exporter({ ...grpcOpts(c), ...extra }));
  const exporter = withoutEnvHeaders(() => new Exporter({ ...httpOpts(c), ...extra }));
  if (!unrefRetryTimers(exporter)) diag.debug('@wundr/otel: the OTLP exporter has no retrying transport to adjust; its retry timers keep the process alive');
  return exporter;
}

/** Whether a signal's spans or log records are encoded as they end (http/protobuf, unless WUNDR_OTEL_OTLP_ENCODER=stock). */
export function encodesOtlp(encoder: 'wundr' | 'stock', c: OtlpSignalConfig): boolean {
  return encoder === 'wundr' && c.protocol === 'http/protobuf';
}

/** The OTLP/HTTP exporter of already encoded requests (sdk/encoder/), with the stock exporters' transport settings. */
export function encodedOtlpExporter(signal: 'traces' | 'logs', c: OtlpSignalConfig): BatchExporter<EncodedBatch> {
  const exporter = withoutEnvHeaders(() => createEncodedBatchExporter(signal, httpOpts(c)));
  if (!unrefRetryTimers(exporter)) diag.debug('@wundr/otel: the OTLP exporter has no retrying transport to adjust; its retry timers keep the process alive');
  if (!paceRequestBodies(exporter)) diag.debug('@wundr/otel: the OTLP exporter has no HTTP transport to adjust; its request bodies go in one write');
  return exporter;
}

/**
 * The OTLP/HTTP exporters' agent, with every socket unref()ed: an export in
 * flight (a collector that accepts and never answers holds one for the whole
 * OTLP timeout) must not keep a finished app alive. The final flush is held
 * open by the shutdown's own bounded timer instead (start.ts).
 */
function unrefAgentFactory(protocol: string): import('node:http').Agent {
  const mod = (protocol === 'https:' ? load('node:https') : load('node:http')) as typeof import('node:http');
  const agent = new mod.Agent({ keepAlive: true });
  const create = agent.createConnection.bind(agent) as (...a: unknown[]) => import('node:net').Socket | undefined;
  (agent as unknown as { createConnection: (...a: unknown[]) => unknown }).createConnection = (...a: unknown[]) => {
    const socket = create(...a);
    socket?.unref?.();
    return socket;
  };
  return agent;
}

function httpOpts(c: OtlpSignalConfig) {
  // Compression from our configuration, so the value doctor shows is the one used (the exporters would also read the env).
  return { url: c.url, headers: c.headers, timeoutMillis: c.timeoutMs, compression: c.compression, httpAgentOptions: unrefAgentFactory };
}

function grpcOpts(c: OtlpSignalConfig): Record<string, unknown> {
  // gRPC takes the bare authority, not the HTTP signal path.
  const u = new URL(c.url);
  return { url: `${u.protocol}//${u.host}`, timeoutMillis: c.timeoutMs, headers: c.headers, compression: c.compression };
}
