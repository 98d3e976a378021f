/**
 * The endpoint's defaults against a browser page and a network neighbour:
 * CORS allows reads only, state changes need a JSON content type and (without
 * an admin token) a loopback caller, the two tokens are told apart, the
 * per-component level table is bounded, every answer carries X-Trace-Id and
 * the endpoint's span names come from its route table.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import { EndpointServer, isLoopbackAddress } from '../../src/endpoint/EndpointServer.ts';
import { HealthChecker } from '../../src/health/HealthChecker.ts';
import { healthRoutes } from '../../src/health/routes.ts';
import { logLevelRoutes, adaptLogLevelRegistry, MAX_COMPONENT_LEVELS, type LogLevelControl } from '../../src/health/logLevelRoutes.ts';
import { MetricsServer } from '../../src/health/MetricsServer.ts';
import { setupTracing } from '../tracing/harness.ts';
import { send } from './support.ts';

function fakeLevels(): LogLevelControl & { comps: Map<string, string>; global(): string } {
  let global = 'info';
  const comps = new Map<string, string>();
  const reg = {
    getGlobalLevel: () => global,
    setGlobalLevel: (l: string) => void (global = l),
    getComponentLevels: () => Object.fromEntries(comps),
    setComponentLevel: (c: string, l: string) => void comps.set(c, l),
    clearComponentLevel: (c: string) => void comps.delete(c),
    reset: () => {
      global = 'info';
      comps.clear();
    },
  };
  return Object.assign(adaptLogLevelRegistry(reg), { comps, global: () => global });
}

const servers: { stop(): Promise<void> }[] = [];
after(() => Promise.all(servers.map((s) => s.stop())));

async function serve(opts: { token?: string; adminToken?: string; cors?: boolean } = {}) {
  const levels = fakeLevels();
  const server = new EndpointServer({ host: '127.0.0.1', port: 0, ...opts });
  for (const r of [...healthRoutes(new HealthChecker()), ...logLevelRoutes(() => levels)]) server.addRoute(r);
  assert.equal(await server.start(), true);
  servers.push(server);
  return { server, port: server.port!, levels };
}

const JSON_CT = { 'Content-Type': 'application/json' };

// First in the file: no tracer provider is registered yet (tracing off).
test('every answer carries X-Trace-Id, with tracing off too', async () => {
  assert.equal(trace.getTracerProvider().getTracer('x').startSpan('probe').spanContext().traceId, '0'.repeat(32), 'no provider yet');
  const { port } = await serve({ token: 'tok' });
  const cases: [string, string, Record<string, string>, string?][] = [
    ['GET', '/health', { Authorization: 'Bearer tok' }],
    ['GET', '/health', {}],
    ['GET', '/nope', {}],
    ['DELETE', '/health', {}],
    ['OPTIONS', '/loglevel', {}],
    ['POST', '/loglevel', { Authorization: 'Bearer tok' }, '{"level":"debug"}'],
    ['HEAD', '/live', {}],
  ];
  const seen = new Set<string>();
  for (const [m, p, h, b] of cases) {
    const r = await send(port, m, p, h, b);
    const id = r.headers['x-trace-id'];
    assert.match(String(id), /^[0-9a-f]{32}$/, `${m} ${p} -> ${r.status}`);
    assert.notEqual(id, '0'.repeat(32));
    seen.add(String(id));
  }
  assert.equal(seen.size, cases.length, 'one id per answer');
});

test('CORS: preflights allow GET and OPTIONS only; reads carry Allow-Origin, state changes never do', async () => {
  const { port, levels } = await serve();
  const pre = await send(port, 'OPTIONS', '/loglevel', { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers['access-control-allow-methods'], 'GET, OPTIONS');
  assert.ok(!/POST/.test(String(pre.headers['access-control-allow-headers'])));
  assert.ok(!/content-type/i.test(String(pre.headers['access-control-allow-headers'])), 'no page may send a JSON body');
  const get = await send(port, 'GET', '/loglevel', { Origin: 'http://evil.example' });
  assert.equal(get.status, 200);
  assert.equal(get.headers['access-control-allow-origin'], '*');
  const post = await send(port, 'POST', '/loglevel', { ...JSON_CT, Origin: 'http://evil.example' }, '{"level":"warn"}');
  assert.equal(post.status, 200, 'a loopback client with JSON may change the level');
  assert.equal(post.headers['access-control-allow-origin'], undefined, 'a page cannot read the answer of a POST');
  assert.equal(levels.global(), 'warn');
});

test('cors: false (and MetricsServer enableCors: false): no Access-Control-* header on any answer', async () => {
  const { port } = await serve({ cors: false });
  const ms = new MetricsServer({ metrics: () => 'x_total 1\n' }, { host: '127.0.0.1', port: 0, enableCors: false });
  await ms.start();
  servers.push(ms);
  const withCors = new MetricsServer({ metrics: () => 'x_total 1\n' }, { host: '127.0.0.1', port: 0 });
  await withCors.start();
  servers.push(withCors);
  for (const p of [port, ms.port!]) {
    for (const [m, path] of [['GET', '/live'], ['GET', '/health'], ['OPTIONS', '/health'], ['GET', '/nope']]) {
      const r = await send(p, m!, path!);
      const acc = Object.keys(r.headers).filter((k) => k.startsWith('access-control-'));
      assert.deepEqual(acc, [], `${m} ${path} on ${p === port ? 'EndpointServer' : 'MetricsServer'}`);
    }
  }
  assert.equal((await send(withCors.port!, 'GET', '/metrics')).headers['access-control-allow-origin'], '*', 'the default keeps CORS for reads');
});

test('state-changing routes need Content-Type: application/json (415 otherwise, nothing changed)', async () => {
  const { port, levels } = await serve();
  for (const ct of [undefined, 'text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', 'application/json-seq']) {
    const r = await send(port, 'POST', '/loglevel', ct ? { 'Content-Type': ct } : {}, '{"level":"debug"}');
    assert.equal(r.status, 415, String(ct));
    assert.match(JSON.parse(r.body).error, /application\/json/);
  }
  assert.equal(levels.global(), 'info');
  for (const ct of ['application/json', 'Application/JSON; charset=utf-8']) {
    assert.equal((await send(port, 'POST', '/loglevel', { 'Content-Type': ct }, '{"level":"debug"}')).status, 200, ct);
  }
  assert.equal(levels.global(), 'debug');
});

test('endpoint and admin tokens differ: admin works on POST and GET, the read-only token on GET only', async () => {
  const { port, levels } = await serve({ token: 'reader-token', adminToken: 'admin-token' });
  const post = (tok?: string) => send(port, 'POST', '/loglevel', { ...JSON_CT, ...(tok ? { Authorization: `Bearer ${tok}` } : {}) }, '{"level":"error"}');
  assert.equal((await post('reader-token')).status, 401, 'read-only token on POST');
  assert.equal((await post()).status, 401, 'no token on POST (loopback does not replace a configured token)');
  assert.equal(levels.global(), 'info');
  assert.equal((await post('admin-token')).status, 200, 'admin token on POST');
  assert.equal(levels.global(), 'error');
  for (const tok of ['reader-token', 'admin-token']) {
    assert.equal((await send(port, 'GET', '/loglevel', { Authorization: `Bearer ${tok}` })).status, 200, `${tok} on GET`);
  }
  assert.equal((await send(port, 'GET', '/loglevel', { Authorization: 'Bearer wrong' })).status, 401);
  assert.equal((await send(port, 'GET', '/loglevel')).status, 401);
});

test('an admin token alone guards POST; reads stay open', async () => {
  const { port } = await serve({ adminToken: 'admin-token' });
  assert.equal((await send(port, 'GET', '/loglevel')).status, 200);
  assert.equal((await send(port, 'POST', '/loglevel', JSON_CT, '{"level":"error"}')).status, 401, 'loopback does not replace a configured admin token');
  assert.equal((await send(port, 'POST', '/loglevel', { ...JSON_CT, Authorization: 'Bearer admin-token' }, '{"level":"error"}')).status, 200);
});

test(`per-component levels are capped at ${MAX_COMPONENT_LEVELS}: 409 past it, existing ones still change, reset frees room`, async () => {
  const { port, levels } = await serve();
  const post = (body: object) => send(port, 'POST', '/loglevel', JSON_CT, JSON.stringify(body));
  for (let i = 0; i < MAX_COMPONENT_LEVELS; i++) assert.equal((await post({ level: 'debug', component: `c${i}` })).status, 200);
  for (let i = 0; i < 20; i++) {
    const r = await post({ level: 'debug', component: `extra${i}` });
    assert.equal(r.status, 409);
    assert.match(JSON.parse(r.body).error, /at most 256/);
  }
  assert.equal(levels.comps.size, MAX_COMPONENT_LEVELS);
  assert.equal((await post({ level: 'warn', component: 'c7' })).status, 200, 'an existing entry may change');
  assert.equal((await post({ component: 'c7', reset: true })).status, 200);
  assert.equal((await post({ level: 'warn', component: 'extra0' })).status, 200, 'room after a reset');
  assert.ok((await send(port, 'GET', '/loglevel')).body.length < 16 * 1024);
});

test('loopback addresses', () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopbackAddress(a), true, a);
  for (const a of [undefined, '', '10.0.0.1', '::ffff:10.0.0.1', '::2', '0.0.0.0', '1127.0.0.1', 'fe80::1']) assert.equal(isLoopbackAddress(a), false, String(a));
});

test('span names come from the route table: GET /health, unknown paths by method, unknown methods as HTTP', async () => {
  const h = setupTracing();
  try {
    const { port } = await serve();
    await send(port, 'GET', '/health');
    await send(port, 'POST', '/loglevel', JSON_CT, '{"level":"info"}');
    for (let i = 0; i < 5; i++) await send(port, 'GET', `/random-${i}?q=${i}`);
    await send(port, 'PROPFIND', '/health');
    await send(port, 'PROPFIND', `/x-${Math.random()}`);
    const names = h.spans().filter((s) => s.attributes['wundr.endpoint']).map((s) => s.name);
    assert.deepEqual(names, ['GET /health', 'POST /loglevel', 'GET', 'GET', 'GET', 'GET', 'GET', 'HTTP', 'HTTP']);
    const other = h.spans().find((s) => s.attributes['http.request.method_original'] === 'PROPFIND');
    assert.equal(other?.attributes['http.request.method'], '_OTHER');
    const health = h.spans().find((s) => s.name === 'GET /health');
    assert.equal(health?.attributes['http.route'], '/health');
    // With a provider the header names the span's trace.
    const r = await send(port, 'GET', '/live');
    assert.equal(r.headers['x-trace-id'], h.spans().at(-1)!.spanContext().traceId);
  } finally {
    await h.close();
  }
});
