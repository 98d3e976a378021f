import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry, Counter } from 'prom-client';
import { createMetricsServer } from '../../src/health/MetricsServer.ts';
import { HealthChecker } from '../../src/health/HealthChecker.ts';
import { AlertManager } from '../../src/alerting/AlertManager.ts';

test('old MetricsServer: /metrics from a prom-client registry, legacy /health aggregation, /ready, /live, /alerts', async (t) => {
  const registry = new Registry();
  new Counter({ name: 'orchestrator_errors_total', help: 'Total number of errors by type', registers: [registry] }).inc(3);
  let redis = true;
  const am = new AlertManager();
  am.addThreshold({ id: 'q', name: 'Queue', metric: 'wundr_queue_depth', operator: 'gt', value: 100, forDurationMs: 0, severity: 'warning', enabled: true });
  am.evaluate('wundr_queue_depth', 150, { queue_name: 'a' });
  const server = createMetricsServer(registry, {
    host: '127.0.0.1',
    port: 0,
    version: '1.0.6',
    healthChecks: { redis: async () => redis, database: async () => new Promise<boolean>(() => {}), federationRegistry: async () => true },
    alertManager: am,
  });
  await server.start();
  t.after(() => server.stop());
  assert.equal(server.isRunning(), true);
  const base = `http://127.0.0.1:${server.port}`;

  assert.match(await (await fetch(`${base}/metrics`)).text(), /orchestrator_errors_total 3/);

  // database hangs: cut at 5 s and counted false -> degraded (200).
  let res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(10000) });
  let body = (await res.json()) as { status: string; version: string; checks: Record<string, boolean> };
  assert.equal(res.status, 200);
  assert.equal(body.status, 'degraded');
  assert.equal(body.version, '1.0.6');
  assert.deepEqual(body.checks, { redis: true, database: false, federationRegistry: true });

  assert.equal((await fetch(`${base}/ready`)).status, 503);
  server.setReady(true);
  assert.equal((await fetch(`${base}/ready`)).status, 200);
  assert.equal((await fetch(`${base}/live`)).status, 200);
  const alerts = (await (await fetch(`${base}/alerts`)).json()) as { summary: { firing: number } };
  assert.equal(alerts.summary.firing, 1);
  assert.equal((await fetch(`${base}/nope`)).status, 404);
  assert.equal((await fetch(`${base}/health`, { method: 'POST' })).status, 405);
  redis = false;
});

test('old MetricsServer with a HealthChecker answers the enhanced response', async (t) => {
  const hc = new HealthChecker({ cacheMs: 0 });
  hc.register('database', () => false);
  const server = createMetricsServer(new Registry(), { host: '127.0.0.1', port: 0, healthChecker: hc });
  await server.start();
  t.after(() => server.stop());
  const res = await fetch(`http://127.0.0.1:${server.port}/health`);
  assert.equal(res.status, 503);
  const body = (await res.json()) as { components: Record<string, unknown> };
  assert.ok(body.components.websocket);
});

test('old AlertManager: pending -> firing after forDurationMs -> resolved', () => {
  const am = new AlertManager();
  const seen: string[] = [];
  for (const s of ['pending', 'firing', 'resolved']) am.on(s, () => seen.push(s));
  am.addThreshold({ id: 'b', name: 'Budget', metric: 'budget', operator: 'gte', value: 90, forDurationMs: 1000, severity: 'critical', enabled: true });
  assert.throws(() => am.addThreshold({ id: 'b', name: 'x', metric: 'm', operator: 'gt', value: 1, forDurationMs: 0, severity: 'info', enabled: true }), /already exists/);
  am.evaluate('budget', 95, {}, 0);
  am.evaluate('budget', 96, {}, 500);
  am.evaluate('budget', 97, {}, 1000);
  am.evaluate('budget', 10, {}, 2000);
  assert.deepEqual(seen, ['pending', 'firing', 'resolved']);
  assert.equal(am.getResolvedAlerts()[0]!.value, 97);
  assert.equal(am.getSummary().resolved, 1);
});
