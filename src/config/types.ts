/** The configuration's types (src/config.ts reads them from the environment). */

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
  /** OTEL_EXPORTER_OTLP[_SIGNAL]_COMPRESSION (default none). */
  compression: 'gzip' | 'none';
}

/** OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS. */
export interface InstrumentationSelection {
  /** Only these are installed (undefined: each instrumentation's default). */
  readonly enabled: readonly string[] | undefined;
  /** Never installed, whatever the enabled list says. */
  readonly disabled: readonly string[];
}

/** OTEL_NODE_RESOURCE_DETECTORS names (sdk-node's). */
export type ResourceDetectorName = 'env' | 'host' | 'os' | 'process' | 'serviceinstance' | 'container' | 'aws' | 'gcp' | 'azure' | 'alibaba';

export interface BatchConfig {
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  maxQueueSize: number;
  maxExportBatchSize: number;
}

/** What one span keeps (the SDK's SpanLimits); Infinity: no limit. */
export interface SpanLimitsConfig {
  attributeValueLengthLimit: number;
  attributeCountLimit: number;
  eventCountLimit: number;
  linkCountLimit: number;
  attributePerEventCountLimit: number;
  attributePerLinkCountLimit: number;
}

/** What one log record keeps (the SDK's LogRecordLimits); Infinity: no limit. */
export interface LogRecordLimitsConfig {
  attributeValueLengthLimit: number;
  attributeCountLimit: number;
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
    /** OTEL_LOGRECORD_ATTRIBUTE_*_LIMIT, else the general OTEL_ATTRIBUTE_*_LIMIT. */
    limits: LogRecordLimitsConfig;
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
    /** OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: prompts and completions on GenAI spans (redacted, capped). */
    genAiCaptureContent: boolean;
    batch: BatchConfig;
    /** OTEL_SPAN_*_LIMIT and the event/link ones, else the general OTEL_ATTRIBUTE_*_LIMIT. */
    limits: SpanLimitsConfig;
  };
  metrics: {
    /** false: no meter provider, no /metrics route; typed recorders are no-ops. */
    enabled: boolean;
    exporters: MetricsExporterName[];
    host: string;
    port: number;
    /** System (process) metrics of docs/METRICS.md. */
    collectDefault: boolean;
    /** GC pauses into wundr_process_gc_duration_seconds (a 'gc' PerformanceObserver: costly, see docs/PERFORMANCE.md). */
    gcPauses: boolean;
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
  /** Library instrumentations switched on or off by name. */
  instrumentations: InstrumentationSelection;
  /** Resource detectors to run (OTEL_NODE_RESOURCE_DETECTORS, expanded). */
  resourceDetectors: ResourceDetectorName[];
  otlp: {
    traces: OtlpSignalConfig;
    metrics: OtlpSignalConfig;
    logs: OtlpSignalConfig;
    /** http/protobuf spans and log records: encoded as they end (`wundr`) or by the stock batch processors and exporters (`stock`). */
    encoder: 'wundr' | 'stock';
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

