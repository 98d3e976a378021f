/**
 * Environment -> typed configuration. Pure: reads only the object it is
 * given, never throws, and returns every problem as a warning that names the
 * variable, the value it saw and the value it used instead.
 *
 * What each variable is (kind, default, bounds, doc) is its entry in
 * src/config/variables.ts; this function reads them through that table and
 * adds what involves more than one variable. Precedence, where a daemon
 * variable and an OTEL_* variable say the same thing (the entry's
 * `overriddenBy`): the OTEL_* variable wins, and a warning is given when both
 * are set and disagree.
 */

import { DEFAULT_OTLP_ENDPOINT, otlpSignals } from './config/otlp.ts';
import { quoteValue, Reader, validUrl } from './config/reader.ts';
import type { BatchConfig, ConfigResult, ConfigWarning, Env, MetricsExporterName, SamplerName, WundrOtelConfig } from './config/types.ts';
import { CONFIG_VARIABLES, DEFAULT_REDACT_KEYS, DEFAULT_SERVICE_NAME, VARIABLES } from './config/variables.ts';
import { readLimits } from './config/limits.ts';
import { checkOtherOtelVariables, readInstrumentationSelection, readResourceDetectors } from './config/nodeSettings.ts';

export type * from './config/types.ts';
export { CONFIG_VARIABLES, SECRET_VARIABLES, VARIABLES, DEFAULT_SERVICE_NAME, DEFAULT_METRICS_PORT, DEFAULT_REDACT_KEYS } from './config/variables.ts';
export type { VariableName, VariableSpec } from './config/variables.ts';
export { quoteValue, DEFAULT_OTLP_ENDPOINT };

