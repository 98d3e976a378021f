/** Black box: the preload serves health, readiness, alerts and log levels for a real app. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runChild, freePort, request, eventually, ROOT } from '../support/child.ts';

const APP = join(ROOT, 'test', 'health', 'fixtures', 'daemon.cjs');

function start(env: Record<string, string>, port: number) {
  return runChild({
    args: ['--require', '@wundr/otel/register', APP],
    env: {
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: String(port),
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      LOG_FORMAT: 'json',
      ALERTING_EVALUATION_INTERVAL: '1',
      ...env,
    },
  });
}

test('preloaded app: /health, /ready, /live, /alerts and /loglevel', async (t) => {
  const port = await freePort();
  const child = start({ REDIS_OK: '0', WUNDR_OTEL_ADMIN_TOKEN: 'adm' }, port);
  t.after(() => child.kill('SIGKILL'));
  await child.waitForOutput(/daemon ready/);

  const h = await request(port, '/health');
  assert.equal(h.status, 503, 'redis (critical) is down');
  const body = JSON.parse(h.body);
  assert.equal(body.status, 'unhealthy');
  assert.equal(body.components.redis.status, 'unhealthy');
  assert.equal(body.components.llmClient.status, 'degraded');
  assert.equal(body.components.llmClient.message, 'no key');
  assert.equal(body.metrics.queuedTasks, 150, 'backed by wundr_queue_depth');
  assert.equal(body.checks.redis, false);

  assert.equal((await request(port, '/ready')).status, 503, 'ready but unhealthy');
  assert.equal((await request(port, '/live')).status, 200);

  const alerts = await eventually(async () => {
    const r = JSON.parse((await request(port, '/alerts')).body);
    const q = r.activeAlerts.find((a: { rule: string }) => a.rule === 'QueueBacklog');
    if (!q) throw new Error('QueueBacklog not active yet');
    return r;
  });
  assert.equal(alerts.enabled, true);
  assert.equal(alerts.activeAlerts.find((a: { rule: string }) => a.rule === 'QueueBacklog').state, 'pending');

  assert.equal((await request(port, '/loglevel', { method: 'POST', body: '{"level":"debug"}' })).status, 401);
  const set = await request(port, '/loglevel', { method: 'POST', body: '{"level":"debug","component":"SessionExecutor"}', headers: { Authorization: 'Bearer adm', 'Content-Type': 'application/json' } });
  assert.equal(set.status, 200);
  assert.deepEqual(JSON.parse(set.body).componentLevels, { SessionExecutor: 'debug' });
  assert.equal((await request(port, '/loglevel', { method: 'POST', body: '{"level":"chatty"}', headers: { Authorization: 'Bearer adm', 'Content-Type': 'application/json' } })).status, 400);

  child.kill('SIGTERM');
  const { ms } = await child.exited(10000);
  assert.ok(ms < 60000);
});

test('preloaded app with HEALTH_CHECK_ENABLED=false and ALERTING_ENABLED=false', async (t) => {
  const port = await freePort();
  const child = start({ REDIS_OK: '1', HEALTH_CHECK_ENABLED: 'false', ALERTING_ENABLED: 'false' }, port);
  t.after(() => child.kill('SIGKILL'));
  await child.waitForOutput(/daemon ready/);
  assert.equal((await request(port, '/health')).status, 404);
  assert.equal((await request(port, '/ready')).status, 200, 'follows setReady alone');
  const alerts = JSON.parse((await request(port, '/alerts')).body);
  assert.equal(alerts.enabled, false);
  assert.deepEqual(alerts.activeAlerts, []);
  child.kill('SIGTERM');
  await child.exited(10000);
});
