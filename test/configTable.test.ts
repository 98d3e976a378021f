/**
 * The variable table: README.md's configuration tables are exactly what it
 * generates, every entry is documented and consistent, and the lists the
 * CLI and the public API export come from it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_VARIABLES, SECRET_VARIABLES, VARIABLES, loadConfig, type VariableSpec } from '../src/config.ts';
import { BEGIN_MARKER, END_MARKER, configMarkdown, replaceGenerated } from '../src/config/docs.ts';

const ROOT = join(__dirname, '..', '..');
const ENTRIES = Object.entries(VARIABLES as Record<string, VariableSpec>);

test('README.md holds exactly the generated configuration tables', () => {
  const doc = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.ok(doc.includes(BEGIN_MARKER) && doc.includes(END_MARKER));
  assert.equal(doc, replaceGenerated(doc), 'README.md is stale: regenerate it (see src/config/docs.ts)');
});

test('every variable has a README row: its own, or its row naming it among {A,B,C}', () => {
  const md = configMarkdown();
  for (const [name, s] of ENTRIES) {
    const shown = s.row ?? name;
    assert.ok(md.includes(`| \`${shown}\` |`), name);
    const expanded = shown.replace(/\{([^}]*)\}/, (_, alts: string) => `(${alts.split(',').join('|')})`);
    assert.match(name, new RegExp(`^${expanded}$`), `${name} is not one of ${shown}`);
    assert.ok(s.doc.trim() !== '', `${name} has no doc`);
  }
});

test('defaults lie within their bounds; precedence partners exist and are OTEL_* variables', () => {
  for (const [name, s] of ENTRIES) {
    if (s.kind === 'number') {
      assert.ok(s.min <= s.default && s.default <= s.max, name);
      if (s.integer) assert.ok(Number.isInteger(s.default), name);
    }
    if (s.kind === 'oneOf') assert.ok(s.values.includes(s.default), name);
    if (s.kind === 'list') assert.ok(s.default.every((d) => s.values.includes(d)), name);
    if (s.overriddenBy !== undefined) {
      assert.ok(s.overriddenBy in VARIABLES, `${name}: ${s.overriddenBy} is not in the table`);
      assert.match(s.overriddenBy, /^OTEL_/);
    }
  }
});

test('CONFIG_VARIABLES lists the table in order; SECRET_VARIABLES are its secret entries, headers and tokens among them', () => {
  assert.deepEqual([...CONFIG_VARIABLES], ENTRIES.map(([n]) => n));
  assert.equal(new Set(CONFIG_VARIABLES).size, CONFIG_VARIABLES.length);
  assert.deepEqual([...SECRET_VARIABLES].sort(), ENTRIES.filter(([, s]) => s.secret).map(([n]) => n).sort());
  for (const v of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_LOGS_HEADERS', 'WUNDR_OTEL_ENDPOINT_TOKEN', 'WUNDR_OTEL_ADMIN_TOKEN', 'ALERTING_WEBHOOK_URL']) {
    assert.ok(SECRET_VARIABLES.has(v), v);
  }
});

test('per-signal OTLP entries are the base entries: same kind and bounds, defaulting to the base value', () => {
  for (const sig of ['TRACES', 'METRICS', 'LOGS']) {
    for (const k of ['ENDPOINT', 'HEADERS', 'TIMEOUT', 'PROTOCOL']) {
      const base = (VARIABLES as Record<string, VariableSpec>)[`OTEL_EXPORTER_OTLP_${k}`]!;
      const one = (VARIABLES as Record<string, VariableSpec>)[`OTEL_EXPORTER_OTLP_${sig}_${k}`]!;
      assert.equal(one.kind, base.kind);
      assert.equal(one.secret, base.secret);
      if (one.kind === 'number' && base.kind === 'number') assert.deepEqual([one.min, one.max], [base.min, base.max]);
    }
  }
  const { config } = loadConfig({ OTEL_EXPORTER_OTLP_TIMEOUT: '1234', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '99' });
  assert.deepEqual(
    [config.otlp.traces.timeoutMs, config.otlp.metrics.timeoutMs, config.otlp.logs.timeoutMs, config.otlp.logs.protocol],
    [1234, 1234, 99, 'grpc'],
  );
});

test('with nothing set, every boolean, number and choice reads as its table default', () => {
  const { config, warnings } = loadConfig({}, { stdoutIsTTY: false });
  assert.deepEqual(warnings, []);
  const read: Record<string, unknown> = {
    OTEL_SDK_DISABLED: config.disabled,
    OTEL_LOG_LEVEL: config.diagLogLevel,
    WUNDR_OTEL_SHUTDOWN_TIMEOUT: config.shutdownTimeoutMs,
    LOG_FORMAT: config.logging.format,
    LOG_LEVEL: config.logging.level,
    LOG_MAX_STRING_LENGTH: config.logging.maxStringLength,
    OTEL_BLRP_SCHEDULE_DELAY: config.logging.batch.scheduledDelayMillis,
    OTEL_BSP_SCHEDULE_DELAY: config.tracing.batch.scheduledDelayMillis,
    OTEL_BSP_MAX_QUEUE_SIZE: config.tracing.batch.maxQueueSize,
    TRACING_ENABLED: config.tracing.enabled,
    TRACING_SPAN_TTL_MS: config.tracing.spanTtlMs,
    WUNDR_OTEL_HTTP_SERVER_SPANS: config.tracing.httpServerSpans,
    METRICS_PORT: config.metrics.port,
    METRICS_HOST: config.metrics.host,
    METRICS_COLLECT_DEFAULT: config.metrics.collectDefault,
    OTEL_METRIC_EXPORT_INTERVAL: config.metrics.exportIntervalMs,
    OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: config.metrics.temporality,
    OTEL_EXPORTER_OTLP_TIMEOUT: config.otlp.traces.timeoutMs,
    OTEL_EXPORTER_OTLP_PROTOCOL: config.otlp.metrics.protocol,
    HEALTH_CHECK_ENABLED: config.health.enabled,
    HEALTH_CHECK_TIMEOUT: config.health.timeoutMs,
    ALERTING_ENABLED: config.alerting.enabled,
    ALERTING_EVALUATION_INTERVAL: config.alerting.evaluationIntervalSeconds,
  };
  for (const [name, value] of Object.entries(read)) {
    assert.equal(value, ((VARIABLES as Record<string, VariableSpec>)[name] as { default: unknown }).default, name);
  }
  assert.deepEqual(config.propagators, VARIABLES.OTEL_PROPAGATORS.default);
});
