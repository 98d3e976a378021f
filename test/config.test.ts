/**
 * Table tests for loadConfig: every variable with a valid value, and bad
 * values with the exact warning (variable, value seen, default used).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CONFIG_VARIABLES, loadConfig, type WundrOtelConfig } from '../src/config.ts';

type Pick = (c: WundrOtelConfig) => unknown;

const valid: [Record<string, string>, Pick, unknown][] = [
  [{}, (c) => c.serviceName, 'wundr-orchestrator'],
  [{ OTEL_SERVICE_NAME: 'orch-a' }, (c) => c.serviceName, 'orch-a'],
  [{ OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs,deployment.environment=prod' }, (c) => c.serviceName, 'from-attrs'],
  [{ OTEL_RESOURCE_ATTRIBUTES: 'service.version=1.2.3,team=a%2Cb' }, (c) => [c.serviceVersion, c.resourceAttributes.team], ['1.2.3', 'a,b']],
  [{ OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=i-1' }, (c) => c.serviceInstanceId, 'i-1'],
  [{ OTEL_SDK_DISABLED: 'true' }, (c) => c.disabled, true],
  [{ OTEL_SDK_DISABLED: 'FALSE' }, (c) => c.disabled, false],
  [{ OTEL_LOG_LEVEL: 'DEBUG' }, (c) => c.diagLogLevel, 'debug'],
  [{}, (c) => c.diagLogLevel, 'warn'],
  [{ OTEL_PROPAGATORS: 'tracecontext' }, (c) => c.propagators, ['tracecontext']],
  [{ OTEL_PROPAGATORS: 'none' }, (c) => c.propagators, []],
  [{}, (c) => c.propagators, ['tracecontext', 'baggage']],
  [{ OTEL_TRACES_EXPORTER: 'console,otlp' }, (c) => c.tracing.exporters, ['console', 'otlp']],
  [{ OTEL_TRACES_EXPORTER: 'none' }, (c) => c.tracing.exporters, []],
  [{ OTEL_METRICS_EXPORTER: 'prometheus,otlp' }, (c) => c.metrics.exporters, ['prometheus', 'otlp']],
  [{ OTEL_METRICS_EXPORTER: 'none' }, (c) => [c.metrics.enabled, c.metrics.exporters], [false, []]],
  [{ OTEL_LOGS_EXPORTER: 'none' }, (c) => c.logging.exporters, []],
  [{}, (c) => c.logging.exporters, ['otlp']],
  [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }, (c) => [c.tracing.sampler, c.tracing.samplerArg], ['traceidratio', 0.25]],
  [{ OTEL_TRACES_SAMPLER: 'always_off' }, (c) => c.tracing.sampler, 'always_off'],
  [{ TRACING_SAMPLE_RATE: '0.5' }, (c) => [c.tracing.sampler, c.tracing.samplerArg], ['parentbased_traceidratio', 0.5]],
  [{ TRACING_SAMPLE_RATE: '1.0' }, (c) => c.tracing.sampler, 'parentbased_always_on'],
  [{ TRACING_SAMPLE_RATE: '0' }, (c) => [c.tracing.sampler, c.tracing.samplerArg], ['parentbased_traceidratio', 0]],
  [{ TRACING_ENABLED: 'false' }, (c) => c.tracing.enabled, false],
  [{ TRACING_SPAN_TTL_MS: '60000' }, (c) => c.tracing.spanTtlMs, 60000],
  [{}, (c) => c.tracing.httpServerSpans, 'diagnostics_channel'],
  [{ WUNDR_OTEL_HTTP_SERVER_SPANS: 'instrumentation' }, (c) => c.tracing.httpServerSpans, 'instrumentation'],
  [{}, (c) => c.otlp.encoder, 'wundr'],
  [{ WUNDR_OTEL_OTLP_ENCODER: 'stock' }, (c) => c.otlp.encoder, 'stock'],
  [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, (c) => [c.otlp.traces.url, c.otlp.metrics.url, c.otlp.logs.url], ['http://collector:4318/v1/traces', 'http://collector:4318/v1/metrics', 'http://collector:4318/v1/logs']],
  [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }, (c) => c.otlp.traces.url, 'http://collector:4318/v1/traces'],
  [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://t.example/custom' }, (c) => [c.otlp.traces.url, c.otlp.logs.url], ['https://t.example/custom', 'http://localhost:4318/v1/logs']],
  [{ OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20x,x-a=1', OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x-a=2' }, (c) => [c.otlp.traces.headers, c.otlp.logs.headers], [{ authorization: 'Bearer x', 'x-a': '1' }, { authorization: 'Bearer x', 'x-a': '2' }]],
  [{ OTEL_EXPORTER_OTLP_TIMEOUT: '2000', OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '3000' }, (c) => [c.otlp.traces.timeoutMs, c.otlp.metrics.timeoutMs], [2000, 3000]],
  [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }, (c) => [c.otlp.traces.protocol, c.otlp.logs.protocol], ['grpc', 'http/json']],
  [{}, (c) => c.otlp.traces.protocol, 'http/protobuf'],
  [{ METRICS_PORT: '9464' }, (c) => c.metrics.port, 9464],
  [{ OTEL_EXPORTER_PROMETHEUS_PORT: '9465' }, (c) => c.metrics.port, 9465],
  [{}, (c) => [c.metrics.port, c.metrics.host], [9090, '0.0.0.0']],
  [{ METRICS_HOST: '127.0.0.1' }, (c) => c.metrics.host, '127.0.0.1'],
  [{ OTEL_EXPORTER_PROMETHEUS_HOST: '::1' }, (c) => c.metrics.host, '::1'],
  [{ METRICS_ENABLED: 'false' }, (c) => [c.metrics.enabled, c.metrics.exporters], [false, []]],
  [{ METRICS_COLLECT_DEFAULT: 'false' }, (c) => c.metrics.collectDefault, false],
  [{ OTEL_METRIC_EXPORT_INTERVAL: '5000' }, (c) => [c.metrics.exportIntervalMs, c.metrics.exportTimeoutMs], [5000, 5000]],
  [{ OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'Delta' }, (c) => c.metrics.temporality, 'delta'],
  [{ OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'lowmemory' }, (c) => c.metrics.temporality, 'lowmemory'],
  [{}, (c) => c.metrics.temporality, 'cumulative'],
  [{ OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BSP_MAX_QUEUE_SIZE: '10', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '5', OTEL_BSP_EXPORT_TIMEOUT: '50' }, (c) => c.tracing.batch, { scheduledDelayMillis: 100, maxQueueSize: 10, maxExportBatchSize: 5, exportTimeoutMillis: 50 }],
  [{ OTEL_BLRP_SCHEDULE_DELAY: '100', OTEL_BLRP_MAX_QUEUE_SIZE: '10', OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '5', OTEL_BLRP_EXPORT_TIMEOUT: '50' }, (c) => c.logging.batch, { scheduledDelayMillis: 100, maxQueueSize: 10, maxExportBatchSize: 5, exportTimeoutMillis: 50 }],
  [{ LOG_FORMAT: 'text' }, (c) => c.logging.format, 'text'],
  [{}, (c) => c.logging.format, 'json'],
  [{ LOG_LEVEL: 'WARN' }, (c) => c.logging.level, 'warn'],
  [{ LOG_REDACT_KEYS: 'X-Api-Key, session_token' }, (c) => c.logging.redactKeys, ['xapikey', 'sessiontoken']],
  [{ LOG_MAX_STRING_LENGTH: '1024' }, (c) => c.logging.maxStringLength, 1024],
  [{ HEALTH_CHECK_ENABLED: 'false', HEALTH_CHECK_TIMEOUT: '250' }, (c) => [c.health.enabled, c.health.timeoutMs], [false, 250]],
  [{ ALERTING_ENABLED: '0', ALERTING_EVALUATION_INTERVAL: '5' }, (c) => [c.alerting.enabled, c.alerting.evaluationIntervalSeconds], [false, 5]],
  [{ ALERTING_WEBHOOK_URL: 'http://am:9093/api/v2/alerts, https://hooks.example/x' }, (c) => c.alerting.webhookUrls, ['http://am:9093/api/v2/alerts', 'https://hooks.example/x']],
  [{ WUNDR_OTEL_SHUTDOWN_TIMEOUT: '1500' }, (c) => c.shutdownTimeoutMs, 1500],
  [{ WUNDR_OTEL_ENDPOINT_TOKEN: 't1' }, (c) => [c.endpoint.token, c.endpoint.adminToken], ['t1', 't1']],
  [{ WUNDR_OTEL_ENDPOINT_TOKEN: 't1', WUNDR_OTEL_ADMIN_TOKEN: 't2' }, (c) => c.endpoint.adminToken, 't2'],
];

for (const [env, pick, want] of valid) {
  test(`valid: ${JSON.stringify(env)}`, () => {
    const { config, warnings } = loadConfig(env);
    assert.deepEqual(warnings, []);
    assert.deepEqual(pick(config), want);
  });
}

test('LOG_FORMAT defaults to text on a TTY', () => {
  assert.equal(loadConfig({}, { stdoutIsTTY: true }).config.logging.format, 'text');
});

// [env, variable warned about, exact message, what was used]
const bad: [Record<string, string>, string, string, Pick, unknown][] = [
  [{ OTEL_SDK_DISABLED: 'maybe' }, 'OTEL_SDK_DISABLED', 'OTEL_SDK_DISABLED="maybe" is not a boolean (true|false); using false', (c) => c.disabled, false],
  [{ OTEL_LOG_LEVEL: 'loud' }, 'OTEL_LOG_LEVEL', 'OTEL_LOG_LEVEL="loud" is not one of none|error|warn|info|debug|verbose|all; using "warn"', (c) => c.diagLogLevel, 'warn'],
  [{ OTEL_PROPAGATORS: 'tracecontext,b3' }, 'OTEL_PROPAGATORS', 'OTEL_PROPAGATORS="tracecontext,b3" names unknown value(s) "b3" (known: tracecontext|baggage|xtraceid, none); using tracecontext', (c) => c.propagators, ['tracecontext']],
  [{ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER', 'OTEL_TRACES_EXPORTER="zipkin" names unknown value(s) "zipkin" (known: otlp|console, none); using otlp', (c) => c.tracing.exporters, ['otlp']],
  [{ OTEL_METRICS_EXPORTER: 'statsd' }, 'OTEL_METRICS_EXPORTER', 'OTEL_METRICS_EXPORTER="statsd" names unknown value(s) "statsd" (known: prometheus|otlp|console, none); using prometheus', (c) => c.metrics.exporters, ['prometheus']],
  [{ OTEL_LOGS_EXPORTER: 'file' }, 'OTEL_LOGS_EXPORTER', 'OTEL_LOGS_EXPORTER="file" names unknown value(s) "file" (known: otlp|console, none); using otlp', (c) => c.logging.exporters, ['otlp']],
  [{ OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER="sometimes" is not one of always_on|always_off|traceidratio|parentbased_always_on|parentbased_always_off|parentbased_traceidratio; using "parentbased_always_on"', (c) => c.tracing.sampler, 'parentbased_always_on'],
  [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }, 'OTEL_TRACES_SAMPLER_ARG', 'OTEL_TRACES_SAMPLER_ARG="2" is not a number from 0 to 1; using 1', (c) => c.tracing.samplerArg, 1],
  [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318" is not an http(s) URL; using "http://localhost:4318"', (c) => c.otlp.traces.url, 'http://localhost:4318/v1/traces'],
  [{ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'ftp://x' }, 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT="ftp://x" is not an http(s) URL; using "(the base endpoint)"', (c) => c.otlp.logs.url, 'http://localhost:4318/v1/logs'],
  [{ OTEL_EXPORTER_OTLP_HEADERS: 'novalue,a=1' }, 'OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_HEADERS="***" has 1 malformed entry (expected key=value,…); ignoring it', (c) => c.otlp.traces.headers, { a: '1' }],
  [{ OTEL_EXPORTER_OTLP_TIMEOUT: '-5' }, 'OTEL_EXPORTER_OTLP_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT="-5" is not an integer from 1 to 600000; using 10000', (c) => c.otlp.traces.timeoutMs, 10000],
  [{ OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'sometimes' }, 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE="sometimes" is not one of cumulative|delta|lowmemory; using "cumulative"', (c) => c.metrics.temporality, 'cumulative'],
  [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml' }, 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL="http/xml" is not one of http/protobuf|http/json|grpc; using "http/protobuf"', (c) => c.otlp.metrics.protocol, 'http/protobuf'],
  [{ OTEL_EXPORTER_PROMETHEUS_PORT: '70000' }, 'OTEL_EXPORTER_PROMETHEUS_PORT', 'OTEL_EXPORTER_PROMETHEUS_PORT="70000" is not a TCP port (1-65535); using 9090', (c) => c.metrics.port, 9090],
  [{ OTEL_EXPORTER_PROMETHEUS_HOST: 'a/b' }, 'OTEL_EXPORTER_PROMETHEUS_HOST', 'OTEL_EXPORTER_PROMETHEUS_HOST="a/b" is not a host name or IP address; using "0.0.0.0"', (c) => c.metrics.host, '0.0.0.0'],
  [{ OTEL_BSP_SCHEDULE_DELAY: 'soon' }, 'OTEL_BSP_SCHEDULE_DELAY', 'OTEL_BSP_SCHEDULE_DELAY="soon" is not an integer from 0 to 3600000; using 5000', (c) => c.tracing.batch.scheduledDelayMillis, 5000],
  [{ OTEL_BSP_MAX_QUEUE_SIZE: '0' }, 'OTEL_BSP_MAX_QUEUE_SIZE', 'OTEL_BSP_MAX_QUEUE_SIZE="0" is not an integer from 1 to 1000000; using 2048', (c) => c.tracing.batch.maxQueueSize, 2048],
  [{ OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '500' }, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE=500 is larger than OTEL_BSP_MAX_QUEUE_SIZE=100; using 100', (c) => c.tracing.batch.maxExportBatchSize, 100],
  [{ OTEL_BSP_EXPORT_TIMEOUT: '1.5' }, 'OTEL_BSP_EXPORT_TIMEOUT', 'OTEL_BSP_EXPORT_TIMEOUT="1.5" is not an integer from 1 to 600000; using 30000', (c) => c.tracing.batch.exportTimeoutMillis, 30000],
  [{ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: 'x' }, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE="x" is not an integer from 1 to 1000000; using 512', (c) => c.tracing.batch.maxExportBatchSize, 512],
  [{ OTEL_BLRP_SCHEDULE_DELAY: '-1' }, 'OTEL_BLRP_SCHEDULE_DELAY', 'OTEL_BLRP_SCHEDULE_DELAY="-1" is not an integer from 0 to 3600000; using 1000', (c) => c.logging.batch.scheduledDelayMillis, 1000],
  [{ OTEL_BLRP_EXPORT_TIMEOUT: 'NaN' }, 'OTEL_BLRP_EXPORT_TIMEOUT', 'OTEL_BLRP_EXPORT_TIMEOUT="NaN" is not an integer from 1 to 600000; using 30000', (c) => c.logging.batch.exportTimeoutMillis, 30000],
  [{ OTEL_BLRP_MAX_QUEUE_SIZE: '1e9' }, 'OTEL_BLRP_MAX_QUEUE_SIZE', 'OTEL_BLRP_MAX_QUEUE_SIZE="1e9" is not an integer from 1 to 1000000; using 2048', (c) => c.logging.batch.maxQueueSize, 2048],
  [{ OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '0x10' }, 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE', 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE="0x10" is not an integer from 1 to 1000000; using 512', (c) => c.logging.batch.maxExportBatchSize, 512],
  [{ OTEL_METRIC_EXPORT_INTERVAL: '10' }, 'OTEL_METRIC_EXPORT_INTERVAL', 'OTEL_METRIC_EXPORT_INTERVAL="10" is not an integer from 100 to 86400000; using 60000', (c) => c.metrics.exportIntervalMs, 60000],
  [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT', 'LOG_FORMAT="xml" is not one of json|text; using "json"', (c) => c.logging.format, 'json'],
  [{ LOG_LEVEL: 'trace' }, 'LOG_LEVEL', 'LOG_LEVEL="trace" is not one of debug|info|warn|error; using "info"', (c) => c.logging.level, 'info'],
  [{ LOG_MAX_STRING_LENGTH: '3' }, 'LOG_MAX_STRING_LENGTH', 'LOG_MAX_STRING_LENGTH="3" is not an integer from 16 to 10000000; using 16384', (c) => c.logging.maxStringLength, 16384],
  [{ METRICS_ENABLED: 'perhaps' }, 'METRICS_ENABLED', 'METRICS_ENABLED="perhaps" is not a boolean (true|false); using true', (c) => c.metrics.enabled, true],
  [{ METRICS_PORT: 'abc' }, 'METRICS_PORT', 'METRICS_PORT="abc" is not a TCP port (1-65535); using 9090', (c) => c.metrics.port, 9090],
  [{ METRICS_PORT: '0' }, 'METRICS_PORT', 'METRICS_PORT="0" is not a TCP port (1-65535); using 9090', (c) => c.metrics.port, 9090],
  [{ METRICS_HOST: 'evil host' }, 'METRICS_HOST', 'METRICS_HOST="evil host" is not a host name or IP address; using "0.0.0.0"', (c) => c.metrics.host, '0.0.0.0'],
  [{ METRICS_COLLECT_DEFAULT: '2' }, 'METRICS_COLLECT_DEFAULT', 'METRICS_COLLECT_DEFAULT="2" is not a boolean (true|false); using true', (c) => c.metrics.collectDefault, true],
  [{ TRACING_ENABLED: 'nope' }, 'TRACING_ENABLED', 'TRACING_ENABLED="nope" is not a boolean (true|false); using true', (c) => c.tracing.enabled, true],
  [{ TRACING_SAMPLE_RATE: '1.5' }, 'TRACING_SAMPLE_RATE', 'TRACING_SAMPLE_RATE="1.5" is not a number from 0 to 1; using 1', (c) => c.tracing.samplerArg, 1],
  [{ TRACING_SAMPLE_RATE: 'Infinity' }, 'TRACING_SAMPLE_RATE', 'TRACING_SAMPLE_RATE="Infinity" is not a number from 0 to 1; using 1', (c) => c.tracing.sampler, 'parentbased_always_on'],
  [{ TRACING_SPAN_TTL_MS: '10' }, 'TRACING_SPAN_TTL_MS', 'TRACING_SPAN_TTL_MS="10" is not an integer from 1000 to 86400000; using 300000', (c) => c.tracing.spanTtlMs, 300000],
  [{ WUNDR_OTEL_HTTP_SERVER_SPANS: 'patch' }, 'WUNDR_OTEL_HTTP_SERVER_SPANS', 'WUNDR_OTEL_HTTP_SERVER_SPANS="patch" is not one of diagnostics_channel|instrumentation; using "diagnostics_channel"', (c) => c.tracing.httpServerSpans, 'diagnostics_channel'],
  [{ WUNDR_OTEL_OTLP_ENCODER: 'fast' }, 'WUNDR_OTEL_OTLP_ENCODER', 'WUNDR_OTEL_OTLP_ENCODER="fast" is not one of wundr|stock; using "wundr"', (c) => c.otlp.encoder, 'wundr'],
  [{ HEALTH_CHECK_ENABLED: 'y' }, 'HEALTH_CHECK_ENABLED', 'HEALTH_CHECK_ENABLED="y" is not a boolean (true|false); using true', (c) => c.health.enabled, true],
  [{ HEALTH_CHECK_TIMEOUT: '5s' }, 'HEALTH_CHECK_TIMEOUT', 'HEALTH_CHECK_TIMEOUT="5s" is not an integer from 1 to 600000; using 5000', (c) => c.health.timeoutMs, 5000],
  [{ ALERTING_ENABLED: 'enable' }, 'ALERTING_ENABLED', 'ALERTING_ENABLED="enable" is not a boolean (true|false); using true', (c) => c.alerting.enabled, true],
  [{ ALERTING_EVALUATION_INTERVAL: '0' }, 'ALERTING_EVALUATION_INTERVAL', 'ALERTING_EVALUATION_INTERVAL="0" is not a number from 1 to 86400; using 30', (c) => c.alerting.evaluationIntervalSeconds, 30],
  [{ ALERTING_WEBHOOK_URL: 'am:9093,http://ok/' }, 'ALERTING_WEBHOOK_URL', 'ALERTING_WEBHOOK_URL has 1 value(s) that are not http(s) URLs; ignoring it and using the other 1', (c) => c.alerting.webhookUrls, ['http://ok/']],
  [{ WUNDR_OTEL_SHUTDOWN_TIMEOUT: '-1' }, 'WUNDR_OTEL_SHUTDOWN_TIMEOUT', 'WUNDR_OTEL_SHUTDOWN_TIMEOUT="-1" is not an integer from 0 to 120000; using 5000', (c) => c.shutdownTimeoutMs, 5000],
  [{ OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_METRIC_EXPORT_TIMEOUT: '5000' }, 'OTEL_METRIC_EXPORT_TIMEOUT', 'OTEL_METRIC_EXPORT_TIMEOUT=5000 is longer than OTEL_METRIC_EXPORT_INTERVAL=1000; using 1000', (c) => c.metrics.exportTimeoutMs, 1000],
];

for (const [env, variable, message, pick, used] of bad) {
  test(`bad: ${JSON.stringify(env)}`, () => {
    const { config, warnings } = loadConfig(env);
    assert.equal(warnings.length, 1, `one warning, got ${JSON.stringify(warnings)}`);
    assert.equal(warnings[0]!.variable, variable);
    assert.equal(warnings[0]!.message, message);
    assert.deepEqual(pick(config), used);
  });
}

// The seed variable and the OTEL_* variable say the same thing: OTEL_* wins, with a warning when they disagree.
const precedence: [Record<string, string>, string, Pick, unknown][] = [
  [{ METRICS_PORT: '9100', OTEL_EXPORTER_PROMETHEUS_PORT: '9200' }, 'METRICS_PORT="9100" and OTEL_EXPORTER_PROMETHEUS_PORT="9200" disagree; OTEL_EXPORTER_PROMETHEUS_PORT wins (using 9200)', (c) => c.metrics.port, 9200],
  [{ METRICS_HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_HOST: '0.0.0.0' }, 'METRICS_HOST="127.0.0.1" and OTEL_EXPORTER_PROMETHEUS_HOST="0.0.0.0" disagree; OTEL_EXPORTER_PROMETHEUS_HOST wins (using 0.0.0.0)', (c) => c.metrics.host, '0.0.0.0'],
  [{ METRICS_ENABLED: 'false', OTEL_METRICS_EXPORTER: 'otlp' }, 'METRICS_ENABLED="false" and OTEL_METRICS_EXPORTER="otlp" disagree; OTEL_METRICS_EXPORTER wins (using otlp)', (c) => c.metrics.exporters, ['otlp']],
  [{ METRICS_ENABLED: 'true', OTEL_METRICS_EXPORTER: 'none' }, 'METRICS_ENABLED="true" and OTEL_METRICS_EXPORTER="none" disagree; OTEL_METRICS_EXPORTER wins (using none)', (c) => c.metrics.enabled, false],
  [{ TRACING_SAMPLE_RATE: '0.1', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.5' }, 'TRACING_SAMPLE_RATE="0.1" and OTEL_TRACES_SAMPLER="parentbased_traceidratio" disagree; OTEL_TRACES_SAMPLER wins (using parentbased_traceidratio 0.5)', (c) => c.tracing.samplerArg, 0.5],
  [{ TRACING_SAMPLE_RATE: '0.1', OTEL_TRACES_SAMPLER: 'always_on' }, 'TRACING_SAMPLE_RATE="0.1" and OTEL_TRACES_SAMPLER="always_on" disagree; OTEL_TRACES_SAMPLER wins (using always_on)', (c) => c.tracing.sampler, 'always_on'],
];
for (const [env, message, pick, used] of precedence) {
  test(`precedence: ${JSON.stringify(env)}`, () => {
    const { config, warnings } = loadConfig(env);
    assert.deepEqual(warnings.map((w) => w.message), [message]);
    assert.deepEqual(pick(config), used);
  });
}

test('agreeing seed and OTEL_* variables give no warning', () => {
  assert.deepEqual(loadConfig({ METRICS_PORT: '9100', OTEL_EXPORTER_PROMETHEUS_PORT: '9100' }).warnings, []);
  assert.deepEqual(loadConfig({ TRACING_SAMPLE_RATE: '1', OTEL_TRACES_SAMPLER: 'parentbased_always_on' }).warnings, []);
  assert.deepEqual(loadConfig({ METRICS_ENABLED: 'true', OTEL_METRICS_EXPORTER: 'prometheus' }).warnings, []);
});

test('secrets are never quoted back in warnings', () => {
  const { warnings } = loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer supersecret,broken' });
  assert.equal(warnings.length, 1);
  assert.ok(!warnings[0]!.message.includes('supersecret'));
});

test('hostile values: cut, escaped, one line', () => {
  const huge = 'x'.repeat(100_000);
  const { warnings } = loadConfig({ METRICS_PORT: huge, LOG_LEVEL: 'info\n[ERROR] forged\u0000', OTEL_SERVICE_NAME: '' });
  assert.equal(warnings.length, 2);
  for (const w of warnings) {
    assert.ok(w.message.length < 300, 'a huge value is cut');
    assert.ok(!/[\n\r\u0000]/.test(w.message), 'no control characters in the warning');
  }
  assert.ok(warnings.some((w) => /\(100000 chars\)/.test(w.message)));
});

test('blank values count as unset', () => {
  const { config, warnings } = loadConfig({ METRICS_PORT: '  ', OTEL_SERVICE_NAME: '' });
  assert.deepEqual(warnings, []);
  assert.equal(config.metrics.port, 9090);
  assert.equal(config.serviceName, 'wundr-orchestrator');
});

test('every documented variable is read: setting any of them to garbage never throws and never goes unnoticed', () => {
  const quiet = new Set(['OTEL_SERVICE_NAME', 'OTEL_RESOURCE_ATTRIBUTES', 'LOG_REDACT_KEYS', 'WUNDR_OTEL_ENDPOINT_TOKEN', 'WUNDR_OTEL_ADMIN_TOKEN']);
  for (const v of CONFIG_VARIABLES) {
    const { warnings } = loadConfig({ [v]: '\u0007garbage%' });
    if (quiet.has(v)) continue; // free-form values
    assert.ok(warnings.some((w) => w.variable === v), `${v} with a garbage value gives a warning`);
  }
});

test('property: any environment gives a config and warnings, never a throw', () => {
  const value = fc.oneof(fc.string(), fc.constantFrom('', ' ', '-1', 'NaN', '1e309', '0x1F', 'true', 'none', '∞', '${jndi:ldap://x}', "'; DROP TABLE"));
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom(...CONFIG_VARIABLES), value), (env) => {
      const { config, warnings } = loadConfig(env);
      assert.ok(config.metrics.port >= 1 && config.metrics.port <= 65535);
      assert.ok(config.tracing.samplerArg >= 0 && config.tracing.samplerArg <= 1);
      for (const w of warnings) assert.ok(!w.message.includes('\n'));
    }),
    { numRuns: 500 },
  );
});
