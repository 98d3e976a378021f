import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.ts';
import { INSTRUMENTATION_NAMES } from '../../src/config/nodeSettings.ts';
import { INSTRUMENTATIONS, isInstrumentationEnabled } from '../../src/sdk/instrumentations.ts';

test('OTEL_NODE_ENABLED/DISABLED_INSTRUMENTATIONS: names as auto-instrumentations-node, the package prefix accepted', () => {
  const { config, warnings } = loadConfig({
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http, @opentelemetry/instrumentation-pg,IOREDIS,pg',
    OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'ioredis',
  });
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.instrumentations, { enabled: ['http', 'pg', 'ioredis'], disabled: ['ioredis'] });
  const on = (name: string, def: boolean) => isInstrumentationEnabled(config.instrumentations, name, def);
  assert.equal(on('http', true), true);
  assert.equal(on('pg', false), true);
  assert.equal(on('ioredis', false), false, 'disabled wins');
  assert.equal(on('undici', true), false, 'not in the enabled list: off, as upstream');
  assert.equal(on('redis', false), false);
});

test('unset: each instrumentation\'s default; an unknown name: one warning with the closest', () => {
  const { config } = loadConfig({});
  assert.deepEqual(config.instrumentations, { enabled: undefined, disabled: [] });
  assert.equal(isInstrumentationEnabled(config.instrumentations, 'http', true), true);
  assert.equal(isInstrumentationEnabled(config.instrumentations, 'pg', false), false);
  const bad = loadConfig({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,postgres,iordis' });
  assert.deepEqual(bad.config.instrumentations.enabled, ['http']);
  assert.equal(bad.warnings.length, 1);
  assert.match(bad.warnings[0]!.message, /OTEL_NODE_ENABLED_INSTRUMENTATIONS names unknown value\(s\) "postgres" \(did you mean .+\?\), "iordis" \(did you mean ioredis\?\)/);
});

test('the configuration knows exactly the names of the SDK\'s instrumentation table', () => {
  assert.deepEqual([...INSTRUMENTATION_NAMES].sort(), Object.keys(INSTRUMENTATIONS).sort());
});

test('an unknown OTEL_* name: one warning naming it and the closest known name; the value is never printed', () => {
  const { warnings } = loadConfig({ OTEL_TRACES_SAMPLR: 'secret-ish', OTEL_SERVICE_NAME: 'x' });
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.variable, 'OTEL_TRACES_SAMPLR');
  assert.match(warnings[0]!.message, /OTEL_TRACES_SAMPLR is not an OpenTelemetry setting .*\(did you mean OTEL_TRACES_SAMPLER\?\)/);
  assert.doesNotMatch(warnings[0]!.message, /secret-ish/);
});

test('a specification variable the package does not apply: one warning; the stock-read ones and ours: none', () => {
  const { warnings } = loadConfig({
    OTEL_METRICS_EXEMPLAR_FILTER: 'trace_based',
    OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '10',
    OTEL_EXPORTER_OTLP_CERTIFICATE: '/ca.pem',
    OTEL_EXPORTER_OTLP_TRACES_INSECURE: 'true',
    OTEL_SEMCONV_STABILITY_OPT_IN: 'http',
    OTEL_NODE_RESOURCE_DETECTORS: 'env',
    OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'false',
  });
  assert.deepEqual(
    warnings.map((w) => w.variable),
    ['OTEL_METRICS_EXEMPLAR_FILTER'],
  );
  assert.match(warnings[0]!.message, /does not apply; ignored/);
});