function batch(r: Reader, prefix: 'OTEL_BSP' | 'OTEL_BLRP'): BatchConfig {
  const scheduledDelayMillis = r.get(`${prefix}_SCHEDULE_DELAY`);
  const exportTimeoutMillis = r.get(`${prefix}_EXPORT_TIMEOUT`);
  const maxQueueSize = r.get(`${prefix}_MAX_QUEUE_SIZE`);
  let maxExportBatchSize = r.get(`${prefix}_MAX_EXPORT_BATCH_SIZE`);
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

  const disabled = r.get('OTEL_SDK_DISABLED');

  // Resource
  const resourceAttributes = r.get('OTEL_RESOURCE_ATTRIBUTES');
  const serviceName = r.get('OTEL_SERVICE_NAME') ?? resourceAttributes['service.name'] ?? DEFAULT_SERVICE_NAME;
  const serviceVersion = resourceAttributes['service.version'];
  const serviceInstanceId = resourceAttributes['service.instance.id'];

  const diagLogLevel = r.get('OTEL_LOG_LEVEL');

  const propagators = r.get('OTEL_PROPAGATORS');

  const shutdownTimeoutMs = r.get('WUNDR_OTEL_SHUTDOWN_TIMEOUT');

  // Logging
  const format = r.get('LOG_FORMAT', facts.stdoutIsTTY === true ? 'text' : 'json');
  const level = r.get('LOG_LEVEL');
  const logsExporters = r.get('OTEL_LOGS_EXPORTER');
  const redactRaw = r.get('LOG_REDACT_KEYS');
  const redactKeys =
    redactRaw === undefined
      ? [...DEFAULT_REDACT_KEYS]
      : redactRaw
          .split(',')
          .map((k) => normalizeKey(k))
          .filter((k) => k !== '');
  const maxStringLength = r.get('LOG_MAX_STRING_LENGTH');
  const blrp = batch(r, 'OTEL_BLRP');

  // Tracing
  const tracingEnabled = r.get('TRACING_ENABLED');
  const tracesExporters = r.get('OTEL_TRACES_EXPORTER');
  const seedRate = r.opt('TRACING_SAMPLE_RATE');
  const otelSampler = r.opt('OTEL_TRACES_SAMPLER');
  const otelSamplerArg = r.opt('OTEL_TRACES_SAMPLER_ARG');
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
  const spanTtlMs = r.get('TRACING_SPAN_TTL_MS');
  const httpServerSpans = r.get('WUNDR_OTEL_HTTP_SERVER_SPANS');
  const genAiCaptureContent = r.get('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT');
  const bsp = batch(r, 'OTEL_BSP');
  const limits = readLimits(r);

  // Metrics
  const metricsEnabledSeed = r.opt('METRICS_ENABLED');
  const otelMetricsExporters = r.opt('OTEL_METRICS_EXPORTER');
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

  const seedPort = r.opt('METRICS_PORT');
  const otelPort = r.opt('OTEL_EXPORTER_PROMETHEUS_PORT');
  const port = otelPort ?? seedPort ?? VARIABLES.METRICS_PORT.default;
  if (otelPort !== undefined && seedPort !== undefined && otelPort !== seedPort) {
    disagree(r, 'OTEL_EXPORTER_PROMETHEUS_PORT', 'METRICS_PORT', String(port));
  }
  const seedHost = r.opt('METRICS_HOST');
  const otelHost = r.opt('OTEL_EXPORTER_PROMETHEUS_HOST');
  const host = otelHost ?? seedHost ?? VARIABLES.METRICS_HOST.default;
  if (otelHost !== undefined && seedHost !== undefined && otelHost !== seedHost) {
    disagree(r, 'OTEL_EXPORTER_PROMETHEUS_HOST', 'METRICS_HOST', host);
  }
  const collectDefault = r.get('METRICS_COLLECT_DEFAULT');
  const gcPauses = r.get('WUNDR_OTEL_GC_PAUSES');
  const temporality = r.get('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE');
  const exportIntervalMs = r.get('OTEL_METRIC_EXPORT_INTERVAL');
  let exportTimeoutMs = r.get('OTEL_METRIC_EXPORT_TIMEOUT');
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
  const healthEnabled = r.get('HEALTH_CHECK_ENABLED');
  const healthTimeout = r.get('HEALTH_CHECK_TIMEOUT');
  const alertingEnabled = r.get('ALERTING_ENABLED');
  const evaluationIntervalSeconds = r.get('ALERTING_EVALUATION_INTERVAL');

  const webhookUrls: string[] = [];
  const hooks = r.get('ALERTING_WEBHOOK_URL');
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

  const token = r.get('WUNDR_OTEL_ENDPOINT_TOKEN');
  const adminToken = r.get('WUNDR_OTEL_ADMIN_TOKEN') ?? token;

  const config: WundrOtelConfig = {
    disabled,
    serviceName,
    serviceVersion,
    serviceInstanceId,
    resourceAttributes,
    diagLogLevel,
    propagators,
    shutdownTimeoutMs,
    logging: { format, level, exporters: logsExporters, redactKeys, maxStringLength, batch: blrp, limits: limits.logRecord },
    tracing: { enabled: tracingEnabled, exporters: tracesExporters, sampler, samplerArg, spanTtlMs, httpServerSpans, genAiCaptureContent, batch: bsp, limits: limits.span },
    metrics: {
      enabled: metricsEnabled,
      exporters: metricsExporters,
      host,
      port,
      collectDefault,
      gcPauses,
      exportIntervalMs,
      exportTimeoutMs,
      temporality,
    },
    health: { enabled: healthEnabled, timeoutMs: healthTimeout },
    alerting: { enabled: alertingEnabled, evaluationIntervalSeconds, webhookUrls },
    endpoint: { token, adminToken },
    instrumentations: readInstrumentationSelection(r),
    resourceDetectors: readResourceDetectors(r),
    otlp: { ...otlpSignals(r), encoder: r.get('WUNDR_OTEL_OTLP_ENCODER') },
  };
  checkOtherOtelVariables(r, CONFIG_VARIABLES);
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
