/**
 * Environment -> typed configuration. Pure: reads only the object it is
 * given, never throws, and returns every problem as a warning that names the
 * variable, the value it saw and the value it used instead.
 *
 * Precedence, where a seed (§11) variable and an OTEL_* variable say the same
 * thing: the OTEL_* variable wins, and a warning is given when both are set
 * and disagree. The table in README.md ("Configuration") is the contract.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export type LogFormat = 'json' | 'text';
export type LogLevelName = 'debug' | 'info' | 'warn' | 'error';
export type DiagLevelName = 'none' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all';
export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';
export type TracesExporterName = 'otlp' | 'console';
export type MetricsExporterName = 'prometheus' | 'otlp' | 'console';
export type LogsExporterName = 'otlp' | 'console';
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';
export type PropagatorName = 'tracecontext' | 'baggage' | 'xtraceid';

export type MetricsTemporality = 'cumulative' | 'delta' | 'lowmemory';

export interface OtlpSignalConfig {
  /** Full URL of the signal's export path (…/v1/traces etc.). */
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  protocol: OtlpProtocol;
}

export interface BatchConfig {
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
}

export interface WundrOtelConfig {
  /** OTEL_SDK_DISABLED: nothing starts, every API is a no-op. */
  disabled: boolean;
  serviceName: string;
  serviceVersion: string | undefined;
  serviceInstanceId: string | undefined;
  resourceAttributes: Record<string, string>;
  diagLogLevel: DiagLevelName;
  propagators: PropagatorName[];
  shutdownTimeoutMs: number;
  logging: {
    format: LogFormat;
    level: LogLevelName;
    exporters: LogsExporterName[];
    /** Keys whose values are replaced by `[REDACTED]` in log metadata and span attributes. */
    redactKeys: string[];
    /** Longest string value kept in a log record before it is cut with a marker. */
    maxStringLength: number;
    batch: BatchConfig;
  };
  tracing: {
    /** TRACING_ENABLED=false: spans are not recorded or exported; context still propagates. */
    enabled: boolean;
    exporters: TracesExporterName[];
    sampler: SamplerName;
    /** Ratio for the *traceidratio samplers (0..1). */
    samplerArg: number;
    /** Spans started by the helpers and never ended are ended after this long. */
    spanTtlMs: number;
    /**
     * Who makes the SERVER span of each incoming HTTP request: the package
     * from Node's http diagnostics_channel events (default, cheaper), or
     * @opentelemetry/instrumentation-http's patch of Server.prototype.emit
     * (WUNDR_OTEL_HTTP_SERVER_SPANS=instrumentation, the escape hatch).
     */
    httpServerSpans: 'diagnostics_channel' | 'instrumentation';
    batch: BatchConfig;
  };
  metrics: {
    /** false: no meter provider, no /metrics route; typed recorders are no-ops. */
    enabled: boolean;
    exporters: MetricsExporterName[];
    host: string;
    port: number;
    /** System (process) metrics of seed §3.1. */
    collectDefault: boolean;
    exportIntervalMs: number;
    exportTimeoutMs: number;
    /** OTLP push: which instruments report deltas (the OTLP exporters' selectors of the same names). */
    temporality: MetricsTemporality;
  };
  health: {
    enabled: boolean;
    timeoutMs: number;
  };
  alerting: {
    enabled: boolean;
    evaluationIntervalSeconds: number;
    /** Webhooks (Alertmanager-compatible body) every firing/resolved alert is POSTed to. */
    webhookUrls: string[];
  };
  endpoint: {
    /** Bearer token required on every endpoint route when set. */
    token: string | undefined;
    /** Bearer token required on state-changing routes (POST /loglevel); defaults to `token`. */
    adminToken: string | undefined;
  };
  otlp: {
    traces: OtlpSignalConfig;
    metrics: OtlpSignalConfig;
    logs: OtlpSignalConfig;
  };
}

export interface ConfigWarning {
  variable: string;
  value: string | undefined;
  message: string;
}

export interface ConfigResult {
  config: WundrOtelConfig;
  warnings: ConfigWarning[];
}

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

