/** The embedded view's settings: defaults, parsing, and one warning per bad value naming the variable. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EMBEDDED_DEFAULTS, loadEmbeddedConfig } from '../../src/embedded/config.ts';

test('defaults with an empty environment, no warning', () => {
  assert.deepEqual(loadEmbeddedConfig({}), { config: EMBEDDED_DEFAULTS, warnings: [] });
});

test('values are read; seconds become ms; URLs are normalised', () => {
  const { config, warnings } = loadEmbeddedConfig({
    WUNDR_OTEL_EMBEDDED: 'false',
    WUNDR_OTEL_TRACES_MAX: '50',
    WUNDR_OTEL_TRACES_MAX_BYTES: '1048576',
    WUNDR_OTEL_RETENTION_INTERVAL: '2',
    WUNDR_OTEL_TRACE_PEERS: 'http://10.0.0.7:9090/, https://peer.example:9443',
    WUNDR_OTEL_JAEGER_UI_URL: 'http://localhost:16686/',
  });
  assert.deepEqual(warnings, []);
  assert.deepEqual(config, {
    enabled: false,
    maxTraces: 50,
    maxTraceBytes: 1048576,
    retentionIntervalMs: 2000,
    tracePeers: ['http://10.0.0.7:9090', 'https://peer.example:9443'],
    jaegerUiUrl: 'http://localhost:16686',
  });
});

test('a bad value: one warning naming the variable and the value, the default used', () => {
  const { config, warnings } = loadEmbeddedConfig({
    WUNDR_OTEL_EMBEDDED: 'maybe',
    WUNDR_OTEL_TRACES_MAX: '-3',
    WUNDR_OTEL_RETENTION_INTERVAL: 'soon',
    WUNDR_OTEL_TRACE_PEERS: 'ftp://x, http://ok:1',
    WUNDR_OTEL_JAEGER_UI_URL: 'javascript:alert(1)',
  });
  assert.deepEqual(
    warnings.map((w) => [w.variable, w.value]),
    [
      ['WUNDR_OTEL_EMBEDDED', 'maybe'],
      ['WUNDR_OTEL_TRACE_PEERS', 'ftp://x'],
      ['WUNDR_OTEL_JAEGER_UI_URL', 'javascript:alert(1)'],
      ['WUNDR_OTEL_TRACES_MAX', '-3'],
      ['WUNDR_OTEL_RETENTION_INTERVAL', 'soon'],
    ],
  );
  assert.match(warnings[3]!.message, /WUNDR_OTEL_TRACES_MAX="-3" is not a number from 1 to 100000; using 200/);
  assert.match(warnings[4]!.message, /using 5$/);
  assert.equal(config.enabled, true);
  assert.equal(config.maxTraces, 200);
  assert.deepEqual(config.tracePeers, ['http://ok:1']);
  assert.equal(config.jaegerUiUrl, undefined, 'only http(s) links reach the page');
});

test('WUNDR_OTEL_EMBEDDED=false: no processor, no reader, and of the routes only the /dashboard placeholder', async () => {
  const { embeddedFeature } = await import('../../src/embedded/feature.ts');
  const { loadConfig } = await import('../../src/config.ts');
  const b = { config: loadConfig({}).config, spanProcessors: [], logRecordProcessors: [], metricReaders: [], metricProducers: [], routes: [] as { path: string; handler: (...a: never[]) => unknown }[] };
  embeddedFeature({ env: { WUNDR_OTEL_EMBEDDED: 'false' } }).configure!(b as never);
  assert.deepEqual([b.spanProcessors.length, b.logRecordProcessors.length, b.metricReaders.length], [0, 0, 0]);
  assert.deepEqual(b.routes.map((r) => r.path), ['/dashboard']);
  const res = (await b.routes[0]!.handler({ url: '/dashboard' } as never, {} as never)) as { status: number; body: string };
  assert.equal(res.status, 200);
  assert.deepEqual(JSON.parse(res.body).metrics, []);

  const on = { ...b, spanProcessors: [], logRecordProcessors: [], metricReaders: [], routes: [] as { path: string }[] };
  embeddedFeature({ env: {} }).configure!(on as never);
  assert.deepEqual(on.routes.map((r) => r.path).sort(), ['/', '/assets/app.css', '/assets/app.js', '/assets/favicon.svg', '/dashboard', '/traces', '/traces/']);
  assert.equal(on.spanProcessors.length >= 1 && on.logRecordProcessors.length === 1 && on.metricReaders.length === 1, true);
});
