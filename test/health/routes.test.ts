import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EndpointServer } from '../../src/endpoint/EndpointServer.ts';
import { HealthChecker } from '../../src/health/HealthChecker.ts';
import { healthRoutes } from '../../src/health/routes.ts';
import { logLevelRoutes, adaptLogLevelRegistry, type LogLevelControl } from '../../src/health/logLevelRoutes.ts';

async function serve(checker: HealthChecker, control?: LogLevelControl, tokens: { token?: string; adminToken?: string } = {}) {
  const server = new EndpointServer({ host: '127.0.0.1', port: 0, ...tokens });
  for (const r of [...healthRoutes(checker), ...logLevelRoutes(() => control)]) server.addRoute(r);
  assert.equal(await server.start(), true);
  const base = `http://127.0.0.1:${server.port}`;
  return { server, base };
}

function fakeLevels(): LogLevelControl & { state: { global: string; comps: Map<string, string> } } {
  const state = { global: 'info', comps: new Map<string, string>() };
  // Shaped like a registry object; adapted the way the feature adapts the real one.
  const reg = {
    getGlobalLevel: () => state.global,
    setGlobalLevel: (l: string) => void (state.global = l),
    getComponentLevels: () => Object.fromEntries(state.comps),
    setComponentLevel: (c: string, l: string) => void state.comps.set(c, l),
    clearComponentLevel: (c: string) => void state.comps.delete(c),
    reset: () => {
      state.global = 'info';
      state.comps.clear();
    },
  };
  return Object.assign(adaptLogLevelRegistry(reg), { state });
}

test('/health answers 200 healthy/degraded and 503 unhealthy with the seed body', async (t) => {
  const h = new HealthChecker({ cacheMs: 0 });
  let status: 'healthy' | 'degraded' | 'unhealthy' = 'healthy';
  h.register('database', () => status);
  const { server, base } = await serve(h);
  t.after(() => server.stop());
  for (const [s, code] of [['healthy', 200], ['degraded', 200], ['unhealthy', 503]] as const) {
    status = s;
    const res = await fetch(`${base}/health`);
    assert.equal(res.status, code, s);
    const body = (await res.json()) as Record<string, any>;
    assert.equal(body.status, s);
    assert.deepEqual(Object.keys(body).sort(), ['checks', 'components', 'metrics', 'status', 'timestamp', 'uptime', 'version']);
    assert.deepEqual(Object.keys(body.metrics).sort(), ['activeSessions', 'cpuUsagePercent', 'memoryHeapUsedMB', 'memoryUsageMB', 'queuedTasks', 'uptimeSeconds']);
    assert.equal(body.checks.database, s !== 'unhealthy');
  }
});

test('a hung check cannot hang /health; concurrent requests share one run', async (t) => {
  // The run lasts the timeout: wide enough for ten fresh connections on a loaded machine.
  const h = new HealthChecker({ cacheMs: 0, timeoutMs: 1000 });
  let calls = 0;
  h.register('redis', () => {
    calls++;
    return new Promise(() => {});
  });
  const { server, base } = await serve(h);
  t.after(() => server.stop());
  const responses = await Promise.all(Array.from({ length: 10 }, () => fetch(`${base}/health`, { signal: AbortSignal.timeout(5000) })));
  assert.ok(responses.every((r) => r.status === 503));
  assert.equal(calls, 1);
  assert.equal(h.runs, 1, 'ten concurrent requests, one run');
});

test('/ready: 503 until setReady(true), 200 after, 503 again while unhealthy; /live always 200 without token', async (t) => {
  const h = new HealthChecker({ cacheMs: 0 });
  let ok = true;
  h.register('database', () => ok);
  const { server, base } = await serve(h, undefined, { token: 's3cret' });
  t.after(() => server.stop());
  const auth = { headers: { Authorization: 'Bearer s3cret' } };
  assert.equal((await fetch(`${base}/ready`, auth)).status, 503);
  h.setReady(true);
  assert.equal((await fetch(`${base}/ready`, auth)).status, 200);
  ok = false;
  const r = await fetch(`${base}/ready`, auth);
  assert.equal(r.status, 503);
  assert.match(((await r.json()) as { message: string }).message, /database/);
  assert.equal((await fetch(`${base}/health`)).status, 401, 'the endpoint token guards /health');
  const live = await fetch(`${base}/live`);
  assert.equal(live.status, 200);
  assert.equal(((await live.json()) as { alive: boolean }).alive, true);
});

