/**
 * The table of every variable the configuration reads: its kind, default,
 * bounds, whether it is secret, which OTEL_* variable wins over it, and its
 * one-line doc. The reading (src/config.ts through Reader.get), the lists
 * CONFIG_VARIABLES and SECRET_VARIABLES, `wundr-otel doctor` and README.md's
 * configuration tables (src/config/docs.ts) all come from here, so adding a
 * variable is adding one entry.
 */
import type {
  DiagLevelName,
  LogFormat,
  LogLevelName,
  LogsExporterName,
  MetricsExporterName,
  MetricsTemporality,
  OtlpProtocol,
  PropagatorName,
  SamplerName,
  TracesExporterName,
} from './types.ts';

export const DEFAULT_SERVICE_NAME = 'wundr-orchestrator';
export const DEFAULT_METRICS_PORT = 9090;
export const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'authorization',
  'apikey',
  'password',
  'passwd',
  'token',
  'accesstoken',
  'refreshtoken',
  'secret',
  'clientsecret',
  'cookie',
  'setcookie',
  'privatekey',
];

/** What every entry has besides its kind. */
interface Common {
  /** One line for README.md's table. */
  doc: string;
  /** The default as README.md shows it, when the value itself says too little. */
  shownDefault?: string;
  /** Never printed (doctor, /health, warnings). */
  secret?: boolean;
  /** The OTEL_* variable that says the same thing and wins when both are set. */
  overriddenBy?: string;
  /** How this variable maps onto `overriddenBy`, for README.md's precedence table. */
  precedenceNote?: string;
  /** Entries with the same row share one line of README.md's table (the per-signal OTLP ones). */
  row?: string;
}

export interface BoolSpec extends Common {
  kind: 'bool';
  default: boolean;
}
export interface NumberSpec extends Common {
  kind: 'number';
  default: number;
  min: number;
  max: number;
  integer?: boolean;
  /** The expectation a warning names, when "an integer from min to max" is not the clearest. */
  what?: string;
}
export interface OneOfSpec<T extends string = string> extends Common {
  kind: 'oneOf';
  values: readonly T[];
  default: T;
}
/** Comma-separated names; `none` alone is the empty list. */
export interface ListSpec<T extends string = string> extends Common {
  kind: 'list';
  values: readonly T[];
  default: readonly T[];
}
/** `k=v,…`, percent-decoded. */
export interface KeyValuesSpec extends Common {
  kind: 'keyValues';
}
/** An http(s) URL; `default` is used (and named in the warning as `fallback`) when invalid. */
export interface UrlSpec extends Common {
  kind: 'url';
  default: string | undefined;
  fallback: string;
}
/** A host name or IP address (no port, no path). */
export interface HostSpec extends Common {
  kind: 'host';
  default: string;
}
/** Free text, trimmed; what it means is up to the code that reads it. */
export interface TextSpec extends Common {
  kind: 'text';
}

export type VariableSpec = BoolSpec | NumberSpec | OneOfSpec | ListSpec | KeyValuesSpec | UrlSpec | HostSpec | TextSpec;

const bool = (def: boolean, doc: string, more: Partial<Common> = {}): BoolSpec => ({ kind: 'bool', default: def, doc, ...more });
const int = (def: number, min: number, max: number, doc: string, more: Partial<Common> & { what?: string } = {}): NumberSpec => ({
  kind: 'number',
  default: def,
  min,
  max,
  integer: true,
  doc,
  ...more,
});
const num = (def: number, min: number, max: number, doc: string, more: Partial<Common> = {}): NumberSpec => ({ kind: 'number', default: def, min, max, doc, ...more });
const oneOf = <T extends string>(values: readonly T[], def: T, doc: string, more: Partial<Common> = {}): OneOfSpec<T> => ({ kind: 'oneOf', values, default: def, doc, ...more });
const list = <T extends string>(values: readonly T[], def: readonly T[], doc: string, more: Partial<Common> = {}): ListSpec<T> => ({ kind: 'list', values, default: def, doc, ...more });
const keyValues = (doc: string, more: Partial<Common> = {}): KeyValuesSpec => ({ kind: 'keyValues', doc, ...more });
const text = (doc: string, more: Partial<Common> = {}): TextSpec => ({ kind: 'text', doc, ...more });

