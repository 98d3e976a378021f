/**
 * The recording API: prom-client call shapes on the wundr_ families, the old
 * helpers' semantics, the legacy orchestrator_ API (MetricsRegistry,
 * MetricsCollector), histogram binding, and the disabled switch. Values are
 * read back from the SDK: the families bound to a MeterProvider's meter, as
 * the metrics feature binds them, and collected by a reader.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { MeterProvider, DataPointType, type MetricData } from '@opentelemetry/sdk-metrics';
import { register } from 'prom-client';
import { MeterBinding, runtime, setLabelCaps } from '../../src/metrics/families/index.ts';
import { METER_NAME, catalogueViews } from '../../src/metrics/feature.ts';
import * as wm from '../../src/metrics/wundrMetrics.ts';
import {
  MetricsRegistry,
  daemonMetrics,
  metricsRegistry,
  recordToolInvocation,
  recordTokensUsed,
} from '../../src/metrics/daemonMetrics.ts';
import { MetricsCollector, createMetricsCollector } from '../../src/metrics/MetricsCollector.ts';
import { TestReader } from '../support/testReader.ts';

let reader: TestReader;
let mp: MeterProvider | undefined;
let binding: MeterBinding | undefined;

/** Empty families and a new SDK (OTel keeps a series once it has one: a reset alone would not empty it). */
async function fresh(): Promise<void> {
  binding?.close();
  await mp?.shutdown();
  wm.resetWundrMetrics();
  reader = new TestReader();
  mp = new MeterProvider({ readers: [reader], views: catalogueViews() });
  binding = new MeterBinding(mp.getMeter(METER_NAME), () => wm.wundrFamilies().values());
}
after(async () => {
  binding?.close();
  await mp?.shutdown();
});

async function metric(name: string): Promise<MetricData | undefined> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
}

async function point(name: string, attrs: Record<string, string> = {}): Promise<number | undefined> {
  const m = await metric(name);
  const p = m?.dataPoints.find((d) => Object.entries(attrs).every(([k, v]) => d.attributes[k] === v));
  return p?.value as number | undefined;
}

const histogram = metric;

test('counter call shapes: inc(), inc(v), inc(labels), inc(labels, v), labels(...) handles', async () => {
  await fresh();
  const c = wm.agentMetrics.spawned;
  const l = { orchestrator_id: 'o1', session_type: 'claude-code' };
  c.inc(l);
  c.inc(l, 4);
  c.labels('o1', 'claude-code').inc();
  c.labels(l).inc(2);
  assert.equal(await point('wundr_agent_spawned', l), 8);
  c.inc(l, -3); // ignored, never thrown
  assert.equal(c.get(l), 8);
  wm.toolMetrics.queueDepth.set(7);
  wm.toolMetrics.queueDepth.inc();
  wm.toolMetrics.queueDepth.dec(3);
  assert.equal(await point('wundr_tool_queue_depth'), 5);
  const g = wm.memoryMetrics.bytes.labels('hot');
  g.set(100);
  g.dec(1);
  assert.equal(await point('wundr_memory_bytes', { tier: 'hot' }), 99);
});

test('label-less families report 0 before any recording; labelled ones report nothing', async () => {
  await fresh();
  assert.equal(await point('wundr_ws_connections_active'), 0);
  assert.equal(await point('wundr_agent_running'), undefined);
});

test('unknown label keys are ignored, missing ones are empty; values are stringified', async () => {
  await fresh();
  wm.queueMetrics.enqueued.inc({ queue_name: 7, bogus: 'x' } as never);
  wm.queueMetrics.dropped.inc({ queue_name: 'q' });
  assert.equal(await point('wundr_queue_enqueued', { queue_name: '7' }), 1);
  assert.equal(await point('wundr_queue_dropped', { queue_name: 'q', reason: '' }), 1);
});

test('allow-listed labels fold unknown values into other and count the overflow, also after a reset', async () => {
  for (let round = 0; round < 2; round++) {
    await fresh();
    wm.toolMetrics.executionTotal.inc({ tool_name: 't', status: 'exploded' as never });
    wm.toolMetrics.executionTotal.inc({ tool_name: 't', status: 'exploded' as never });
    assert.equal(await point('wundr_tool_execution', { tool_name: 't', status: 'other' }), 2);
    assert.equal(await point('wundr_metrics_label_overflow', { metric: 'wundr_tool_execution_total', label: 'status' }), 2);
  }
});

