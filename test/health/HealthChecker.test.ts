import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthChecker, createProbe, createSubsystemProbe, healthStatusToHttpCode } from '../../src/health/HealthChecker.ts';
import { StaticMetricSource } from '../../src/metrics/MetricSnapshot.ts';

const never = () => new Promise<boolean>(() => {});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('all five core components are always present; unmonitored ones say so', async () => {
  const h = new HealthChecker({ cacheMs: 0 });
  const r = await h.check();
  assert.equal(r.status, 'healthy');
  for (const n of ['websocket', 'sessionManager', 'memoryManager', 'llmClient', 'mcpRegistry']) {
    assert.equal(r.components[n]!.status, 'healthy');
    assert.equal(r.components[n]!.message, 'no check registered');
  }
  assert.equal(r.components.redis, undefined);
  assert.deepEqual(r.checks, { redis: true, database: true, federationRegistry: true });
  assert.match(r.timestamp, /^\d{4}-\d\d-\d\dT/);
  assert.equal(typeof r.uptime, 'number');
});

test('a hung check is bounded by its timeout and is not called again while still pending', async () => {
  let calls = 0;
  const h = new HealthChecker({ cacheMs: 0, timeoutMs: 5000 });
  h.register('redis', () => {
    calls++;
    return never();
  }, { timeoutMs: 50 });
  const t0 = Date.now();
  const r1 = await h.check();
  assert.ok(Date.now() - t0 < 2000, 'the per-component timeout (50 ms) bounds the run, not the global 5000 ms');
  assert.equal(r1.components.redis!.status, 'unhealthy');
  assert.match(r1.components.redis!.message!, /timed out after 50 ms/);
  assert.equal(r1.status, 'unhealthy', 'redis is critical by default');
  assert.equal(r1.checks.redis, false);
  const r2 = await h.check();
  assert.match(r2.components.redis!.message!, /still running after \d+ ms/);
  assert.equal(calls, 1, 'hung calls do not pile up');
});

test('a check that throws (sync or async) is unhealthy with the error message', async () => {
  const h = new HealthChecker({ cacheMs: 0 });
  h.register('database', () => {
    throw new Error('ECONNREFUSED');
  });
  h.register('federation', async () => {
    throw new Error('no peers');
  }, { critical: false });
  const r = await h.check();
  assert.equal(r.components.database!.status, 'unhealthy');
  assert.match(r.components.database!.message!, /ECONNREFUSED/);
  assert.match(r.components.federation!.message!, /no peers/);
  assert.equal(r.checks.database, false);
  assert.equal(r.checks.federationRegistry, false);
  assert.equal(r.status, 'unhealthy');
});

test('aggregation: degraded anywhere -> degraded; unhealthy non-critical -> degraded; unhealthy critical -> unhealthy', async () => {
  const h = new HealthChecker({ cacheMs: 0 });
  h.register('llmClient', () => ({ status: 'degraded', message: 'no API key', metadata: { provider: 'openai' } }));
  let r = await h.check();
  assert.equal(r.status, 'degraded');
  assert.equal(r.components.llmClient!.message, 'no API key');
  assert.deepEqual(r.components.llmClient!.metadata, { provider: 'openai' });
  assert.equal(healthStatusToHttpCode(r.status), 200);

  h.register('federation', () => false, { critical: false });
  r = await h.check();
  assert.equal(r.components.federation!.status, 'unhealthy');
  assert.equal(r.status, 'degraded');

  h.register('database', () => 'unhealthy');
  r = await h.check();
  assert.equal(r.status, 'unhealthy');
  assert.equal(healthStatusToHttpCode(r.status), 503);
});

test('timeoutStatus lets a slow dependency count as degraded', async () => {
  const h = new HealthChecker({ cacheMs: 0 });
  h.register('redis', never, { timeoutMs: 20, timeoutStatus: 'degraded' });
  const r = await h.check();
  assert.equal(r.components.redis!.status, 'degraded');
  assert.equal(r.status, 'degraded');
});

test('concurrent callers share one run; the cache reuses it for cacheMs', async () => {
  let calls = 0;
  const h = new HealthChecker({ cacheMs: 0 });
  h.register('websocket', async () => {
    calls++;
    await sleep(30);
    return true;
  });
  const all = await Promise.all(Array.from({ length: 20 }, () => h.check()));
  assert.equal(calls, 1);
  assert.equal(h.runs, 1);
  assert.ok(all.every((r) => r === all[0]));
  await h.check();
  assert.equal(calls, 2, 'with cacheMs 0 a later request runs again');

  const cached = new HealthChecker({ cacheMs: 60_000 });
  let c2 = 0;
  cached.register('websocket', () => {
    c2++;
    return true;
  });
  await cached.check();
  await cached.check();
  assert.equal(c2, 1);
});

test('definition-time misuse throws precise messages', () => {
  const h = new HealthChecker();
  h.register('redis', () => true);
  assert.throws(() => h.register('redis', () => true), /"redis" is already registered/);
  assert.throws(() => h.register('bad name!', () => true), /component name must match/);
  assert.throws(() => h.register('x', 42 as never), /must be a function/);
  assert.throws(() => h.register('y', () => true, { timeoutMs: -1 }), /timeoutMs of "y" must be a positive number/);
  assert.throws(() => new HealthChecker({ timeoutMs: 0 }), /timeoutMs must be a positive number/);
  assert.throws(() => h.setStatusProvider(42 as never), /status provider/);
});