export const SIGNALS = ['TRACES', 'METRICS', 'LOGS'] as const;
export type Signal = (typeof SIGNALS)[number];

const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json', 'grpc'];
const OTLP_TIMEOUT = { min: 1, max: 600000 };

/** The base OTLP variables; each has a per-signal twin generated below. */
const OTLP_BASE = {
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    kind: 'url',
    default: DEFAULT_OTLP_ENDPOINT,
    fallback: DEFAULT_OTLP_ENDPOINT,
    doc: 'base URL; `/v1/traces`, `/v1/metrics`, `/v1/logs` appended (unset with `grpc`: `http://localhost:4317`)',
  } satisfies UrlSpec,
  OTEL_EXPORTER_OTLP_HEADERS: keyValues('`k=v,…`; never printed; an entry HTTP does not allow (CR/LF, control characters) is dropped with one warning', { secret: true }),
  OTEL_EXPORTER_OTLP_TIMEOUT: int(10000, OTLP_TIMEOUT.min, OTLP_TIMEOUT.max, 'ms'),
  OTEL_EXPORTER_OTLP_PROTOCOL: oneOf(PROTOCOLS, 'http/protobuf', 'also `http/json`, `grpc` (each loaded only when used). With `grpc`, an export in flight when a short job ends holds it until that export\'s timeout (docs/RELIABILITY.md)'),
  OTEL_EXPORTER_OTLP_COMPRESSION: oneOf(['gzip', 'none'] as const, 'none', '`gzip` on every protocol'),
};
type OtlpKey = 'ENDPOINT' | 'HEADERS' | 'TIMEOUT' | 'PROTOCOL' | 'COMPRESSION';
type PerSignal = { [K in OtlpKey as `OTEL_EXPORTER_OTLP_${Signal}_${K}`]: (typeof OTLP_BASE)[`OTEL_EXPORTER_OTLP_${K}`] };

/** A per-signal variable is its base variable's entry, defaulting to the base value (read first). */
function perSignalEntries(): PerSignal {
  const out: Record<string, VariableSpec> = {};
  for (const s of SIGNALS) {
    for (const k of ['ENDPOINT', 'HEADERS', 'TIMEOUT', 'PROTOCOL', 'COMPRESSION'] as const) {
      const base = OTLP_BASE[`OTEL_EXPORTER_OTLP_${k}`];
      const row = `OTEL_EXPORTER_OTLP_{${SIGNALS.join(',')}}_${k}`;
      out[`OTEL_EXPORTER_OTLP_${s}_${k}`] =
        base.kind === 'url'
          ? { ...base, default: undefined, fallback: '(the base endpoint)', doc: 'full URL for one signal', row }
          : { ...base, shownDefault: `\`OTEL_EXPORTER_OTLP_${k}\``, doc: `one signal's; ${base.kind === 'keyValues' ? 'merged over the base ones' : 'wins over the base one'}`, row };
    }
  }
  return out as PerSignal;
}

type BatchKey = 'SCHEDULE_DELAY' | 'EXPORT_TIMEOUT' | 'MAX_QUEUE_SIZE' | 'MAX_EXPORT_BATCH_SIZE';
type Batch<P extends string> = { [K in BatchKey as `${P}_${K}`]: NumberSpec };

function batchEntries<P extends 'OTEL_BSP' | 'OTEL_BLRP'>(prefix: P, delay: number, what: string): Batch<P> {
  return {
    [`${prefix}_SCHEDULE_DELAY`]: int(delay, 0, 3600000, `${what}: ms between exports`),
    [`${prefix}_EXPORT_TIMEOUT`]: int(30000, 1, 600000, `${what}: ms one export may take`),
    [`${prefix}_MAX_QUEUE_SIZE`]: int(2048, 1, 1_000_000, `${what}: records held before new ones are dropped`),
    [`${prefix}_MAX_EXPORT_BATCH_SIZE`]: int(512, 1, 1_000_000, `${what}: records per export (at most the queue size)`),
  } as Batch<P>;
}

