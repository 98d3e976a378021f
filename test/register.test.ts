/**
 * The preload as a black box: real child processes started with
 * `--require @wundr/otel/register` (CommonJS app) and `--import` (ESM app),
 * a real OTLP/HTTP receiver, real HTTP requests.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { startOtlpReceiver, type OtlpReceiver } from './support/otlpReceiver.ts';
import { FIXTURES, freePort, request, runChild, eventually, startPreloadedApp, type Child, type PreloadedApp } from './support/child.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT}-01`;

let receiver: OtlpReceiver;
const children: Child[] = [];
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await receiver?.close();
});

async function start(flag: '--require' | '--import', app: string, env: Record<string, string> = {}): Promise<PreloadedApp> {
  receiver ??= await startOtlpReceiver();
  const started = await startPreloadedApp(flag, app, receiver.url, env);
  children.push(started.child);
  return started;
}

for (const [flag, app, protocol] of [
  ['--require', 'app.cjs', 'http/protobuf'],
  ['--import', 'app.mjs', 'http/json'],
] as const) {
  test(`${flag} ${app}: server span with the incoming trace id reaches the OTLP receiver (${protocol})`, async () => {
    const { child, appPort, metricsPort } = await start(flag, app, { OTEL_EXPORTER_OTLP_PROTOCOL: protocol });
    const res = await request(appPort, '/', { headers: { traceparent: TRACEPARENT } });
    assert.equal(res.status, 200);
    await receiver.waitFor(
      () => receiver.spans().some((s) => s.traceId === TRACE_ID && s.kind === 2 && s.resource['process.pid'] === child.proc.pid),
      15000,
      `the server span of ${app}`,
    );
    const span = receiver.spans().find((s) => s.traceId === TRACE_ID && s.resource['process.pid'] === child.proc.pid)!;
    assert.equal(span.parentSpanId, PARENT, 'the incoming traceparent is the parent');
    // Made from Node's diagnostics_channel events (src/sdk/httpServerSpans.ts).
    assert.equal(span.scope.name, '@wundr/otel/http');
    assert.equal(span.attributes['http.request.method'], 'GET');
    assert.equal(span.attributes['http.response.status_code'], 200);
    assert.equal(span.resource['service.name'], 'wundr-orchestrator');
    assert.match(String(span.resource['service.instance.id']), /^[0-9a-f-]{36}$/);
    assert.ok(receiver.requests().some((r) => r.signal === 'traces' && r.contentType.includes(protocol === 'http/json' ? 'json' : 'protobuf')));

    // The endpoint answers on the same process, with X-Trace-Id.
    const metrics = await request(metricsPort, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(String(metrics.headers['content-type']), /text\/plain/);
    assert.match(metrics.body, /# TYPE target_info gauge/);
    assert.match(String(metrics.headers['x-trace-id']), /^[0-9a-f]{32}$/);

    const health = await request(metricsPort, '/health', { headers: { traceparent: TRACEPARENT } });
    assert.ok(health.status === 200 || health.status === 503, `health status ${health.status}`);
    assert.equal(health.headers['x-trace-id'], TRACE_ID, 'X-Trace-Id continues an incoming trace');
    const body = JSON.parse(health.body) as { status: string };
    assert.ok(['healthy', 'degraded', 'unhealthy'].includes(body.status));
    const ready = await request(metricsPort, '/ready');
    assert.ok(ready.status === 200 || ready.status === 503);
    assert.equal((await request(metricsPort, '/nope')).status, 404);
    child.kill('SIGTERM');
    await child.exited();
  });
}

test('SIGTERM: spans still in the batch reach the receiver before exit, and the process ends by the signal', async () => {
  const { child, appPort } = await start('--require', 'app.cjs', {
    // Far longer than the test: only the shutdown flush can deliver them.
    OTEL_BSP_SCHEDULE_DELAY: '600000',
    OTEL_SERVICE_NAME: 'sigterm-flush',
  });
  const n = 250;
  assert.equal((await request(appPort, `/spans?n=${n}`)).body, String(n));
  child.kill('SIGTERM');
  const { signal, ms } = await child.exited();
  assert.equal(signal, 'SIGTERM', 'the signal is re-raised: the process ends as it would have without the preload');
  assert.ok(ms < 20000);
  const mine = receiver.spans().filter((s) => s.resource['service.name'] === 'sigterm-flush' && s.name.startsWith('manual-'));
  assert.equal(mine.length, n, 'every ended span was exported on SIGTERM');
});

test('a host with its own SIGTERM handler keeps control: its exit code stands and its last span is exported', async () => {
  const { child } = await start('--require', 'own-sigterm.cjs', { OTEL_BSP_SCHEDULE_DELAY: '600000', OTEL_SERVICE_NAME: 'own-sigterm' });
  child.kill('SIGTERM');
  const { code } = await child.exited();
  assert.equal(code, 7);
  assert.match(child.stdout(), /host got SIGTERM/);
  assert.ok(
    receiver.spans().some((s) => s.resource['service.name'] === 'own-sigterm' && s.name === 'after-sigterm'),
    'the span ended in the host handler was flushed at beforeExit',
  );
});

test('a finished program exits at once with the preload (nothing is kept alive)', async () => {
  const port = await freePort();
  const child = runChild({
    args: ['--require', '@wundr/otel/register', path.join(FIXTURES, 'idle.cjs')],
    env: { METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' },
  });
  const { code, ms } = await child.exited(15000);
  assert.equal(code, 0);
  assert.match(child.stdout(), /idle done/);
  assert.ok(ms < 10000, `exited after ${ms} ms`);
});

test('bad configuration and a port in use: clear warnings, the app runs on', async () => {
  const busy = await freePort();
  const blocker = (await import('node:net')).createServer().listen(busy, '127.0.0.1');
  try {
    const child = runChild({
      args: ['--require', '@wundr/otel/register', path.join(FIXTURES, 'app.cjs')],
      env: {
        METRICS_PORT: String(busy),
        METRICS_HOST: '127.0.0.1',
        TRACING_SAMPLE_RATE: 'lots',
        LOG_FORMAT: 'xml',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      },
    });
    children.push(child);
    const m = await child.waitForOutput(/listening (\d+)/);
    const res = await request(Number(m[1]), '/');
    assert.equal(res.body, 'ok');
    await eventually(async () => assert.match(child.stderr(), /could not listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/));
    assert.match(child.stderr(), /TRACING_SAMPLE_RATE="lots" is not a number from 0 to 1; using 1/);
    assert.match(child.stderr(), /LOG_FORMAT="xml" is not one of json\|text; using "json"/);
    child.kill('SIGTERM');
    await child.exited();
  } finally {
    blocker.close();
  }
});

test('OTEL_SDK_DISABLED=true: nothing starts, the app is untouched', async () => {
  const port = await freePort();
  const child = runChild({
    args: ['--require', '@wundr/otel/register', path.join(FIXTURES, 'app.cjs')],
    env: { OTEL_SDK_DISABLED: 'true', METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1' },
  });
  children.push(child);
  await child.waitForOutput(/listening (\d+)/);
  await assert.rejects(request(port, '/metrics', { timeoutMs: 1000 }), /ECONNREFUSED/);
  child.kill('SIGTERM');
  await child.exited();
});

test('propagation works with export off: a middle service passes the trace on', async () => {
  const downstream = await start('--require', 'app.cjs', { OTEL_SERVICE_NAME: 'downstream' });
  const middle = await start('--require', 'app.cjs', {
    OTEL_SERVICE_NAME: 'middle',
    OTEL_TRACES_EXPORTER: 'none',
    TRACING_ENABLED: 'false',
    DOWNSTREAM_URL: `http://127.0.0.1:${downstream.appPort}/`,
  });
  const traceId = 'aaaabbbbccccddddeeeeffff00001111';
  await request(middle.appPort, '/call', { headers: { traceparent: `00-${traceId}-1111222233334444-01` } });
  await receiver.waitFor(
    () => receiver.spans().some((s) => s.traceId === traceId && s.resource['service.name'] === 'downstream'),
    15000,
    'the downstream span in the caller trace',
  );
  assert.ok(!receiver.spans().some((s) => s.resource['service.name'] === 'middle'), 'the middle service exported nothing');
  for (const c of [downstream.child, middle.child]) {
    c.kill('SIGTERM');
    await c.exited();
  }
});

test('--require with an ESM entry installs the ESM hooks: app.mjs gets its server span', async () => {
  const { child, appPort } = await start('--require', 'app.mjs', { OTEL_SERVICE_NAME: 'require-esm' });
  const traceId = '0123456789abcdef0123456789abcdef';
  await request(appPort, '/', { headers: { traceparent: `00-${traceId}-0123456789abcdef-01` } });
  await receiver.waitFor(
    () => receiver.spans().some((s) => s.traceId === traceId && s.resource['service.name'] === 'require-esm' && s.kind === 2),
    15000,
    'the ESM app server span under --require',
  );
  child.kill('SIGTERM');
  await child.exited();
});

test('an eval (-e) with the preload runs and exits normally', async () => {
  const port = await freePort();
  const child = runChild({
    args: ['--require', '@wundr/otel/register', '-e', 'console.log(require("node:module").builtinModules.length > 0)'],
    env: { METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' },
  });
  const { code } = await child.exited();
  assert.equal(code, 0, child.stderr());
  assert.equal(child.stdout().trim(), 'true');
});

test('entryIsEsm: by extension, else by the nearest package.json type', async () => {
  const { entryIsEsm } = await import('../src/entry.ts');
  const pkgs: Record<string, string> = { '/a': '{"type":"module"}', '/b': '{}', '/c': 'not json' };
  const read = (dir: string) => pkgs[dir];
  assert.equal(entryIsEsm(undefined, read), false);
  assert.equal(entryIsEsm('/x/app.mjs', read), true);
  assert.equal(entryIsEsm('/a/app.cjs', read), false);
  assert.equal(entryIsEsm('/a/sub/app.js', read), true);
  assert.equal(entryIsEsm('/b/app.js', read), false);
  assert.equal(entryIsEsm('/c/app.js', read), false);
  assert.equal(entryIsEsm('/nowhere/app.js', read), false);
});

test("a scraper's busy keep-alive connection does not keep a finished host alive", async () => {
  const { child, metricsPort } = await start('--require', 'app.cjs', { EXIT_AFTER_MS: '3000', OTEL_SERVICE_NAME: 'keepalive' });
  const http = await import('node:http');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let scrapes = 0;
  let alive = true;
  const exited = child.exited(15000).finally(() => (alive = false));
  // Like Prometheus at a 300 ms interval: the connection never goes idle.
  const scraper = (async () => {
    while (alive) {
      await new Promise<void>((resolve) => {
        http
          .get({ host: '127.0.0.1', port: metricsPort, path: '/metrics', agent }, (res) => {
            res.resume();
            res.on('end', () => {
              scrapes++;
              resolve();
            });
          })
          .on('error', () => resolve());
      });
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  try {
    const { code, ms } = await exited;
    assert.equal(code, 0);
    assert.ok(scrapes >= 3, `scraped ${scrapes} times over one connection`);
    assert.ok(ms < 10000, `exited after ${ms} ms`);
  } finally {
    alive = false;
    await scraper;
    agent.destroy();
  }
});
