/**
 * The OTLP exporter variables: the base ones (OTEL_EXPORTER_OTLP_*), each
 * read once, and per signal the OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_*
 * ones that override them.
 */
import { parseKeyValueList, validUrl, type Reader } from './reader.ts';
import type { OtlpProtocol, OtlpSignalConfig } from './types.ts';

export const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';

const SIGNAL_PATH = { TRACES: 'v1/traces', METRICS: 'v1/metrics', LOGS: 'v1/logs' } as const;
const PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
const TIMEOUT = { min: 1, max: 600000, integer: true };

type Signal = keyof typeof SIGNAL_PATH;

/**
 * Reads the three signals. A base variable is read (and warned about) where
 * a signal first needs it, so the warnings come in the order of the signals;
 * the endpoint only when a signal has no valid endpoint of its own.
 */
export function otlpSignals(r: Reader): Record<'traces' | 'metrics' | 'logs', OtlpSignalConfig> {
  let endpoint: string | undefined;
  const baseEndpoint = (): string => {
    if (endpoint !== undefined) return endpoint;
    endpoint = DEFAULT_OTLP_ENDPOINT;
    const b = r.raw('OTEL_EXPORTER_OTLP_ENDPOINT');
    if (b !== undefined) {
      if (validUrl(b)) endpoint = b;
      else r.invalid('OTEL_EXPORTER_OTLP_ENDPOINT', 'an http(s) URL', DEFAULT_OTLP_ENDPOINT);
    }
    return endpoint;
  };
  let base: { headers: Record<string, string>; timeoutMs: number; protocol: OtlpProtocol } | undefined;

  const signal = (s: Signal): OtlpSignalConfig => {
    const specificName = `OTEL_EXPORTER_OTLP_${s}_ENDPOINT`;
    let url: string | undefined;
    const specific = r.raw(specificName);
    if (specific !== undefined) {
      if (validUrl(specific)) url = specific;
      else r.invalid(specificName, 'an http(s) URL', '(the base endpoint)');
    }
    if (url === undefined) {
      const b = baseEndpoint();
      url = b.endsWith('/') ? `${b}${SIGNAL_PATH[s]}` : `${b}/${SIGNAL_PATH[s]}`;
    }
    const baseHeaders = base?.headers ?? parseKeyValueList(r, 'OTEL_EXPORTER_OTLP_HEADERS');
    const headers = { ...baseHeaders, ...parseKeyValueList(r, `OTEL_EXPORTER_OTLP_${s}_HEADERS`) };
    const baseTimeout = base?.timeoutMs ?? r.number('OTEL_EXPORTER_OTLP_TIMEOUT', 10000, TIMEOUT);
    const timeoutMs = r.number(`OTEL_EXPORTER_OTLP_${s}_TIMEOUT`, baseTimeout, TIMEOUT);
    const baseProtocol = base?.protocol ?? r.oneOf('OTEL_EXPORTER_OTLP_PROTOCOL', PROTOCOLS, 'http/protobuf');
    base ??= { headers: baseHeaders, timeoutMs: baseTimeout, protocol: baseProtocol };
    const protocol = r.oneOf(`OTEL_EXPORTER_OTLP_${s}_PROTOCOL`, PROTOCOLS, baseProtocol);
    return { url, headers, timeoutMs, protocol };
  };
  return { traces: signal('TRACES'), metrics: signal('METRICS'), logs: signal('LOGS') };
}
