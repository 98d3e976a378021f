/**
 * Through the preload, in a child process: a prom-client metric whose
 * collect() throws is counted in wundr_otel_metric_collection_errors_total
 * and warned about once (not once per scrape); concurrent scrapes share one
 * collection of the bridged registry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ROOT, eventually, freePort, request, runChild } from '../support/child.ts';

test('preloaded app with a throwing prom-client metric: /metrics answers, the error is counted, one warning; concurrent scrapes share a collection', async (t) => {
  const metricsPort = await freePort();
  const child = runChild({
    args: ['--require', '@wundr/otel/register', path.join(ROOT, 'test', 'endpoint', 'fixtures', 'brokenProducer.cjs')],
    env: { METRICS_PORT: String(metricsPort), METRICS_HOST: '127.0.0.1', OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', ALERTING_ENABLED: 'false' },
  });
  t.after(() => child.kill('SIGKILL'));
  const app = Number((await child.waitForOutput(/listening (\d+)/))[1]);
  await eventually(() => request(metricsPort, '/live'));
  let last = '';
  for (let i = 0; i < 4; i++) {
    const r = await request(metricsPort, '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.body, /^wundr_agent_spawned_total|^# HELP/m);
    last = r.body;
  }
  assert.match(last, /^wundr_otel_metric_collection_errors_total [1-9]\d*$/m, last.split('\n').filter((l) => l.includes('wundr_otel')).join('\n'));
  const warnings = child.stderr().split('\n').filter((l) => l.includes('metric producer error'));
  assert.equal(warnings.length, 1, child.stderr());
  assert.match(warnings[0]!, /the broken gauge failed/);

  // The slow gauge counts its collections; the app answers the count.
  const before = Number((await request(app, '/fix')).body);
  const answers = await Promise.all(Array.from({ length: 8 }, () => request(metricsPort, '/metrics')));
  for (const a of answers) {
    assert.equal(a.status, 200);
    assert.match(a.body, /^app_broken_gauge 1$/m, 'the fixed producer is back in the scrape');
  }
  const after = Number((await request(app, '/')).body);
  assert.equal(after - before, 1, 'eight concurrent scrapes, one collection');
});
