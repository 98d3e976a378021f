/**
 * PrometheusTextSerializer prints exactly what the exporter's
 * PrometheusSerializer (withoutScopeInfo) prints for the same collected
 * data: compared string for string on rich data, on repeated scrapes (the
 * caches), and on random label values (fast-check).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { Registry, Counter, Summary } from 'prom-client';
import { CatalogueProducer } from '../../src/metrics/CatalogueProducer.ts';
import { PromClientBridge } from '../../src/metrics/PromClientBridge.ts';
import { PrometheusTextSerializer } from '../../src/metrics/PrometheusTextSerializer.ts';
import * as wm from '../../src/metrics/wundrMetrics.ts';

class PullReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const reg = new Registry();
const promCounter = new Counter({ name: 'legacy_things_total', help: 'Legacy\\things\nwith "quotes"', labelNames: ['a'], registers: [reg] });
new Summary({ name: 'legacy_summary', help: 's', labelNames: ['m'], registers: [reg] }).observe({ m: 'x' }, 2);
const reader = new PullReader({
  metricProducers: [new CatalogueProducer(() => wm.wundrFamilies().values()), new PromClientBridge({ registries: [reg] })],
});
const mp = new MeterProvider({
  resource: resourceFromAttributes({ 'service.name': 'svc "x"\\y', 'service.instance.id': 'i-1', 'weird-key.name': 'v\nw', n: 3 }),
  readers: [reader],
});
after(() => mp.shutdown());

const m1 = mp.getMeter('one');
const m2 = mp.getMeter('two', '1.0');
const c = m1.createCounter('http.requests', { description: 'Requests', unit: '{request}' });
const ud = m1.createUpDownCounter('queue-size', { description: '' });
const g = m1.createGauge('temp_celsius', { unit: 'Cel' });
const h = m1.createHistogram('latency', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1, 10] } });
const hNoLabels = m2.createHistogram('plain_hist');
const same = m2.createCounter('http.requests', { description: 'Other help' }); // same family, other scope
const clashA = m1.createGauge('clash');
const clashB = m2.createHistogram('clash'); // TYPE conflict: dropped by both
m2.createObservableGauge('obs_gauge', { description: 'obs' }).addCallback((r) => {
  r.observe(1.5, { k: 'a' });
  r.observe(-Infinity, { k: 'b' });
});
m2.createCounter('never_recorded', { description: 'no points' });

function record(values: string[]): void {
  for (const v of values) {
    c.add(1, { method: 'GET', path: v });
    ud.add(-2, { q: v, n: 42, ok: true });
    h.record(0.5, { route: v });
  }
  g.record(21.5, { room: 'a', list: ['x', 'y'] as never });
  hNoLabels.record(3);
  same.add(5, { method: 'POST' });
  clashA.record(1);
  clashB.record(1);
  promCounter.inc({ a: 'q"uote' }, 2);
  wm.recordToolExecution('tool\\with"chars', 'success', 0.2);
  wm.agentMetrics.spawned.inc({ orchestrator_id: 'o\n1', session_type: 's' });
  wm.wsMetrics.connectionsActive.set(3);
}

async function both(): Promise<[string, string]> {
  const { resourceMetrics } = await reader.collect();
  const theirs = new PrometheusSerializer(undefined, false, undefined, false, true).serialize(resourceMetrics);
  return [new PrometheusTextSerializer().serialize(resourceMetrics), theirs];
}

test('same text as the exporter serializer on rich data, twice (caches)', async () => {
  record(['/a', '/b"c', 'back\\slash', 'new\nline', '']);
  const [ours, theirs] = await both();
  assert.equal(ours, theirs);
  assert.ok(ours.includes('# TYPE http_requests_total counter'));
  assert.ok(!ours.includes('clash'), 'type conflict drops the family');
  const s = new PrometheusTextSerializer();
  const { resourceMetrics } = await reader.collect();
  const first = s.serialize(resourceMetrics);
  assert.equal(s.serialize(resourceMetrics), first);
  assert.equal(first, new PrometheusSerializer(undefined, false, undefined, false, true).serialize(resourceMetrics));
});

test('withoutTargetInfo and the empty case match too', () => {
  const empty = { resource: resourceFromAttributes({ a: 'b' }), scopeMetrics: [] };
  assert.equal(new PrometheusTextSerializer().serialize(empty), new PrometheusSerializer(undefined, false, undefined, false, true).serialize(empty));
  assert.equal(
    new PrometheusTextSerializer({ withoutTargetInfo: true }).serialize(empty),
    new PrometheusSerializer(undefined, false, undefined, true, true).serialize(empty),
  );
});

test('random label values and names: same text (property)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.string({ unit: 'binary', maxLength: 12 }), { minLength: 1, maxLength: 5 }), async (values) => {
      record(values);
      const [ours, theirs] = await both();
      assert.equal(ours, theirs);
    }),
    { numRuns: 40 },
  );
});