/** Every variable the configuration reads, for `wundr-otel doctor` and the docs. */
export const CONFIG_VARIABLES: readonly string[] = [
  'OTEL_SDK_DISABLED',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_LOG_LEVEL',
  'OTEL_PROPAGATORS',
  'OTEL_TRACES_EXPORTER',
  'OTEL_METRICS_EXPORTER',
  'OTEL_LOGS_EXPORTER',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  ...(['TRACES', 'METRICS', 'LOGS'] as const).flatMap((s) =>
    ['ENDPOINT', 'HEADERS', 'TIMEOUT', 'PROTOCOL'].map((k) => `OTEL_EXPORTER_OTLP_${s}_${k}`),
  ),
  'OTEL_EXPORTER_PROMETHEUS_HOST',
  'OTEL_EXPORTER_PROMETHEUS_PORT',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_EXPORT_TIMEOUT',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_BLRP_SCHEDULE_DELAY',
  'OTEL_BLRP_EXPORT_TIMEOUT',
  'OTEL_BLRP_MAX_QUEUE_SIZE',
  'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_METRIC_EXPORT_INTERVAL',
  'OTEL_METRIC_EXPORT_TIMEOUT',
  'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
  'LOG_FORMAT',
  'LOG_LEVEL',
  'LOG_REDACT_KEYS',
  'LOG_MAX_STRING_LENGTH',
  'METRICS_ENABLED',
  'METRICS_HOST',
  'METRICS_PORT',
  'METRICS_COLLECT_DEFAULT',
  'TRACING_ENABLED',
  'TRACING_SAMPLE_RATE',
  'TRACING_SPAN_TTL_MS',
  'WUNDR_OTEL_HTTP_SERVER_SPANS',
  'HEALTH_CHECK_ENABLED',
  'HEALTH_CHECK_TIMEOUT',
  'ALERTING_ENABLED',
  'ALERTING_EVALUATION_INTERVAL',
  'ALERTING_WEBHOOK_URL',
  'WUNDR_OTEL_SHUTDOWN_TIMEOUT',
  'WUNDR_OTEL_ENDPOINT_TOKEN',
  'WUNDR_OTEL_ADMIN_TOKEN',
];

/** Variables whose values must never be printed (doctor, /health, warnings). */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  'OTEL_EXPORTER_OTLP_METRICS_HEADERS',
  'OTEL_EXPORTER_OTLP_LOGS_HEADERS',
  'WUNDR_OTEL_ENDPOINT_TOKEN',
  'WUNDR_OTEL_ADMIN_TOKEN',
  // May carry credentials in the URL.
  'ALERTING_WEBHOOK_URL',
]);

/** Longest value quoted back in a warning; hostile values are cut and escaped. */
const MAX_QUOTED = 64;

export function quoteValue(variable: string, value: string | undefined): string {
  if (value === undefined) return '(unset)';
  if (SECRET_VARIABLES.has(variable)) return '"***"';
  let shown = value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value;
  // JSON escaping keeps control characters and newlines out of the warning line;
  // DEL, C1 controls, line separators and bidi overrides (which JSON leaves
  // raw) are escaped too, so a value cannot rewrite the terminal line.
  shown = JSON.stringify(shown).replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return value.length > MAX_QUOTED ? `${shown} (${value.length} chars)` : shown;
}

class Reader {
  readonly warnings: ConfigWarning[] = [];
  readonly env: Env;

  constructor(env: Env) {
    this.env = env;
  }

  /** The raw value, or undefined when unset or blank (blank counts as unset, as in the OTel spec). */
  raw(name: string): string | undefined {
    const v = this.env[name];
    if (v === undefined) return undefined;
    return v.trim() === '' ? undefined : v.trim();
  }

  warn(variable: string, message: string): void {
    this.warnings.push({ variable, value: this.env[variable], message });
  }

  invalid(variable: string, expected: string, used: unknown): void {
    this.warn(
      variable,
      `${variable}=${quoteValue(variable, this.env[variable])} is not ${expected}; using ${formatUsed(used)}`,
    );
  }

