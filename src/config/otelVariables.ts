/**
 * The OTEL_* names the OpenTelemetry specification defines
 * (specification/configuration/sdk-environment-variables.md and the OTLP
 * exporter's), plus the JS distribution's OTEL_NODE_* ones, so that a name
 * nobody defines (a typo such as OTEL_TRACES_SAMPLR) gets one warning with
 * the closest known name instead of being silently ignored.
 */

const OTLP_KEYS = ['ENDPOINT', 'INSECURE', 'CERTIFICATE', 'CLIENT_KEY', 'CLIENT_CERTIFICATE', 'HEADERS', 'COMPRESSION', 'TIMEOUT', 'PROTOCOL'];

/** Every OTEL_* variable of the specification (whether this package reads it or not). */
export const SPEC_OTEL_VARIABLES: readonly string[] = [
  'OTEL_SDK_DISABLED',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_SERVICE_NAME',
  'OTEL_LOG_LEVEL',
  'OTEL_PROPAGATORS',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_CONFIG_FILE',
  'OTEL_EXPERIMENTAL_CONFIG_FILE',
  'OTEL_SEMCONV_STABILITY_OPT_IN',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_EXPORT_TIMEOUT',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_BLRP_SCHEDULE_DELAY',
  'OTEL_BLRP_EXPORT_TIMEOUT',
  'OTEL_BLRP_MAX_QUEUE_SIZE',
  'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_SPAN_EVENT_COUNT_LIMIT',
  'OTEL_SPAN_LINK_COUNT_LIMIT',
  'OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_LINK_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_TRACES_EXPORTER',
  'OTEL_METRICS_EXPORTER',
  'OTEL_LOGS_EXPORTER',
  'OTEL_METRICS_EXEMPLAR_FILTER',
  'OTEL_METRIC_EXPORT_INTERVAL',
  'OTEL_METRIC_EXPORT_TIMEOUT',
  'OTEL_EXPORTER_ZIPKIN_ENDPOINT',
  'OTEL_EXPORTER_ZIPKIN_TIMEOUT',
  'OTEL_EXPORTER_PROMETHEUS_HOST',
  'OTEL_EXPORTER_PROMETHEUS_PORT',
  ...OTLP_KEYS.map((k) => `OTEL_EXPORTER_OTLP_${k}`),
  ...['TRACES', 'METRICS', 'LOGS'].flatMap((s) => OTLP_KEYS.map((k) => `OTEL_EXPORTER_OTLP_${s}_${k}`)),
  'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
  'OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION',
  // opentelemetry-js (auto-instrumentations-node, sdk-node).
  'OTEL_NODE_ENABLED_INSTRUMENTATIONS',
  'OTEL_NODE_DISABLED_INSTRUMENTATIONS',
  'OTEL_NODE_RESOURCE_DETECTORS',
  // The GenAI semantic conventions.
  'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT',
];

/**
 * Specification variables this package does not apply (the SDK pieces it
 * assembles do not read them either): set, each gets one warning saying so.
 * The OTLP TLS variables (CERTIFICATE, CLIENT_KEY, CLIENT_CERTIFICATE,
 * INSECURE) are not here: the stock OTLP exporters read them themselves.
 */
export const IGNORED_SPEC_VARIABLES: readonly string[] = [
  'OTEL_CONFIG_FILE',
  'OTEL_EXPERIMENTAL_CONFIG_FILE',
  'OTEL_METRICS_EXEMPLAR_FILTER',
  'OTEL_EXPORTER_ZIPKIN_ENDPOINT',
  'OTEL_EXPORTER_ZIPKIN_TIMEOUT',
  'OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION',
];

/** Read by the stock parts themselves (the OTLP exporters' TLS settings, the instrumentations' semconv switch). */
export const STOCK_READ_VARIABLES: readonly string[] = [
  'OTEL_SEMCONV_STABILITY_OPT_IN',
  ...['', 'TRACES_', 'METRICS_', 'LOGS_'].flatMap((s) => ['INSECURE', 'CERTIFICATE', 'CLIENT_KEY', 'CLIENT_CERTIFICATE'].map((k) => `OTEL_EXPORTER_OTLP_${s}${k}`)),
];

/**
 * Instrumentation-specific variables are open-ended by the specification's
 * naming (OTEL_INSTRUMENTATION_<name>_*), so names under it are not reported.
 */
const OPEN_PREFIXES = ['OTEL_INSTRUMENTATION_'];

/** Levenshtein distance, with an early exit past `max`. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length]!;
}

/** The known name closest to `name` (ties: the first in `known`). */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(name, k, bestD);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

/**
 * The OTEL_* names set in `env` that neither `ours` nor the specification
 * defines, each with the closest known name. Values are never looked at (an
 * unknown name may still carry a secret).
 */
export function unknownOtelVariables(env: Record<string, string | undefined>, ours: readonly string[]): { name: string; closest: string | undefined }[] {
  const known = new Set([...SPEC_OTEL_VARIABLES, ...ours]);
  const candidates = [...known].filter((n) => n.startsWith('OTEL_'));
  const out: { name: string; closest: string | undefined }[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('OTEL_') || env[name] === undefined || known.has(name)) continue;
    if (OPEN_PREFIXES.some((p) => name.startsWith(p))) continue;
    out.push({ name, closest: closestName(name, candidates) });
  }
  return out;
}
