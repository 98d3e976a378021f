/**
 * The OTLP exporter variables: the base ones (OTEL_EXPORTER_OTLP_*), each
 * read once, and per signal the OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_*
 * ones that override them (their entries in variables.ts).
 */
import type { Reader } from './reader.ts';
import type { OtlpProtocol, OtlpSignalConfig } from './types.ts';
import { DEFAULT_OTLP_ENDPOINT, type Signal } from './variables.ts';

export { DEFAULT_OTLP_ENDPOINT };
/** OTLP/gRPC's default port is 4317; 4318 is OTLP/HTTP's. */
export const DEFAULT_OTLP_GRPC_ENDPOINT = 'http://localhost:4317';

const SIGNAL_PATH = { TRACES: 'v1/traces', METRICS: 'v1/metrics', LOGS: 'v1/logs' } as const;

/**
 * Reads the three signals. A base variable is read (and warned about) where
 * a signal first needs it, so the warnings come in the order of the signals;
 * the endpoint only when a signal has no valid endpoint of its own.
 */
export function otlpSignals(r: Reader): Record<'traces' | 'metrics' | 'logs', OtlpSignalConfig> {
  // The variable's value, read (and warned about) once; null when unset or invalid: then the
  // default of the signal's protocol.
  let endpoint: string | null | undefined;
  const baseEndpoint = (protocol: OtlpProtocol): string => {
    if (endpoint === undefined) {
      const given = r.get('OTEL_EXPORTER_OTLP_ENDPOINT');
      endpoint = r.raw('OTEL_EXPORTER_OTLP_ENDPOINT') === given ? given : null;
    }
    return endpoint ?? (protocol === 'grpc' ? DEFAULT_OTLP_GRPC_ENDPOINT : DEFAULT_OTLP_ENDPOINT);
  };
  let base: { headers: Record<string, string>; timeoutMs: number; protocol: OtlpProtocol; compression: 'gzip' | 'none' } | undefined;

  const signal = (s: Signal): OtlpSignalConfig => {
    const baseHeaders = base?.headers ?? r.get('OTEL_EXPORTER_OTLP_HEADERS');
    const headers = { ...baseHeaders, ...r.get(`OTEL_EXPORTER_OTLP_${s}_HEADERS`) };
    const baseTimeout = base?.timeoutMs ?? r.get('OTEL_EXPORTER_OTLP_TIMEOUT');
    const timeoutMs = r.get(`OTEL_EXPORTER_OTLP_${s}_TIMEOUT`, baseTimeout);
    const baseProtocol = base?.protocol ?? r.get('OTEL_EXPORTER_OTLP_PROTOCOL');
    const baseCompression = base?.compression ?? r.get('OTEL_EXPORTER_OTLP_COMPRESSION');
    base ??= { headers: baseHeaders, timeoutMs: baseTimeout, protocol: baseProtocol, compression: baseCompression };
    const protocol = r.get(`OTEL_EXPORTER_OTLP_${s}_PROTOCOL`, baseProtocol);
    let url = r.get(`OTEL_EXPORTER_OTLP_${s}_ENDPOINT`);
    if (url === undefined) {
      const b = baseEndpoint(protocol);
      url = b.endsWith('/') ? `${b}${SIGNAL_PATH[s]}` : `${b}/${SIGNAL_PATH[s]}`;
    }
    const compression = r.get(`OTEL_EXPORTER_OTLP_${s}_COMPRESSION`, baseCompression);
    return { url, headers, timeoutMs, protocol, compression };
  };
  return { traces: signal('TRACES'), metrics: signal('METRICS'), logs: signal('LOGS') };
}
