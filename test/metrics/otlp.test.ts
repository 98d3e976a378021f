/**
 * With OTEL_METRICS_EXPORTER=prometheus,otlp the same catalogue metrics,
 * histograms, system metrics and bridged orchestrator_ metrics reach a real
 * OTLP/HTTP receiver (protobuf) through the periodic reader; with
 * OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta the catalogue
 * metrics arrive as deltas while /metrics stays cumulative.
 */
import { test, after } from 'node:test';
import { freePort } from '../support/child.ts';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.ts';
import { startSdk, type WundrSdk } from '../../src/sdk/start.ts';
import { recordTokensUsed } from '../../src/metrics/daemonMetrics.ts';
import { memoryMetrics, recordAgentSpawned, recordToolExecution } from '../../src/metrics/wundrMetrics.ts';

const setMemoryBytes = () => memoryMetrics.bytes.set({ tier: 'delta-tier' }, 7);
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.ts';
import { deltaMetricsEnv } from '../support/metricsEnv.ts';

let sdk: WundrSdk | undefined;
let receiver: OtlpReceiver | undefined;
after(async () => {
  await sdk?.shutdown();
  await receiver?.close();
});

test('catalogue, system and bridged metrics are shipped over OTLP', async () => {
  receiver = await startOtlpReceiver();
  const { config } = loadConfig({
    METRICS_PORT: String(await freePort()),
    METRICS_HOST: '127.0.0.1',
    OTEL_METRICS_EXPORTER: 'prometheus,otlp',
    OTEL_METRIC_EXPORT_INTERVAL: '200',
    OTEL_METRIC_EXPORT_TIMEOUT: '200',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
  });
  sdk = startSdk(config, { httpInstrumentation: false });
  recordAgentSpawned('o1', 'claude-code');
  recordToolExecution('grep', 'success', 0.2);
  recordTokensUsed({ orchestrator_id: 'o1', model: 'm' }, 11);
  const has = (name: string) => receiver!.metrics().some((m) => m.name === name);
  await receiver.waitFor(
    () => ['wundr_agent_spawned', 'wundr_tool_execution_duration_seconds', 'orchestrator_tokens_used_total', 'wundr_process_memory_heap_bytes'].every(has),
    10_000,
    'metrics over OTLP',
  );
  const spawned = receiver.metrics().find((m) => m.name === 'wundr_agent_spawned')!;
  assert.equal(spawned.kind, 'sum');
  assert.deepEqual(spawned.dataPoints[0].attributes, { orchestrator_id: 'o1', session_type: 'claude-code' });
  assert.equal(spawned.dataPoints[0].value, 1);
  assert.equal(spawned.description, 'Total number of agents spawned');
  const tokens = receiver.metrics().find((m) => m.name === 'orchestrator_tokens_used_total')!;
  assert.equal(tokens.dataPoints.find((p) => p.attributes.model === 'm')?.value, 11);
  const hist = receiver.metrics().find((m) => m.name === 'wundr_tool_execution_duration_seconds')!;
  assert.equal(hist.kind, 'histogram');
  assert.deepEqual(hist.dataPoints[0].explicitBounds, [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60]);
  assert.equal(hist.unit, 's');
  assert.equal(spawned.temporality, 'cumulative');
});

test('delta temporality: OTLP gets what changed in each interval, Prometheus the totals', async () => {
  await sdk?.shutdown();
  receiver!.clear();
  const port = await freePort();
  const { config, warnings } = loadConfig(deltaMetricsEnv(port, receiver!.url));
  assert.deepEqual(warnings, []);
  sdk = startSdk(config, { httpInstrumentation: false });
  setMemoryBytes();
  const points = (name: string, orchestrator: string) =>
    receiver!
      .metrics()
      .filter((m) => m.name === name)
      .flatMap((m) => m.dataPoints.filter((p) => p.attributes.orchestrator_id === orchestrator).map((p) => ({ temporality: m.temporality, value: p.value })));
  for (let i = 0; i < 3; i++) recordAgentSpawned('delta-1', 'claude-code');
  await receiver!.waitFor(() => points('wundr_agent_spawned', 'delta-1').length > 0, 10_000, 'first delta');
  receiver!.clear();
  recordAgentSpawned('delta-1', 'claude-code');
  recordAgentSpawned('delta-1', 'claude-code');
  await receiver!.waitFor(() => points('wundr_agent_spawned', 'delta-1').length > 0, 10_000, 'second delta');
  // Each export carries the interval's increments only, never the running total.
  const second = points('wundr_agent_spawned', 'delta-1');
  assert.deepEqual(second, [{ temporality: 'delta', value: 2 }]);
  // A gauge set once, before the first export, is still in a later one: gauges stay cumulative.
  const gauge = receiver!.metrics().find((m) => m.name === 'wundr_memory_bytes');
  assert.equal(gauge?.dataPoints.find((p) => p.attributes.tier === 'delta-tier')?.value, 7);
  const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  assert.match(body, /^wundr_agent_spawned_total\{orchestrator_id="delta-1",session_type="claude-code"\} 5$/m);
});
