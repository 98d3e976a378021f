/**
 * The wundr_ families are OTel Meter instruments of the SDK they are bound
 * to: a user's views apply to them, every reader gets them with its own
 * temporality, the SDK's cardinality limit sits above the guard's cap, and
 * a restarted SDK gets what was recorded while none ran.
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  AggregationTemporality,
  AggregationType,
  MeterProvider,
  MetricReader,
  createAllowListAttributesProcessor,
  type MetricData,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { FLUSH_INSTRUMENT, MeterBinding, PENDING_OBSERVATIONS } from '../../src/metrics/families/index.ts';
import { drainIdleReaders } from '../../src/sdk/idleReaders.ts';
import { withoutCarried } from '../../src/sdk/DeltaProducer.ts';
import { METER_NAME, catalogueViews } from '../../src/metrics/feature.ts';
import * as wm from '../../src/metrics/wundrMetrics.ts';
import { TestReader } from '../support/testReader.ts';

const open: { mp: MeterProvider; binding: MeterBinding }[] = [];
function sdk(readers: MetricReader[], views: ViewOptions[] = catalogueViews()): MeterBinding {
  const mp = new MeterProvider({ readers, views });
  const binding = new MeterBinding(mp.getMeter(METER_NAME), () => wm.wundrFamilies().values());
  open.push({ mp, binding });
  return binding;
}
afterEach(async () => {
  for (const { mp, binding } of open.splice(0)) {
    binding.close();
    await mp.shutdown();
  }
  wm.resetWundrMetrics();
});

async function collect(reader: MetricReader): Promise<MetricData[]> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
}
const find = (ms: MetricData[], name: string) => ms.find((m) => m.descriptor.name === name);
function value(ms: MetricData[], name: string, attrs: Record<string, string> = {}): number | undefined {
  return find(ms, name)?.dataPoints.find((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v))?.value as number | undefined;
}

test("a user's views apply to the wundr_ metrics: rename, attribute filter, drop", async () => {
  const reader = new TestReader();
  sdk(
    [reader],
    [
      { instrumentName: 'wundr_tool_execution', name: 'tool_calls', attributesProcessors: [createAllowListAttributesProcessor(['status'])] },
      { instrumentName: 'wundr_ws_messages_received', aggregation: { type: AggregationType.DROP } },
    ],
  );
  wm.recordToolExecution('grep', 'success', 0.1);
  wm.recordToolExecution('sed', 'success', 0.2);
  wm.recordToolExecution('sed', 'error', 0.2);
  wm.recordWsMessageReceived('chat');
  const ms = await collect(reader);
  assert.equal(find(ms, 'wundr_tool_execution'), undefined);
  const calls = find(ms, 'tool_calls')!;
  assert.deepEqual(
    calls.dataPoints.map((p) => [p.attributes, p.value]).sort(),
    [
      [{ status: 'error' }, 1],
      [{ status: 'success' }, 2],
    ],
  );
  assert.equal(find(ms, 'wundr_ws_messages_received'), undefined);
});

test('each reader gets its own temporality: a raw delta reader gets the interval (gauges only when they changed; the OTLP exporter keeps gauges cumulative), a cumulative one the totals', async () => {
  const cumulative = new TestReader();
  const delta = new TestReader({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  sdk([cumulative, delta]);
  const l = { orchestrator_id: 'o', session_type: 's' };
  wm.agentMetrics.spawned.inc(l, 5);
  wm.agentMetrics.running.set(l, 3);
  let d = await collect(delta);
  assert.equal(value(d, 'wundr_agent_spawned', l), 5);
  assert.equal(value(d, 'wundr_agent_running', l), 3);
  wm.agentMetrics.spawned.inc(l, 2);
  d = await collect(delta);
  assert.equal(value(d, 'wundr_agent_spawned', l), 2);
  // Unchanged since the last collection: nothing measured in this interval.
  assert.equal(value(d, 'wundr_agent_running', l), undefined);
  wm.agentMetrics.running.dec(l);
  d = await collect(delta);
  assert.equal(value(d, 'wundr_agent_spawned', l), undefined);
  assert.equal(value(d, 'wundr_agent_running', l), 2);
  const c = await collect(cumulative);
  assert.equal(value(c, 'wundr_agent_spawned', l), 7);
  assert.equal(value(c, 'wundr_agent_running', l), 2);
  assert.equal(find(c, FLUSH_INSTRUMENT), undefined, 'the flush carrier reports nothing');
});

test("the SDK's cardinality limit sits above the guard's: every admitted series and the overflow series are exported", async () => {
  const reader = new TestReader();
  sdk([reader]);
  for (let p = 0; p < 30; p++) for (let m = 0; m < 100; m++) wm.modelMetrics.requests.inc({ provider: `p${p}`, model: `m${m}` });
  const points = find(await collect(reader), 'wundr_model_requests')!.dataPoints;
  assert.equal(points.length, 2001);
  assert.equal(points.filter((p) => 'otel.metric.overflow' in p.attributes).length, 0);
  assert.equal(points.find((p) => p.attributes.provider === 'other')?.value, 1000);
});

test('a new SDK gets whole counts and gauges, and the histogram observations made while none ran (bounded)', async () => {
  const l = { tool_name: 'grep', status: 'success' } as const;
  wm.toolMetrics.executionTotal.inc(l, 4);
  for (let i = 0; i < PENDING_OBSERVATIONS + 10; i++) wm.toolMetrics.executionDuration.observe(l, 0.2);
  wm.memoryMetrics.bytes.set({ tier: 'hot' }, 42);
  const first = new TestReader();
  const b1 = sdk([first]);
  let ms = await collect(first);
  assert.equal(value(ms, 'wundr_tool_execution', l), 4);
  assert.equal(value(ms, 'wundr_memory_bytes', { tier: 'hot' }), 42);
  const h = find(ms, 'wundr_tool_execution_duration_seconds')!.dataPoints[0].value as { count: number };
  assert.equal(h.count, PENDING_OBSERVATIONS);
  // The cell saw every observation.
  assert.equal(wm.toolMetrics.executionDuration.get(l).count, PENDING_OBSERVATIONS + 10);

  // The daemon restarts its SDK: the counts go on from their totals.
  b1.close();
  wm.toolMetrics.executionTotal.inc(l);
  wm.toolMetrics.executionDuration.observe(l, 0.3);
  const second = new TestReader();
  sdk([second]);
  ms = await collect(second);
  assert.equal(value(ms, 'wundr_tool_execution', l), 5);
  assert.equal(value(ms, 'wundr_memory_bytes', { tier: 'hot' }), 42);
  assert.equal((find(ms, 'wundr_tool_execution_duration_seconds')!.dataPoints[0].value as { count: number }).count, 1);
});

test('a new SDK with a delta reader gets what the old one did not collect, the last flush after its final collection included', async () => {
  const l = { tool_name: 'carry', status: 'success' } as const;
  const delta = () => new TestReader({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  // What a push exporter of the SDK is given: the collection without what an earlier SDK collected.
  const exported = async (r: MetricReader) => value(withoutCarried((await r.collect()).resourceMetrics).scopeMetrics.flatMap((s) => s.metrics), 'wundr_tool_execution', l);
  wm.toolMetrics.executionTotal.inc(l, 5);
  const first = delta();
  const b1 = sdk([first]);
  assert.equal(await exported(first), 5);
  // Recorded after the old SDK's last collection: the closing flush hands it to an SDK that never reports it.
  wm.toolMetrics.executionTotal.inc(l, 2);
  b1.close();
  wm.toolMetrics.executionTotal.inc(l, 1);
  const second = delta();
  const cumulative = new TestReader();
  sdk([second, cumulative]);
  assert.equal(await exported(second), 3, 'the 2 + 1 nobody reported, not the 5 again');
  assert.equal(value(await collect(cumulative), 'wundr_tool_execution', l), 8, 'a cumulative reader of the same SDK shows the total');
  wm.toolMetrics.executionTotal.inc(l, 4);
  assert.equal(await exported(second), 4, 'the carried part is taken out once');
});

test('negative and non-numeric histogram observations are refused by the cell as by the SDK', async () => {
  const reader = new TestReader();
  sdk([reader]);
  const l = { tool_name: 't', status: 'success' } as const;
  wm.toolMetrics.executionDuration.observe(l, -1);
  wm.toolMetrics.executionDuration.labels(l).observe(Number.NaN);
  wm.toolMetrics.executionDuration.observe(l, 0.5);
  assert.equal(wm.toolMetrics.executionDuration.get(l).count, 1);
  const p = find(await collect(reader), 'wundr_tool_execution_duration_seconds')!.dataPoints[0].value as { count: number; sum: number };
  assert.deepEqual([p.count, p.sum], [1, 0.5]);
});

test('reset() against a running SDK: OTel keeps the series; what is recorded afterwards adds to it', async () => {
  const reader = new TestReader();
  sdk([reader]);
  const l = { queue_name: 'q' };
  wm.queueMetrics.enqueued.inc(l, 3);
  assert.equal(value(await collect(reader), 'wundr_queue_enqueued', l), 3);
  wm.queueMetrics.enqueued.reset();
  wm.queueMetrics.enqueued.inc(l);
  assert.equal(wm.queueMetrics.enqueued.get(l), 1);
  assert.equal(value(await collect(reader), 'wundr_queue_enqueued', l), 4);
});

test('a pull reader nobody reads is read by the drain; one read recently is left alone', async () => {
  let reads = { busy: 0, idle: 0 };
  class CountingReader extends TestReader {
    constructor(private readonly who: 'busy' | 'idle') {
      super();
    }
    override collect(options?: Parameters<MetricReader['collect']>[0]) {
      reads[this.who]++;
      return super.collect(options);
    }
  }
  const busy = new CountingReader('busy');
  const idle = new CountingReader('idle');
  sdk([busy, idle]);
  const idleMs = 250;
  const stop = drainIdleReaders([busy, idle], idleMs);
  try {
    reads = { busy: 0, idle: 0 };
    let own = 0;
    const since = Date.now();
    // Several drain rounds however slow the machine; the busy reader is read every ~20 ms, far inside idleMs.
    while (own < 10 || Date.now() - since < 5 * idleMs) {
      wm.toolMetrics.executionTotal.inc({ tool_name: 'x', status: 'success' });
      await busy.collect();
      own++;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(reads.idle >= 2, `the idle reader was read ${reads.idle} times`);
    assert.equal(reads.busy, own, 'every read of the busy reader was ours: the drain never needed it');
  } finally {
    stop();
  }
});
