/**
 * Environment -> typed configuration. Pure: reads only the object it is
 * given, never throws, and returns every problem as a warning that names the
 * variable, the value it saw and the value it used instead.
 *
 * Precedence, where a README.md "Configuration" variable and an OTEL_* variable say the same
 * thing: the OTEL_* variable wins, and a warning is given when both are set
 * and disagree. The table in README.md ("Configuration") is the contract.
 */

import { DEFAULT_OTLP_ENDPOINT, otlpSignals } from './config/otlp.ts';
import { hostValue, parseKeyValueList, quoteValue, Reader, validUrl } from './config/reader.ts';
import type {
  BatchConfig,
  ConfigResult,
  ConfigWarning,
  DiagLevelName,
  Env,
  LogFormat,
  LogLevelName,
  LogsExporterName,
  MetricsExporterName,
  MetricsTemporality,
  PropagatorName,
  SamplerName,
  TracesExporterName,
  WundrOtelConfig,
} from './config/types.ts';

export type * from './config/types.ts';
export { CONFIG_VARIABLES, SECRET_VARIABLES } from './config/variables.ts';
export { quoteValue, DEFAULT_OTLP_ENDPOINT };

export const DEFAULT_SERVICE_NAME = 'wundr-orchestrator';
export const DEFAULT_METRICS_PORT = 9090;
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
    otlp: otlpSignals(r),
  };
  return { config, warnings: r.warnings };
}

/** Lower-case and drop `-`/`_` so `api-key`, `API_KEY` and `apiKey` compare equal. */
export function normalizeKey(k: string): string {
  return k.trim().toLowerCase().replace(/[-_]/g, '');
}

/** Formats one warning line as the preload prints it. */
export function formatWarning(w: ConfigWarning): string {
  return `@wundr/otel: ${w.message}`;
}
