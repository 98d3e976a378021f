/**
 * System metrics: observable instruments read at collection, the event-loop
 * lag histogram drained from perf_hooks, /proc readers, stop().
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { MeterProvider, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SystemMetrics, readMaxFds, readOpenFds } from '../../src/metrics/SystemMetrics.ts';
import { catalogueViews } from '../../src/metrics/feature.ts';
import { systemMetrics } from '../../src/metrics/wundrMetrics.ts';
import { TestReader } from '../support/testReader.ts';

const reader = new TestReader();
const mp = new MeterProvider({ readers: [reader], views: catalogueViews() });
after(() => mp.shutdown());

async function collect() {
  const { resourceMetrics, errors } = await reader.collect();
  assert.deepEqual(errors, []);
  return new Map(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]));
}

test('values are read at collection; lag samples land in the catalogue buckets', async () => {
  const sm = new SystemMetrics(mp.getMeter('@wundr/otel'));
  try {
    assert.equal(SystemMetrics.current, sm);
    // The monitor samples every 100 ms: a stall of 300 ms delays one sample by more than 0.1 s.
    await new Promise((r) => setTimeout(r, 250));
    const t0 = Date.now();
    while (Date.now() - t0 < 300); // one long stall
    await new Promise((r) => setTimeout(r, 250));
    assert.ok((systemMetrics.eventLoopLag.read() ?? 0) > 0, 'mean lag visible before collection');
    const m = await collect();
    const heap1 = m.get('wundr_process_memory_heap_bytes')!.dataPoints[0].value as number;
    assert.ok(heap1 > 1e6);
    assert.ok((m.get('wundr_process_cpu_user_seconds')!.dataPoints[0].value as number) > 0);
    assert.equal(m.get('wundr_process_cpu_user_seconds')!.dataPointType, 3); // SUM
    const lag = m.get('wundr_process_event_loop_lag_seconds') as HistogramMetricData;
    const h = lag.dataPoints[0].value;
    assert.deepEqual(h.buckets.boundaries, [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1]);
    assert.ok(h.count >= 3, `samples: ${h.count}`);
    // The 300 ms stall is one sample above 0.1 s.
    const above100ms = h.buckets.counts.slice(5).reduce((a, b) => a + b, 0);
    assert.ok(above100ms >= 1, `counts ${h.buckets.counts.join(',')}`);
    assert.ok(h.max! >= 0.1 && h.max! < 5, `max ${h.max}`);
    if (process.platform === 'linux') {
      assert.equal(m.get('wundr_process_open_fds')!.dataPoints.length, 1);
      assert.ok(readOpenFds()! > 2 && readMaxFds()! >= readOpenFds()!);
    } else {
      assert.equal(m.has('wundr_process_open_fds'), false);
      assert.equal(readOpenFds(), undefined);
    }
    // Uptime moves between collections: read at collection, not cached.
    await new Promise((r) => setTimeout(r, 20));
    const up1 = m.get('wundr_process_uptime_seconds')!.dataPoints[0].value as number;
    const up2 = (await collect()).get('wundr_process_uptime_seconds')!.dataPoints[0].value as number;
    assert.ok(up2 > up1);
  } finally {
    sm.stop();
  }
  assert.equal(SystemMetrics.current, undefined);
  assert.equal(systemMetrics.eventLoopLag.read(), undefined);
});

test('GC pauses: each pause lands in wundr_process_gc_duration_seconds by kind, with prom-client\'s buckets', async () => {
  const sm = new SystemMetrics(mp.getMeter('@wundr/otel'), { gcPauses: true });
  try {
    await collect(); // start from an empty histogram
    // A forced full GC is a "major" entry; short-lived garbage gives "minor" scavenges.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let keep = 0;
    for (let i = 0; i < 200_000; i++) keep += new Array(16).fill(i).length;
    assert.ok(keep > 0);
    gc();
    await new Promise((r) => setTimeout(r, 100)); // the observer delivers entries asynchronously
    const m = await collect();
    const h = m.get('wundr_process_gc_duration_seconds') as HistogramMetricData;
    assert.ok(h, 'the family is collected');
    assert.equal(h.descriptor.unit, 's');
    const byKind = new Map(h.dataPoints.map((p) => [p.attributes.kind, p.value]));
    for (const k of byKind.keys()) assert.ok(['major', 'minor', 'incremental', 'weakcb'].includes(String(k)), `kind ${String(k)}`);
    const major = byKind.get('major');
    assert.ok(major && major.count >= 1, 'the forced GC was recorded as major');
    assert.deepEqual(major.buckets.boundaries, [0.001, 0.01, 0.1, 1, 2, 5]);
    assert.ok((byKind.get('minor')?.count ?? 0) >= 1, 'scavenges were recorded as minor');
    const sum = major.sum ?? 0;
    assert.ok(sum > 0 && sum < 5, `major pause sum ${sum}`);
    assert.ok(systemMetrics.gcDuration.read()! >= sum, 'the running total covers what was recorded');
  } finally {
    sm.stop();
  }
  assert.equal(systemMetrics.gcDuration.read(), undefined);
});

test('GC pauses are not observed by default (WUNDR_OTEL_GC_PAUSES off): no pause recorded, no running total', async () => {
  const sm = new SystemMetrics(mp.getMeter('@wundr/otel'));
  try {
    // The reader is cumulative and an earlier test recorded pauses: nothing may be added to them.
    const pauses = async () => {
      const h = (await collect()).get('wundr_process_gc_duration_seconds') as HistogramMetricData | undefined;
      return (h?.dataPoints ?? []).reduce((n, p) => n + p.value.count, 0);
    };
    const before = await pauses();
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await pauses(), before, 'no pause recorded');
    assert.equal(systemMetrics.gcDuration.read(), undefined);
  } finally {
    sm.stop();
  }
});

test('old system-metric fields keep working: get() in prom-client shape, set() a harmless no-op', async () => {
  systemMetrics.memoryHeap.set(5);
  systemMetrics.uptime.inc();
  const r = await systemMetrics.memoryRss.get();
  assert.equal(r.name, 'wundr_process_memory_rss_bytes');
  assert.ok(r.values[0].value > 1e6);
  assert.ok(systemMetrics.memoryHeap.read()! > 5);
});
