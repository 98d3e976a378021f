import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closestName, editDistance, SPEC_OTEL_VARIABLES, unknownOtelVariables } from '../../src/config/otelVariables.ts';

test('edit distance', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('same', 'same'), 0);
  assert.ok(editDistance('a', 'abcdefgh', 2) > 2, 'early exit past the bound');
});

test('a typo gets the closest known name', () => {
  assert.deepEqual(unknownOtelVariables({ OTEL_TRACES_SAMPLR: 'always_on' }, []), [{ name: 'OTEL_TRACES_SAMPLR', closest: 'OTEL_TRACES_SAMPLER' }]);
  assert.equal(closestName('OTEL_EXPORTER_OTLP_ENDPIONT', SPEC_OTEL_VARIABLES), 'OTEL_EXPORTER_OTLP_ENDPOINT');
  assert.equal(closestName('OTEL_SERVICE_NAMES', SPEC_OTEL_VARIABLES), 'OTEL_SERVICE_NAME');
  assert.equal(closestName('OTEL_NODE_ENABLED_INSTRUMENTATION', SPEC_OTEL_VARIABLES), 'OTEL_NODE_ENABLED_INSTRUMENTATIONS');
});

test('names the spec or we define, other prefixes and OTEL_INSTRUMENTATION_* are not reported', () => {
  const env = {
    OTEL_SERVICE_NAME: 'x',
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'http://z',
    OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY: '/k',
    OTEL_SPAN_LINK_COUNT_LIMIT: '1',
    OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS: 'GET',
    WUNDR_OTEL_SHUTDOWN_TIMEOUT: '1',
    LOG_LEVEL: 'info',
    PATH: '/bin',
    OTEL_OURS_ONLY: '1',
  };
  assert.deepEqual(unknownOtelVariables(env, ['OTEL_OURS_ONLY']), []);
});

test('several unknown names, sorted; unset values are skipped', () => {
  const got = unknownOtelVariables({ OTEL_B_THING: '1', OTEL_A_THING: '1', OTEL_UNSET: undefined }, []);
  assert.deepEqual(
    got.map((g) => g.name),
    ['OTEL_A_THING', 'OTEL_B_THING'],
  );
  for (const g of got) assert.ok(g.closest?.startsWith('OTEL_'));
});