test('daemon getStatus() subsystems become components (seed §6.2); a registered check wins', async () => {
  const h = new HealthChecker({ cacheMs: 0 });
  const daemon = {
    getStatus: () => ({
      status: 'running' as const,
      activeSessions: 3,
      queuedTasks: 7,
      subsystems: {
        websocket: { status: 'running' as const, lastCheck: new Date('2026-01-01T00:00:00Z') },
        llmClient: { status: 'degraded' as const, lastCheck: new Date(), errors: ['OPENAI_API_KEY missing'] },
        hookEngine: { status: 'error' as const, lastCheck: new Date() },
        mcpRegistry: { status: 'error' as const, lastCheck: new Date() },
      },
    }),
  };
  h.setStatusProvider(daemon);
  let r = await h.check();
  assert.equal(r.components.websocket!.lastCheck, '2026-01-01T00:00:00.000Z');
  assert.equal(r.components.llmClient!.status, 'degraded');
  assert.equal(r.components.llmClient!.message, 'OPENAI_API_KEY missing');
  assert.equal(r.components.hookEngine!.status, 'unhealthy');
  assert.equal(r.components.mcpRegistry!.status, 'unhealthy');
  assert.equal(r.status, 'unhealthy', 'mcpRegistry is a core (critical) component');
  assert.equal(r.metrics.activeSessions, 3, 'without metric data the daemon figure is used');
  assert.equal(r.metrics.queuedTasks, 7);

  h.register('mcpRegistry', () => true);
  r = await h.check();
  assert.equal(r.components.mcpRegistry!.status, 'healthy');
  assert.equal(r.status, 'degraded', 'hookEngine (non-core) error only degrades; llmClient degraded');
});

test('a hung or throwing status provider degrades, never hangs', async () => {
  const h = new HealthChecker({ cacheMs: 0, timeoutMs: 40 });
  h.setStatusProvider(() => new Promise(() => {}));
  let r = await h.check();
  assert.equal(r.components.daemon!.status, 'degraded');
  assert.match(r.components.daemon!.message!, /did not answer within 40 ms/);
  h.setStatusProvider(() => {
    throw new Error('boom');
  });
  r = await h.check();
  assert.match(r.components.daemon!.message!, /boom/);
});

test('metrics block is read from the catalogue series (queuedTasks = sum of wundr_queue_depth)', async () => {
  const src = new StaticMetricSource()
    .set('wundr_queue_depth', 40, { queue_name: 'tasks' })
    .set('wundr_queue_depth', 2, { queue_name: 'tools' })
    .set('wundr_agent_running', 5, { orchestrator_id: 'o', session_type: 'claude-code' })
    .set('wundr_process_memory_rss_bytes', 256 * 1024 * 1024)
    .set('wundr_process_memory_heap_bytes', 64 * 1024 * 1024)
    .set('wundr_process_uptime_seconds', 123.4)
    .set('wundr_process_cpu_user_seconds_total', 1)
    .set('wundr_process_cpu_system_seconds_total', 1);
  const h = new HealthChecker({ cacheMs: 0, metricSource: src });
  h.setStatusProvider(() => ({ queuedTasks: 999, activeSessions: 999 }));
  const r = await h.check();
  assert.equal(r.metrics.queuedTasks, 42);
  assert.equal(r.metrics.activeSessions, 5);
  assert.equal(r.metrics.memoryUsageMB, 256);
  assert.equal(r.metrics.memoryHeapUsedMB, 64);
  assert.equal(r.metrics.uptimeSeconds, 123);
  assert.ok(r.metrics.cpuUsagePercent >= 0);
});

test('readiness: 503-state until setReady(true), and while unhealthy', async () => {
  const h = new HealthChecker({ cacheMs: 0 });
  let ok = true;
  h.register('database', () => ok);
  assert.equal((await h.readiness()).ready, false);
  h.setReady(true);
  assert.equal((await h.readiness()).ready, true);
  ok = false;
  const r = await h.readiness();
  assert.equal(r.ready, false);
  assert.match(r.message, /unhealthy: database/);
});

test('old probe helpers', async () => {
  const h = new HealthChecker({ cacheMs: 0 });
  h.registerProbe(createProbe('redis', async () => true, 100));
  h.registerProbe(createSubsystemProbe('sessionManager', () => ({ status: 'degraded', errors: 'slow' })));
  const r = await h.check();
  assert.equal(r.components.redis!.status, 'healthy');
  assert.equal(r.components.sessionManager!.status, 'degraded');
  assert.equal(r.components.sessionManager!.message, 'slow');
  assert.equal(h.removeProbe('redis'), true);
  assert.deepEqual(h.components(), ['sessionManager']);
});

test('a metric source that never answers cannot hold /health: process figures are used', async () => {
  const h = new HealthChecker({ cacheMs: 0, metricSource: { collect: () => new Promise(() => {}) } });
  const t0 = Date.now();
  const r = await h.check();
  assert.ok(Date.now() - t0 < 4000);
  assert.ok(r.metrics.memoryUsageMB > 1, 'RSS from process.memoryUsage()');
  assert.equal(r.metrics.queuedTasks, 0);
});