/** Spec bounds on what a span or log record keeps; the count limits default to 128, the lengths to none. */
const COUNT_MAX = 1_000_000;
// Longer than any JavaScript string can be (V8: 2^29-24 characters): the default, read as no limit (src/config/limits.ts).
const LENGTH_MAX = 2 ** 30;
const NO_LIMIT = { shownDefault: 'no limit' };
const LIMITS = {
  OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: int(LENGTH_MAX, 0, LENGTH_MAX, 'longest attribute string value kept on spans and log records (longer ones cut); array strings too', NO_LIMIT),
  OTEL_ATTRIBUTE_COUNT_LIMIT: int(128, 0, COUNT_MAX, 'most attributes per span and per log record; more are dropped and counted in `droppedAttributesCount`'),
  OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: int(LENGTH_MAX, 0, LENGTH_MAX, 'spans only; wins over `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`', { shownDefault: '`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`' }),
  OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: int(128, 0, COUNT_MAX, 'spans only; wins over `OTEL_ATTRIBUTE_COUNT_LIMIT`', { shownDefault: '`OTEL_ATTRIBUTE_COUNT_LIMIT`' }),
  OTEL_SPAN_EVENT_COUNT_LIMIT: int(128, 0, COUNT_MAX, 'most events per span (the oldest are dropped)'),
  OTEL_SPAN_LINK_COUNT_LIMIT: int(128, 0, COUNT_MAX, 'most links per span'),
  OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT: int(128, 0, COUNT_MAX, 'most attributes per span event'),
  OTEL_LINK_ATTRIBUTE_COUNT_LIMIT: int(128, 0, COUNT_MAX, 'most attributes per span link'),
  OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT: int(LENGTH_MAX, 0, LENGTH_MAX, 'log records only; wins over `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`', {
    shownDefault: '`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`',
  }),
  OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT: int(128, 0, COUNT_MAX, 'log records only; wins over `OTEL_ATTRIBUTE_COUNT_LIMIT`', { shownDefault: '`OTEL_ATTRIBUTE_COUNT_LIMIT`' }),
};

const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

