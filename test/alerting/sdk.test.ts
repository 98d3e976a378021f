/**
 * Health and alerting on the real SDK: the same numbers /metrics serves feed
 * /health's metrics block and the in-process evaluator (one truth).
 */
import { test, before, after as afterAll } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.ts';
import { startSdk } from '../../src/sdk/start.ts';
import { queueMetrics, agentMetrics, toolMetrics, recordModelRequest, recordAgentSpawned, recordAgentFailed } from '../../src/metrics/index.ts';
import { AlertEvaluator } from '../../src/alerting/AlertEvaluator.ts';
import { defaultAlertRules } from '../../src/alerting/defaultRules.ts';
import { getAlertEvaluator } from '../../src/alerting/feature.ts';
import { getHealthChecker, setReady } from '../../src/health/feature.ts';
import { freePort } from '../support/child.ts';
import type { Alert } from '../../src/alerting/types.ts';

let port = 0;
let sdk: ReturnType<typeof startSdk>;
before(async () => {
  port = await freePort();
  const { config } = loadConfig({
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: String(port),
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    ALERTING_EVALUATION_INTERVAL: '3600',
    HEALTH_CHECK_TIMEOUT: '200',
  });
  sdk = startSdk(config, { httpInstrumentation: false });
  await sdk.ready;
});
// One SDK for the file (it registers globals); stopped after the last test.
afterAll(() => sdk.shutdown(3000));

test('SDK: queue depth drives /health queuedTasks, the evaluator, /alerts and the firing gauge on /metrics', async () => {
  const base = `http://127.0.0.1:${port}`;

  queueMetrics.depth.set({ queue_name: 'tasks' }, 150);
  queueMetrics.depth.set({ queue_name: 'tools' }, 7);
  agentMetrics.running.set({ orchestrator_id: 'o1', session_type: 'claude-code' }, 4);

  getHealthChecker().configure({ cacheMs: 0 });
  const health = (await (await fetch(`${base}/health`)).json()) as { metrics: Record<string, number>; status: string };
  assert.equal(health.metrics.queuedTasks, 157, 'sum of wundr_queue_depth');
  assert.equal(health.metrics.activeSessions, 4, 'wundr_agent_running');
  assert.ok(health.metrics.memoryUsageMB > 1);
  assert.equal(health.status, 'healthy');

  assert.equal((await fetch(`${base}/ready`)).status, 503);
  setReady(true);
  assert.equal((await fetch(`${base}/ready`)).status, 200);

  const ev = getAlertEvaluator();
  ev.addRule({
    name: 'QueueBacklogNow',
    description: 'Queue depth exceeds 100 (no hold time)',
    metric: 'wundr_queue_depth',
    expr: { kind: 'value', by: ['queue_name'] },
    condition: 'gt',
    threshold: 100,
    duration: 0,
    severity: 'critical',
    actions: [{ type: 'metric', config: {} }, { type: 'event', config: {} }],
  });
  const fired: Alert[] = [];
  ev.on('firing', (a: Alert) => fired.push(a));
  await ev.evaluate();
  assert.deepEqual(fired.map((a) => [a.rule, a.labels.queue_name]), [['QueueBacklogNow', 'tasks']]);

  const alerts = (await (await fetch(`${base}/alerts`)).json()) as { enabled: boolean; activeAlerts: Alert[]; thresholds: { name: string; expr: string }[] };
  assert.equal(alerts.enabled, true);
  const states = Object.fromEntries(alerts.activeAlerts.map((a) => [a.rule, a.state]));
  assert.equal(states.QueueBacklogNow, 'firing');
  assert.equal(states.QueueBacklog, 'pending', 'the default rule holds for 5m before firing');
  assert.equal(alerts.thresholds.length, 9);

  const text = await (await fetch(`${base}/metrics`)).text();
  assert.match(text, /wundr_alerts_firing\{alertname="QueueBacklogNow",severity="critical"\} 1/);
  assert.match(text, /wundr_alerts_firing\{alertname="QueueBacklog",severity="warning"\} 0/);

  queueMetrics.depth.set({ queue_name: 'tasks' }, 2);
  await ev.evaluate();
  assert.equal(ev.getResolvedAlerts()[0]?.rule, 'QueueBacklogNow');
  const after = await (await fetch(`${base}/metrics`)).text();
  assert.match(after, /wundr_alerts_firing\{alertname="QueueBacklogNow",severity="critical"\} 0/);
});

test('SDK: counter, ratio and histogram rules read the exporter-named series (_total, _bucket) of the real SDK', async () => {
  const ev0 = getAlertEvaluator();
  const source = ev0.getSource();
  assert.ok(source, 'the preload-style evaluator has the SDK source');
  let now = Date.now();
  const rules = defaultAlertRules()
    .filter((r) => ['ToolFailureRate', 'LLMLatencyHigh', 'HighAgentFailureRate'].includes(r.name))
    .map((r) => ({ ...r, duration: 0 }));
  const ev = new AlertEvaluator({ rules, source, now: () => now, logger: { info() {}, warn() {}, error() {} } });
  await ev.evaluate();
  for (let i = 0; i < 3; i++) {
    now += 30_000;
    for (let k = 0; k < 10; k++) toolMetrics.errors.inc({ tool_name: 'drift_detection', error_type: 'timeout' });
    for (let k = 0; k < 4; k++) recordModelRequest({ provider: 'openai', model: 'gpt-4o', durationSeconds: 45 });
    for (let k = 0; k < 10; k++) recordAgentSpawned('o1', 'claude-code');
    for (let k = 0; k < 3; k++) recordAgentFailed('o1', 'claude-code', 'crash');
    await ev.evaluate();
  }
  const firing = Object.fromEntries(ev.getFiringAlerts().map((a) => [a.rule, a.value]));
  assert.ok(firing.ToolFailureRate! > 5, `tool errors/min: ${JSON.stringify(firing)}`);
  assert.ok(firing.LLMLatencyHigh! > 30 && firing.LLMLatencyHigh! <= 60, `p95 interpolated in the (30, 60] bucket: ${firing.LLMLatencyHigh}`);
  assert.ok(Math.abs(firing.HighAgentFailureRate! - 0.3) < 1e-9, `failed/spawned: ${firing.HighAgentFailureRate}`);
});