test('the series cap folds new combinations into one all-other series', async () => {
  await fresh();
  // 100 providers x 100 models would be 10,000 series; the cap is 2,000.
  for (let p = 0; p < 30; p++) for (let m = 0; m < 100; m++) wm.modelMetrics.requests.inc({ provider: `p${p}`, model: `m${m}` });
  assert.equal(wm.modelMetrics.requests.cells.size, 2001);
  assert.equal(await point('wundr_model_requests', { provider: 'other', model: 'other' }), 3000 - 2000);
});

test('histograms record with the catalogue buckets, through a reader as the SDK builds it', async () => {
  await fresh();
  wm.recordToolExecution('grep', 'success', 0.3);
  const end = wm.toolMetrics.executionDuration.startTimer({ tool_name: 'timed' });
  const s = end({ status: 'timeout' });
  assert.ok(s >= 0 && s < 1);
  wm.toolMetrics.executionDuration.labels('bound', 'error').observe(12);
  const h = await histogram('wundr_tool_execution_duration_seconds');
  assert.ok(h && h.dataPointType === DataPointType.HISTOGRAM);
  const byTool = new Map(h.dataPoints.map((d) => [d.attributes.tool_name, d]));
  assert.equal(byTool.get('grep')!.value.count, 1);
  assert.deepEqual(byTool.get('grep')!.value.buckets.counts, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  assert.equal(byTool.get('grep')!.value.min, 0.3);
  assert.equal(byTool.get('timed')!.attributes.status, 'timeout');
  assert.equal(byTool.get('bound')!.value.sum, 12);
  assert.deepEqual(byTool.get('grep')!.value.buckets.boundaries, [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60]);
  // Upper bounds are inclusive (Prometheus le): 0.5 goes into the 0.5 bucket.
  wm.toolMetrics.executionDuration.observe({ tool_name: 'edge', status: 'success' }, 0.5);
  assert.deepEqual(wm.toolMetrics.executionDuration.get({ tool_name: 'edge', status: 'success' }).buckets, [0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
});

test('the old helpers record what they did before', async () => {
  await fresh();
  wm.recordAgentSpawned('o', 'ruflo');
  wm.recordAgentSpawned('o', 'ruflo');
  wm.recordAgentCompleted('o', 'ruflo');
  wm.recordAgentFailed('o', 'ruflo', 'oom', 3);
  assert.equal(await point('wundr_agent_spawned', { orchestrator_id: 'o' }), 2);
  assert.equal(await point('wundr_agent_running', { orchestrator_id: 'o' }), 0);
  assert.equal(await point('wundr_agent_completed', { exit_reason: 'success' }), 1);
  assert.equal(await point('wundr_agent_failed', { error_type: 'oom' }), 1);

  wm.recordModelRequest({ provider: 'a', model: 'c', durationSeconds: 2, promptTokens: 10, completionTokens: 5, costDollars: 0.25, error: 'rate_limited' });
  assert.equal(await point('wundr_model_requests', { provider: 'a', model: 'c' }), 1);
  assert.equal(await point('wundr_model_request_tokens', { token_type: 'prompt' }), 10);
  assert.equal(await point('wundr_model_request_tokens', { token_type: 'completion' }), 5);
  assert.equal(await point('wundr_model_cost_dollars', { provider: 'a' }), 0.25);
  assert.equal(await point('wundr_model_errors', { error_type: 'rate_limited' }), 1);
  assert.equal(await point('wundr_model_rate_limited', { provider: 'a' }), 1);

  wm.recordWsConnection();
  wm.recordWsConnection('jwt');
  wm.recordWsDisconnection();
  wm.recordWsMessageReceived('chat', 100);
  wm.recordWsMessageSent('chat');
  assert.equal(await point('wundr_ws_connections_active'), 1);
  assert.equal(await point('wundr_ws_connections', { auth_method: 'none' }), 1);
  assert.equal(await point('wundr_ws_messages_received', { message_type: 'chat' }), 1);
  assert.equal(await point('wundr_ws_messages_sent', { message_type: 'chat' }), 1);

  wm.recordMemoryOperation({ operation: 'search', tier: 'hot', orchestratorId: 'o', cacheHit: true, durationSeconds: 0.001 });
  wm.recordMemoryOperation({ operation: 'search', tier: 'hot', cacheHit: false });
  wm.recordMemoryOperation({ operation: 'store', tier: 'hot' });
  wm.recordMemoryOperation({ operation: 'compact', tier: 'cold' });
  assert.equal(await point('wundr_memory_searches', { tier: 'hot', orchestrator_id: 'o' }), 1);
  assert.equal(await point('wundr_memory_searches', { tier: 'hot', orchestrator_id: '' }), 1);
  assert.equal(await point('wundr_memory_cache_hits', { tier: 'hot' }), 1);
  assert.equal(await point('wundr_memory_cache_misses', { tier: 'hot' }), 1);
  assert.equal(await point('wundr_memory_compaction', { tier: 'cold', strategy: 'summarize-and-archive' }), 1);

  wm.recordChannelMessageSent('slack');
  wm.recordChannelMessageReceived('slack', 'dm');
  wm.recordChannelError('slack', 'auth');
  wm.recordPluginError('p', 'onLoad', 'boom');
  assert.equal(await point('wundr_channel_messages_sent', { channel: 'slack', message_type: 'default' }), 1);
  assert.equal(await point('wundr_channel_messages_received', { message_type: 'dm' }), 1);
  assert.equal(await point('wundr_channel_errors', { error_type: 'auth' }), 1);
  assert.equal(await point('wundr_plugin_errors', { hook: 'onLoad' }), 1);
});

test('disabled: every recorder returns at once', async () => {
  await fresh();
  runtime.enabled = false;
  try {
    wm.recordAgentSpawned('o', 'x');
    wm.toolMetrics.queueDepth.set(9);
    wm.agentMetrics.spawned.labels('o', 'y').inc();
    assert.equal(wm.agentMetrics.spawned.cells.size, 1); // only the handle's cell
    assert.equal(await point('wundr_agent_spawned', { session_type: 'y' }), 0);
    assert.equal(await point('wundr_tool_queue_depth'), 0);
  } finally {
    runtime.enabled = true;
  }
});

test('legacy: MetricsRegistry over the default registry, helpers guarded', async () => {
  assert.ok(metricsRegistry instanceof MetricsRegistry);
  metricsRegistry.register();
  recordTokensUsed({ orchestrator_id: 'o', model: 'm' }, 7);
  assert.match(await metricsRegistry.collect(), /orchestrator_tokens_used_total\{orchestrator_id="o",model="m"\} 7/);
  assert.equal(metricsRegistry.getMetric('tokensUsed'), daemonMetrics.tokensUsed);
  assert.equal(metricsRegistry.getRegistry(), register);
  for (let i = 0; i < 300; i++) recordToolInvocation({ orchestrator_id: 'o', tool_name: `t${i}`, status: 'success' });
  const { values } = await daemonMetrics.toolInvocations.get();
  assert.equal(values.length, 201);
  metricsRegistry.reset();
  assert.equal((await daemonMetrics.tokensUsed.get()).values.length, 0);
});

test('legacy: MetricsCollector batches, flushes at maxBatchSize, and aggregates', async () => {
  metricsRegistry.reset();
  const c = createMetricsCollector(metricsRegistry, { maxBatchSize: 3, batchFlushInterval: 60_000 });
  assert.ok(c instanceof MetricsCollector);
  c.recordTokenUsage('o', 'm', 10);
  c.recordSessionStart('o', 'claude-code');
  assert.equal((await daemonMetrics.tokensUsed.get()).values.length, 0, 'queued, not written');
  c.recordMessageLatency('o', 250); // third write: flush
  assert.equal((await c.getAggregatedStats('o')).totalTokens, 10);
  c.recordToolInvocation('o', 'grep', 'success');
  c.recordToolInvocation('o', 'grep', 'timeout');
  c.recordDelegation('o', 'p', 'success');
  c.recordError('o', 'x');
  c.updateNodeLoad('n', 0.5);
  c.updateBudgetUtilization('o', 'daily', 95);
  await assert.rejects(c.withMetrics(() => Promise.reject(new Error('no')), { orchestrator_id: 'o' }), /no/);
  assert.equal(await c.withMetrics(() => 42, { orchestrator_id: 'o' }), 42);
  c.close();
  const s = await c.getAggregatedStats('o', '1h');
  assert.equal(s.timeRange, '1h');
  assert.equal(s.totalSessions, 1);
  assert.equal(s.toolInvocations, 2);
  assert.equal(s.successfulToolCalls, 1);
  assert.equal(s.failedToolCalls, 1);
  assert.equal(s.errorRate, 0.5);
  assert.equal(s.delegations, 1);
  assert.ok(s.avgLatency > 0);
  const errors = await daemonMetrics.errorCount.get();
  assert.ok(errors.values.some((v) => v.labels.error_type === 'function_execution_error'));
  const t = c.startTimer();
  assert.ok(t() >= 0);
});

test('legacy: unbatched collector writes at once', async () => {
  metricsRegistry.reset();
  const c = new MetricsCollector(metricsRegistry, { enableBatching: false });
  c.recordTokenUsage('u', 'm', 3);
  assert.equal((await c.getAggregatedStats('u')).totalTokens, 3);
  c.close();
});

test('setLabelCaps raises a cap for every metric or one, and rejects misuse at once', async () => {
  await fresh();
  setLabelCaps({ tool_name: 300 });
  setLabelCaps({ tool_name: 5 }, 'wundr_tool_errors_total');
  try {
    for (let i = 0; i < 400; i++) {
      wm.toolMetrics.executionTotal.inc({ tool_name: `t${i}`, status: 'success' });
      wm.toolMetrics.errors.inc({ tool_name: `t${i}`, error_type: 'x' });
    }
    assert.equal(wm.toolMetrics.executionTotal.cells.size, 301);
    assert.equal(wm.toolMetrics.errors.cells.size, 6);
    assert.throws(() => setLabelCaps({ tool_name: 0 }), /must be an integer from 1 to 100000/);
    assert.throws(() => setLabelCaps({ nope: 3 }), /"nope" is not a label of any catalogue metric/);
    assert.throws(() => setLabelCaps({ status: 9 }, 'wundr_tool_execution_total'), /fixed value set/);
    assert.throws(() => setLabelCaps({ model: 9 }, 'wundr_nope'), /not a catalogue metric/);
  } finally {
    setLabelCaps({ tool_name: 200 });
    setLabelCaps({ tool_name: 200 }, 'wundr_tool_errors_total');
  }
});

test('bad values from untyped callers are ignored, never thrown or stored as strings', async () => {
  await fresh();
  const l = { tool_name: Symbol('s') as never, status: null as never };
  wm.toolMetrics.executionTotal.inc(l, '5' as never);
  wm.toolMetrics.executionTotal.inc(l, 2);
  wm.toolMetrics.executionDuration.observe(l, '0.5' as never);
  wm.toolMetrics.executionDuration.observe(l, NaN);
  wm.toolMetrics.executionDuration.labels(l).observe(0.5);
  wm.memoryMetrics.bytes.set({ tier: 't' }, '9' as never);
  wm.memoryMetrics.bytes.inc({ tier: 't' }, 2);
  assert.equal(await point('wundr_tool_execution', { tool_name: 'Symbol(s)', status: '' }), 2);
  assert.deepEqual(wm.toolMetrics.executionDuration.get(l), { count: 1, sum: 0.5, buckets: [0, 0, 0, 1, 1, 1, 1, 1, 1, 1] });
  assert.equal(await point('wundr_memory_bytes', { tier: 't' }), 2);
});

test('object label values are stringified and not indexed (no growth per call)', async () => {
  await fresh();
  for (let i = 0; i < 1000; i++) wm.queueMetrics.enqueued.inc({ queue_name: {} as never });
  assert.equal(await point('wundr_queue_enqueued', { queue_name: '[object Object]' }), 1000);
  const index = (wm.queueMetrics.enqueued as unknown as { index: Map<unknown, unknown> }).index;
  assert.equal(index.size, 0);
});