test('HEALTH_CHECK_ENABLED=false: /health is not served and no check runs; /ready follows setReady', async (t) => {
  const h = new HealthChecker({ enabled: false, cacheMs: 0 });
  let calls = 0;
  h.register('database', () => {
    calls++;
    return false;
  });
  const { server, base } = await serve(h);
  t.after(() => server.stop());
  assert.equal((await fetch(`${base}/health`)).status, 404);
  assert.equal((await fetch(`${base}/ready`)).status, 503);
  h.setReady(true);
  assert.equal((await fetch(`${base}/ready`)).status, 200);
  assert.equal(calls, 0);
});

test('/loglevel GET and POST: global and component levels, reset, 400 on bad input, admin token', async (t) => {
  const h = new HealthChecker();
  const levels = fakeLevels();
  const { server, base } = await serve(h, levels, { adminToken: 'adm' });
  t.after(() => server.stop());
  const get = await fetch(`${base}/loglevel`);
  assert.equal(get.status, 200);
  assert.deepEqual(await get.json(), { globalLevel: 'info', componentLevels: {}, validLevels: ['debug', 'info', 'warn', 'error'] });

  const post = (body: string, token = 'adm') =>
    fetch(`${base}/loglevel`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` } });

  assert.equal((await post('{"level":"debug"}', 'wrong')).status, 401);
  assert.equal(levels.state.global, 'info', 'an unauthorized POST changes nothing');
  let r = await post('{"level":"DEBUG"}');
  assert.equal(r.status, 200);
  assert.equal(levels.state.global, 'debug');
  r = await post('{"level":"warn","component":"SessionExecutor"}');
  assert.deepEqual(((await r.json()) as { componentLevels: unknown }).componentLevels, { SessionExecutor: 'warn' });
  r = await post('{"component":"SessionExecutor","reset":true}');
  assert.equal(r.status, 200);
  assert.equal(levels.state.comps.size, 0);
  await post('{"level":"error","component":"A"}');
  r = await post('{"reset":true}');
  assert.equal(r.status, 200);
  assert.equal(levels.state.global, 'info');
  assert.equal(levels.state.comps.size, 0);

  for (const bad of ['not json', '[]', '{"level":"verbose"}', '{}', '{"level":"info","extra":1}', '{"level":"info","component":"a b"}', '{"reset":"yes"}', '{"level":"info","reset":true}', 'x'.repeat(5000)]) {
    const res = await post(bad);
    assert.equal(res.status, 400, bad.slice(0, 30));
    assert.equal(typeof ((await res.json()) as { error: string }).error, 'string');
  }
  assert.equal(levels.state.global, 'info');
});

test('/loglevel without a logging part answers 503, not a crash', async (t) => {
  const { server, base } = await serve(new HealthChecker());
  t.after(() => server.stop());
  assert.equal((await fetch(`${base}/loglevel`)).status, 503);
});

test('the adapter works with the logging part\'s real LogLevelRegistry', async () => {
  const { LogLevelRegistry } = await import('../../src/logging/LogLevelRegistry.ts');
  const reg = new LogLevelRegistry();
  const c = adaptLogLevelRegistry(reg);
  c.setComponentLevel('SessionExecutor', 'debug');
  c.setGlobalLevel('warn');
  assert.deepEqual(c.getComponentLevels(), { SessionExecutor: 'debug' });
  assert.equal(c.getGlobalLevel(), 'warn');
  assert.equal(reg.getEffectiveLevel('SessionExecutor'), 'debug');
  c.clearComponentLevel('SessionExecutor');
  assert.deepEqual(c.getComponentLevels(), {});
  c.reset();
  assert.equal(c.getGlobalLevel(), 'info');
});