/** Every variable, in the order doctor lists them. */
export const VARIABLES = {
  OTEL_SDK_DISABLED: bool(false, '`true`: the preload does nothing at all'),
  OTEL_SERVICE_NAME: text('`service.name` (else `service.name` from `OTEL_RESOURCE_ATTRIBUTES`)', { shownDefault: `\`${DEFAULT_SERVICE_NAME}\`` }),
  OTEL_RESOURCE_ATTRIBUTES: keyValues('`k=v,…` (percent-decoded); `service.version`, `service.instance.id` (default: a random UUID per process)'),
  OTEL_LOG_LEVEL: oneOf<DiagLevelName>(['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'], 'warn', "the SDK's own diagnostics (stderr): none, error, warn, info, debug, verbose, all"),
  OTEL_PROPAGATORS: list<PropagatorName>(
    ['tracecontext', 'baggage', 'xtraceid'],
    ['tracecontext', 'baggage'],
    'the legacy `x-trace-id` header is always accepted on input; add `xtraceid` to also send it; `none`',
  ),
  OTEL_TRACES_EXPORTER: list<TracesExporterName>(
    ['otlp', 'console'],
    ['otlp'],
    '`otlp`, `console`, `none` (with tracing on, `none` still takes part in traces: non-recording spans with fresh ids)',
  ),
  OTEL_METRICS_EXPORTER: list<MetricsExporterName>(['prometheus', 'otlp', 'console'], ['prometheus'], '`prometheus` (the endpoint), `otlp` (push), `console`, `none`'),
  OTEL_LOGS_EXPORTER: list<LogsExporterName>(['otlp', 'console'], ['otlp'], '`otlp`, `console`, `none` (stdout lines are always written)'),
  OTEL_TRACES_SAMPLER: oneOf(SAMPLERS, 'parentbased_always_on', 'the OTel sampler names', { shownDefault: 'see `TRACING_SAMPLE_RATE`' }),
  OTEL_TRACES_SAMPLER_ARG: num(1, 0, 1, 'the ratio of the `*traceidratio` samplers, 0.0–1.0', { shownDefault: 'see `TRACING_SAMPLE_RATE`' }),
  ...OTLP_BASE,
  ...perSignalEntries(),
  OTEL_EXPORTER_PROMETHEUS_HOST: { kind: 'host', default: '0.0.0.0', doc: "the endpoint's bind address", shownDefault: 'see `METRICS_HOST`' } satisfies HostSpec,
  OTEL_EXPORTER_PROMETHEUS_PORT: int(DEFAULT_METRICS_PORT, 1, 65535, "the endpoint's port", { what: 'a TCP port (1-65535)', shownDefault: 'see `METRICS_PORT`' }),
  ...batchEntries('OTEL_BSP', 5000, 'batch span processor'),
  ...batchEntries('OTEL_BLRP', 1000, 'batch log record processor'),
  ...LIMITS,
  OTEL_METRIC_EXPORT_INTERVAL: int(60000, 100, 86_400_000, 'OTLP metric push: ms between exports'),
  OTEL_METRIC_EXPORT_TIMEOUT: int(30000, 1, 600000, 'OTLP metric push: ms one export may take (at most the interval)'),
  OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: oneOf<MetricsTemporality>(
    ['cumulative', 'delta', 'lowmemory'],
    'cumulative',
    'OTLP metric push: `delta` or `lowmemory`: counters and histograms report what changed in the interval; gauges report their value in every export; Prometheus is always cumulative',
  ),
  // Read by src/config/nodeSettings.ts (names checked there, with the closest known name in the warning).
  OTEL_NODE_ENABLED_INSTRUMENTATIONS: text(
    'the only instrumentations installed, by auto-instrumentations-node\'s names (`http`, `undici`, `pg`, `ioredis`, `redis`; docs/CONFIGURATION.md)',
    { shownDefault: '`http,undici`' },
  ),
  OTEL_NODE_DISABLED_INSTRUMENTATIONS: text('instrumentations never installed (wins over the enabled list)'),
  OTEL_NODE_RESOURCE_DETECTORS: text(
    '`env`, `host`, `os`, `process` (never the command line), `serviceinstance`, `container`, `all` (these), `none`; cloud `aws`, `gcp`, `azure`, `alibaba` only when named',
    { shownDefault: '`env,host,os,process,serviceinstance`' },
  ),
  LOG_FORMAT: oneOf<LogFormat>(['json', 'text'], 'json', 'stdout line format', { shownDefault: '`json` (`text` on a TTY)' }),
  LOG_LEVEL: oneOf<LogLevelName>(['debug', 'info', 'warn', 'error'], 'info', '`debug`, `info`, `warn`, `error`'),
  LOG_REDACT_KEYS: text(
    'keys redacted at any depth in log metadata, and in span attributes (the key or any dotted segment; listed query parameters in `url.query`/`url.full`)',
    { shownDefault: 'authorization, apiKey, password, token, secret, cookie, …' },
  ),
  LOG_MAX_STRING_LENGTH: int(16384, 16, 10_000_000, 'longer strings are cut with a marker'),
  METRICS_ENABLED: bool(true, '`false`: no meter provider, no `/metrics`', {
    overriddenBy: 'OTEL_METRICS_EXPORTER',
    precedenceNote: '`METRICS_ENABLED=false` means `OTEL_METRICS_EXPORTER=none`',
  }),
  METRICS_HOST: { kind: 'host', default: '0.0.0.0', doc: "the endpoint's bind address", overriddenBy: 'OTEL_EXPORTER_PROMETHEUS_HOST' } satisfies HostSpec,
  METRICS_PORT: int(DEFAULT_METRICS_PORT, 1, 65535, "the endpoint's port", { what: 'a TCP port (1-65535)', overriddenBy: 'OTEL_EXPORTER_PROMETHEUS_PORT' }),
  METRICS_COLLECT_DEFAULT: bool(true, 'process metrics (heap, RSS, CPU, fds, event-loop lag, uptime; GC pauses with `WUNDR_OTEL_GC_PAUSES`)'),
  WUNDR_OTEL_GC_PAUSES: bool(
    false,
    "`true`: every GC pause into `wundr_process_gc_duration_seconds` (with METRICS_COLLECT_DEFAULT). Off by default: Node's 'gc' PerformanceObserver leaves 4–8 KiB of old-generation garbage per collection (docs/PERFORMANCE.md)",
  ),
  TRACING_ENABLED: bool(true, '`false`: no span recorded or exported; context still propagates'),
  TRACING_SAMPLE_RATE: num(1, 0, 1, 'parent-based ratio sampler, 0.0–1.0', {
    shownDefault: '`1.0`',
    overriddenBy: 'OTEL_TRACES_SAMPLER',
    precedenceNote: 'with `OTEL_TRACES_SAMPLER_ARG`; the rate maps to `parentbased_traceidratio` (`parentbased_always_on` at 1.0)',
  }),
  TRACING_SPAN_TTL_MS: int(300000, 1000, 86_400_000, 'helper spans never ended are ended (error) after this'),
  WUNDR_OTEL_HTTP_SERVER_SPANS: oneOf(
    ['diagnostics_channel', 'instrumentation'] as const,
    'diagnostics_channel',
    "who makes the SERVER span of each incoming HTTP request: `diagnostics_channel` (the package, from Node's `http.server.*` channels; cheaper) or `instrumentation` (instrumentation-http's patch, as before)",
  ),
  WUNDR_OTEL_OTLP_ENCODER: oneOf(
    ['wundr', 'stock'] as const,
    'wundr',
    "http/protobuf traces and logs: `wundr` encodes each span and log record into the current OTLP request as it ends (the SDK object is not kept until its batch is sent) and writes each request in 16 KiB pieces, one per event-loop turn (more when the turns are long); `stock` goes back to the SDK's batch processors and the stock OTLP exporters, each request in one write (for A/B runs, and as a way out). http/json and grpc always use the stock exporters",
  ),
  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: bool(
    false,
    '`true`: prompts and completions on the `chat {model}` spans (`gen_ai.input.messages`, `gen_ai.output.messages`, `gen_ai.system_instructions`), redacted with `LOG_REDACT_KEYS`, strings cut at `LOG_MAX_STRING_LENGTH`',
  ),
  HEALTH_CHECK_ENABLED: bool(true, '`/health` with component checks'),
  HEALTH_CHECK_TIMEOUT: int(5000, 1, 600000, 'ms per component check'),
  ALERTING_ENABLED: bool(true, 'the in-process alert evaluator'),
  ALERTING_EVALUATION_INTERVAL: num(30, 1, 86400, 'seconds'),
  // May carry credentials in the URL.
  ALERTING_WEBHOOK_URL: text('comma-separated URLs that get every firing/resolved alert (Alertmanager `/api/v2/alerts` body); never printed', { secret: true }),
  WUNDR_OTEL_SHUTDOWN_TIMEOUT: int(5000, 0, 120000, 'ms the graceful stop may take (the flush after an uncaught exception: at most 2000)'),
  WUNDR_OTEL_ENDPOINT_TOKEN: text('bearer token required on every endpoint route (not `/live`); the admin token is accepted too', { secret: true }),
  WUNDR_OTEL_ADMIN_TOKEN: text('bearer token for state-changing routes (`POST /loglevel`); without any token they answer loopback callers only', { secret: true, shownDefault: 'the endpoint token' }),
};

export type VariableName = keyof typeof VARIABLES;
export type SpecOf<N extends VariableName> = (typeof VARIABLES)[N];

/** Every variable the configuration reads, for `wundr-otel doctor` and the docs. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(VARIABLES);

/** Variables whose values must never be printed (doctor, /health, warnings). */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set(
  Object.entries(VARIABLES as Record<string, VariableSpec>)
    .filter(([, s]) => s.secret === true)
    .map(([n]) => n),
);