  bool(name: string, def: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return def;
    const l = v.toLowerCase();
    if (l === 'true' || l === '1' || l === 'yes' || l === 'on') return true;
    if (l === 'false' || l === '0' || l === 'no' || l === 'off') return false;
    this.invalid(name, 'a boolean (true|false)', def);
    return def;
  }

  /** Optional boolean: undefined when unset or invalid (after warning). */
  optBool(name: string, def: boolean): boolean | undefined {
    return this.raw(name) === undefined ? undefined : this.bool(name, def);
  }

  number(name: string, def: number, opts: { min?: number; max?: number; integer?: boolean; what?: string } = {}): number {
    const v = this.raw(name);
    if (v === undefined) return def;
    return this.parseNumber(name, v, def, opts) ?? def;
  }

  optNumber(name: string, def: number, opts: { min?: number; max?: number; integer?: boolean; what?: string } = {}): number | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    return this.parseNumber(name, v, def, opts);
  }

  private parseNumber(
    name: string,
    v: string,
    def: number,
    opts: { min?: number; max?: number; integer?: boolean; what?: string },
  ): number | undefined {
    const { min = -Infinity, max = Infinity, integer = false } = opts;
    const what =
      opts.what ??
      `${integer ? 'an integer' : 'a number'}${
        Number.isFinite(min) && Number.isFinite(max)
          ? ` from ${min} to ${max}`
          : Number.isFinite(min)
            ? ` >= ${min}`
            : Number.isFinite(max)
              ? ` <= ${max}`
              : ''
      }`;
    // Number('') and Number(' ') are 0 and Number('0x10') is 16: accept plain decimals only.
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) {
      this.invalid(name, what, def);
      return undefined;
    }
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      this.invalid(name, what, def);
      return undefined;
    }
    return n;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], def: T): T {
    const v = this.raw(name);
    if (v === undefined) return def;
    const l = v.toLowerCase() as T;
    if (allowed.includes(l)) return l;
    this.invalid(name, `one of ${allowed.join('|')}`, def);
    return def;
  }

  optOneOf<T extends string>(name: string, allowed: readonly T[], def: T): T | undefined {
    return this.raw(name) === undefined ? undefined : this.oneOf(name, allowed, def);
  }

  /** Comma-separated list of names; `none` alone means the empty list. */
  list<T extends string>(name: string, allowed: readonly T[], def: readonly T[]): T[] | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    const items = v
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== '');
    if (items.length === 1 && items[0] === 'none') return [];
    const out: T[] = [];
    const bad: string[] = [];
    for (const it of items) {
      if (it === 'none') continue;
      if ((allowed as readonly string[]).includes(it)) {
        if (!out.includes(it as T)) out.push(it as T);
      } else bad.push(it);
    }
    if (bad.length > 0) {
      const used = out.length > 0 ? out : [...def];
      this.warn(
        name,
        `${name}=${quoteValue(name, this.env[name])} names unknown value(s) ${bad
          .map((b) => quoteValue(name, b))
          .join(', ')} (known: ${allowed.join('|')}, none); using ${used.length ? used.join(',') : 'none'}`,
      );
      return used;
    }
    return out;
  }
}

