/**
 * METRICS_ENABLED=false: no meter provider, no /metrics route, recorders
 * are no-ops (nothing accumulates).
 */
import { test, after } from 'node:test';
import { freePort } from '../support/child.ts';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.ts';
import { startSdk, type WundrSdk } from '../../src/sdk/start.ts';
import { agentMetrics, recordToolExecution, toolMetrics, wsMetrics } from '../../src/metrics/wundrMetrics.ts';
import { daemonMetrics, recordTokensUsed, metricsRegistry } from '../../src/metrics/daemonMetrics.ts';
import { MetricsCollector } from '../../src/metrics/MetricsCollector.ts';

let sdk: WundrSdk | undefined;
after(async () => {
  await sdk?.shutdown();
});

test('METRICS_ENABLED=false: no provider, no /metrics, recorders record nothing', async () => {
  const { config } = loadConfig({
    METRICS_ENABLED: 'false',
    METRICS_PORT: String(await freePort()),
    METRICS_HOST: '127.0.0.1',
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
  });
  assert.equal(config.metrics.enabled, false);
  agentMetrics.spawned.inc({ orchestrator_id: 'before', session_type: 's' });
  sdk = startSdk(config, { httpInstrumentation: false, endpoint: true });
  await sdk.ready;
  assert.equal(sdk.meterProvider, undefined);
  assert.equal(agentMetrics.spawned.cells.size, 0, 'early values are dropped');
  for (let i = 0; i < 1000; i++) recordToolExecution(`t${i}`, 'success', 0.1);
  wsMetrics.connectionsActive.inc();
  assert.equal(toolMetrics.executionTotal.cells.size, 0);
  assert.equal(toolMetrics.executionDuration.cells.size, 0);
  assert.equal(wsMetrics.connectionsActive.get(), 0);
  recordTokensUsed({ orchestrator_id: 'o', model: 'm' }, 5);
  const c = new MetricsCollector(metricsRegistry, { enableBatching: false });
  c.recordSessionStart('o', 'claude-code');
  c.close();
  assert.equal((await daemonMetrics.tokensUsed.get()).values.length, 0);
  assert.equal((await daemonMetrics.sessionsActive.get()).values.length, 0);
  const res = await fetch(`http://127.0.0.1:${sdk.endpoint!.port}/metrics`);
  assert.equal(res.status, 404);
  await res.text();
});