function formatUsed(v: unknown): string {
  if (Array.isArray(v)) return v.length ? v.join(',') : 'none';
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** W3C Baggage-style `key=value,key2=value2` with percent-decoding (OTEL_RESOURCE_ATTRIBUTES, *_HEADERS). */
function parseKeyValueList(r: Reader, name: string): Record<string, string> {
  const v = r.raw(name);
  const out: Record<string, string> = {};
  if (v === undefined) return out;
  let bad = 0;
  for (const part of v.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) {
      bad++;
      continue;
    }
    const key = safeDecode(part.slice(0, eq).trim());
    const value = safeDecode(part.slice(eq + 1).trim());
    if (key === undefined || value === undefined || key === '') {
      bad++;
      continue;
    }
    out[key] = value;
  }
  if (bad > 0) {
    r.warn(
      name,
      `${name}=${quoteValue(name, r.env[name])} has ${bad} malformed entr${bad === 1 ? 'y' : 'ies'} (expected key=value,…); ignoring ${bad === 1 ? 'it' : 'them'}`,
    );
  }
  return out;
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function validUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

const SIGNAL_PATH = { TRACES: 'v1/traces', METRICS: 'v1/metrics', LOGS: 'v1/logs' } as const;

function otlpSignal(r: Reader, signal: 'TRACES' | 'METRICS' | 'LOGS'): OtlpSignalConfig {
  const specificName = `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`;
  let url: string | undefined;
  const specific = r.raw(specificName);
  if (specific !== undefined) {
    if (validUrl(specific)) url = specific;
    else r.invalid(specificName, 'an http(s) URL', '(the base endpoint)');
  }
  if (url === undefined) {
    let base = DEFAULT_OTLP_ENDPOINT;
    const b = r.raw('OTEL_EXPORTER_OTLP_ENDPOINT');
    if (b !== undefined) {
      if (validUrl(b)) base = b;
      // The base variable is read once per signal; warn once.
      else if (signal === 'TRACES') r.invalid('OTEL_EXPORTER_OTLP_ENDPOINT', 'an http(s) URL', DEFAULT_OTLP_ENDPOINT);
    }
    url = base.endsWith('/') ? `${base}${SIGNAL_PATH[signal]}` : `${base}/${SIGNAL_PATH[signal]}`;
  }

  const headers = {
    ...(signal === 'TRACES' ? parseKeyValueList(r, 'OTEL_EXPORTER_OTLP_HEADERS') : parseQuietly(r, 'OTEL_EXPORTER_OTLP_HEADERS')),
    ...parseKeyValueList(r, `OTEL_EXPORTER_OTLP_${signal}_HEADERS`),
  };

  const baseTimeout =
    signal === 'TRACES'
      ? r.number('OTEL_EXPORTER_OTLP_TIMEOUT', 10000, { min: 1, max: 600000, integer: true })
      : quietNumber(r, 'OTEL_EXPORTER_OTLP_TIMEOUT', 10000, 1, 600000);
  const timeoutMs = r.number(`OTEL_EXPORTER_OTLP_${signal}_TIMEOUT`, baseTimeout, { min: 1, max: 600000, integer: true });

  const protocols = ['http/protobuf', 'http/json', 'grpc'] as const;
  const baseProtocol =
    signal === 'TRACES'
      ? r.oneOf('OTEL_EXPORTER_OTLP_PROTOCOL', protocols, 'http/protobuf')
      : ((protocols as readonly string[]).includes((r.raw('OTEL_EXPORTER_OTLP_PROTOCOL') ?? '').toLowerCase())
          ? ((r.raw('OTEL_EXPORTER_OTLP_PROTOCOL') as string).toLowerCase() as OtlpProtocol)
          : 'http/protobuf');
  const protocol = r.oneOf(`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`, protocols, baseProtocol);
  return { url, headers, timeoutMs, protocol };
}

/** Shared base variables are read per signal; only the first read warns. */
function parseQuietly(r: Reader, name: string): Record<string, string> {
  const n = r.warnings.length;
  const out = parseKeyValueList(r, name);
  r.warnings.length = n;
  return out;
}

function quietNumber(r: Reader, name: string, def: number, min: number, max: number): number {
  const n = r.warnings.length;
  const out = r.number(name, def, { min, max, integer: true });
  r.warnings.length = n;
  return out;
}

function batch(r: Reader, prefix: 'OTEL_BSP' | 'OTEL_BLRP', defaults: BatchConfig): BatchConfig {
  const scheduledDelayMillis = r.number(`${prefix}_SCHEDULE_DELAY`, defaults.scheduledDelayMillis, { min: 0, max: 3600000, integer: true });
  const exportTimeoutMillis = r.number(`${prefix}_EXPORT_TIMEOUT`, defaults.exportTimeoutMillis, { min: 1, max: 600000, integer: true });
  const maxQueueSize = r.number(`${prefix}_MAX_QUEUE_SIZE`, defaults.maxQueueSize, { min: 1, max: 1_000_000, integer: true });
  let maxExportBatchSize = r.number(`${prefix}_MAX_EXPORT_BATCH_SIZE`, defaults.maxExportBatchSize, { min: 1, max: 1_000_000, integer: true });
  if (maxExportBatchSize > maxQueueSize) {
    r.warn(
      `${prefix}_MAX_EXPORT_BATCH_SIZE`,
      `${prefix}_MAX_EXPORT_BATCH_SIZE=${maxExportBatchSize} is larger than ${prefix}_MAX_QUEUE_SIZE=${maxQueueSize}; using ${maxQueueSize}`,
    );
    maxExportBatchSize = maxQueueSize;
  }
  return { scheduledDelayMillis, exportTimeoutMillis, maxQueueSize, maxExportBatchSize };
}

function disagree(r: Reader, otelVar: string, seedVar: string, used: string): void {
  r.warn(
    seedVar,
    `${seedVar}=${quoteValue(seedVar, r.env[seedVar])} and ${otelVar}=${quoteValue(otelVar, r.env[otelVar])} disagree; ${otelVar} wins (using ${used})`,
  );
}

/**
 * Reads the configuration from an environment object.
 *
 * @example
 * const { config, warnings } = loadConfig(process.env);
 * for (const w of warnings) console.warn(w.message);
 */
export function loadConfig(env: Env, facts: { stdoutIsTTY?: boolean } = {}): ConfigResult {
  const r = new Reader(env);

  const disabled = r.bool('OTEL_SDK_DISABLED', false);

  // Resource
  const resourceAttributes = parseKeyValueList(r, 'OTEL_RESOURCE_ATTRIBUTES');
  const serviceName = r.raw('OTEL_SERVICE_NAME') ?? resourceAttributes['service.name'] ?? DEFAULT_SERVICE_NAME;
  const serviceVersion = resourceAttributes['service.version'];
  const serviceInstanceId = resourceAttributes['service.instance.id'];

  const diagLogLevel = r.oneOf<DiagLevelName>(
    'OTEL_LOG_LEVEL',
    ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'],
    'warn',
  );

  const propagators = r.list<PropagatorName>('OTEL_PROPAGATORS', ['tracecontext', 'baggage', 'xtraceid'], ['tracecontext', 'baggage']) ?? [
    'tracecontext',
    'baggage',
  ];

  const shutdownTimeoutMs = r.number('WUNDR_OTEL_SHUTDOWN_TIMEOUT', 5000, { min: 0, max: 120000, integer: true });

  // Logging
  const format = r.oneOf<LogFormat>('LOG_FORMAT', ['json', 'text'], facts.stdoutIsTTY === true ? 'text' : 'json');
  const level = r.oneOf<LogLevelName>('LOG_LEVEL', ['debug', 'info', 'warn', 'error'], 'info');
  const logsExporters = r.list<LogsExporterName>('OTEL_LOGS_EXPORTER', ['otlp', 'console'], ['otlp']) ?? ['otlp'];
  const redactRaw = r.raw('LOG_REDACT_KEYS');
  const redactKeys =
    redactRaw === undefined
      ? [...DEFAULT_REDACT_KEYS]
      : redactRaw
          .split(',')
          .map((k) => normalizeKey(k))
          .filter((k) => k !== '');
  const maxStringLength = r.number('LOG_MAX_STRING_LENGTH', 16384, { min: 16, max: 10_000_000, integer: true });
  const blrp = batch(r, 'OTEL_BLRP', { scheduledDelayMillis: 1000, exportTimeoutMillis: 30000, maxQueueSize: 2048, maxExportBatchSize: 512 });

  // Tracing
  const tracingEnabled = r.bool('TRACING_ENABLED', true);
  const tracesExporters = r.list<TracesExporterName>('OTEL_TRACES_EXPORTER', ['otlp', 'console'], ['otlp']) ?? ['otlp'];
  const samplers: SamplerName[] = [
    'always_on',
    'always_off',
    'traceidratio',
    'parentbased_always_on',
    'parentbased_always_off',
    'parentbased_traceidratio',
  ];
  const seedRate = r.optNumber('TRACING_SAMPLE_RATE', 1, { min: 0, max: 1 });
  const otelSampler = r.optOneOf<SamplerName>('OTEL_TRACES_SAMPLER', samplers, 'parentbased_always_on');
  const otelSamplerArg = r.optNumber('OTEL_TRACES_SAMPLER_ARG', 1, { min: 0, max: 1 });
  let sampler: SamplerName;
  let samplerArg: number;
  if (otelSampler !== undefined) {
    sampler = otelSampler;
    samplerArg = otelSamplerArg ?? 1;
    if (seedRate !== undefined) {
      const seedEquivalent = seedRate;
      const same = sampler.endsWith('traceidratio')
        ? samplerArg === seedEquivalent
        : (sampler.endsWith('always_on') && seedEquivalent === 1) || (sampler.endsWith('always_off') && seedEquivalent === 0);
      if (!same) disagree(r, 'OTEL_TRACES_SAMPLER', 'TRACING_SAMPLE_RATE', `${sampler}${sampler.endsWith('traceidratio') ? ` ${samplerArg}` : ''}`);
    }
  } else {
    samplerArg = seedRate ?? otelSamplerArg ?? 1;
    sampler = samplerArg >= 1 ? 'parentbased_always_on' : 'parentbased_traceidratio';
  }
  const spanTtlMs = r.number('TRACING_SPAN_TTL_MS', 300000, { min: 1000, max: 86_400_000, integer: true });
  const httpServerSpans = r.oneOf('WUNDR_OTEL_HTTP_SERVER_SPANS', ['diagnostics_channel', 'instrumentation'] as const, 'diagnostics_channel');
  const bsp = batch(r, 'OTEL_BSP', { scheduledDelayMillis: 5000, exportTimeoutMillis: 30000, maxQueueSize: 2048, maxExportBatchSize: 512 });

  // Metrics
  const metricsEnabledSeed = r.optBool('METRICS_ENABLED', true);
  const otelMetricsExporters = r.list<MetricsExporterName>('OTEL_METRICS_EXPORTER', ['prometheus', 'otlp', 'console'], ['prometheus']);
  let metricsExporters: MetricsExporterName[];
  if (otelMetricsExporters !== undefined) {
    metricsExporters = otelMetricsExporters;
    if (metricsEnabledSeed !== undefined && metricsEnabledSeed !== otelMetricsExporters.length > 0) {
      disagree(r, 'OTEL_METRICS_EXPORTER', 'METRICS_ENABLED', metricsExporters.length ? metricsExporters.join(',') : 'none');
    }
  } else {
    metricsExporters = metricsEnabledSeed === false ? [] : ['prometheus'];
  }
  const metricsEnabled = metricsExporters.length > 0;

  const portOpts = { min: 1, max: 65535, integer: true, what: 'a TCP port (1-65535)' };
  const seedPort = r.optNumber('METRICS_PORT', DEFAULT_METRICS_PORT, portOpts);
  const otelPort = r.optNumber('OTEL_EXPORTER_PROMETHEUS_PORT', DEFAULT_METRICS_PORT, portOpts);
  const port = otelPort ?? seedPort ?? DEFAULT_METRICS_PORT;
  if (otelPort !== undefined && seedPort !== undefined && otelPort !== seedPort) {
    disagree(r, 'OTEL_EXPORTER_PROMETHEUS_PORT', 'METRICS_PORT', String(port));
  }
  const seedHost = hostValue(r, 'METRICS_HOST');
  const otelHost = hostValue(r, 'OTEL_EXPORTER_PROMETHEUS_HOST');
  const host = otelHost ?? seedHost ?? '0.0.0.0';
  if (otelHost !== undefined && seedHost !== undefined && otelHost !== seedHost) {
    disagree(r, 'OTEL_EXPORTER_PROMETHEUS_HOST', 'METRICS_HOST', host);
  }
  const collectDefault = r.bool('METRICS_COLLECT_DEFAULT', true);
  const temporality = r.oneOf<MetricsTemporality>('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', ['cumulative', 'delta', 'lowmemory'], 'cumulative');
  const exportIntervalMs = r.number('OTEL_METRIC_EXPORT_INTERVAL', 60000, { min: 100, max: 86_400_000, integer: true });
  let exportTimeoutMs = r.number('OTEL_METRIC_EXPORT_TIMEOUT', 30000, { min: 1, max: 600000, integer: true });
  if (exportTimeoutMs > exportIntervalMs && r.raw('OTEL_METRIC_EXPORT_TIMEOUT') === undefined) {
    exportTimeoutMs = exportIntervalMs;
  } else if (exportTimeoutMs > exportIntervalMs) {
    r.warn(
      'OTEL_METRIC_EXPORT_TIMEOUT',
      `OTEL_METRIC_EXPORT_TIMEOUT=${exportTimeoutMs} is longer than OTEL_METRIC_EXPORT_INTERVAL=${exportIntervalMs}; using ${exportIntervalMs}`,
    );
    exportTimeoutMs = exportIntervalMs;
  }

  // Health and alerting
  const healthEnabled = r.bool('HEALTH_CHECK_ENABLED', true);
  const healthTimeout = r.number('HEALTH_CHECK_TIMEOUT', 5000, { min: 1, max: 600000, integer: true });
  const alertingEnabled = r.bool('ALERTING_ENABLED', true);
  const evaluationIntervalSeconds = r.number('ALERTING_EVALUATION_INTERVAL', 30, { min: 1, max: 86400 });

  const webhookUrls: string[] = [];
  const hooks = r.raw('ALERTING_WEBHOOK_URL');
  if (hooks !== undefined) {
    const bad: string[] = [];
    for (const u of hooks.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
      if (validUrl(u)) webhookUrls.push(u);
      else bad.push(u);
    }
    if (bad.length > 0) {
      r.warn(
        'ALERTING_WEBHOOK_URL',
        `ALERTING_WEBHOOK_URL has ${bad.length} value(s) that are not http(s) URLs; ignoring ${bad.length === 1 ? 'it' : 'them'}${webhookUrls.length ? ` and using the other ${webhookUrls.length}` : ''}`,
      );
    }
  }

  const token = r.raw('WUNDR_OTEL_ENDPOINT_TOKEN');
  const adminToken = r.raw('WUNDR_OTEL_ADMIN_TOKEN') ?? token;

  const config: WundrOtelConfig = {
    disabled,
    serviceName,
    serviceVersion,
    serviceInstanceId,
    resourceAttributes,
    diagLogLevel,
    propagators,
    shutdownTimeoutMs,
    logging: { format, level, exporters: logsExporters, redactKeys, maxStringLength, batch: blrp },
    tracing: { enabled: tracingEnabled, exporters: tracesExporters, sampler, samplerArg, spanTtlMs, httpServerSpans, batch: bsp },
    metrics: {
      enabled: metricsEnabled,
      exporters: metricsExporters,
      host,
      port,
      collectDefault,
      exportIntervalMs,
      exportTimeoutMs,
      temporality,
    },
    health: { enabled: healthEnabled, timeoutMs: healthTimeout },
    alerting: { enabled: alertingEnabled, evaluationIntervalSeconds, webhookUrls },
    endpoint: { token, adminToken },
    otlp: {
      traces: otlpSignal(r, 'TRACES'),
      metrics: otlpSignal(r, 'METRICS'),
      logs: otlpSignal(r, 'LOGS'),
    },
  };
  return { config, warnings: r.warnings };
}

function hostValue(r: Reader, name: string): string | undefined {
  const v = r.raw(name);
  if (v === undefined) return undefined;
  // A host name, an IPv4 address or an IPv6 literal; nothing that could smuggle a path or port.
  if (/^[A-Za-z0-9.-]{1,253}$/.test(v) || /^\[?[0-9A-Fa-f:.]{2,45}\]?$/.test(v)) return v.replace(/^\[|\]$/g, '');
  r.invalid(name, 'a host name or IP address', '0.0.0.0');
  return undefined;
}

/** Lower-case and drop `-`/`_` so `api-key`, `API_KEY` and `apiKey` compare equal. */
export function normalizeKey(k: string): string {
  return k.trim().toLowerCase().replace(/[-_]/g, '');
}

/** Formats one warning line as the preload prints it. */
export function formatWarning(w: ConfigWarning): string {
  return `@wundr/otel: ${w.message}`;
}
