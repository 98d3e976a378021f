/**
 * HTTP server spans from Node's diagnostics_channel events
 * (src/sdk/httpServerSpans.ts), end to end: real child processes
 * preloaded with the package (CJS --require and ESM --import), a real OTLP
 * receiver, real HTTP requests.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as http from 'node:http';
import { AsyncLocalStorage } from 'node:async_hooks';
import { context, ROOT_CONTEXT, createContextKey, propagation, trace, type Context } from '@opentelemetry/api';
import { getRPCMetadata, isTracingSuppressed, suppressTracing, W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOnSampler, InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlpReceiver.ts';
import { FIXTURES, freePort, request, runChild, eventually, type Child } from '../support/child.ts';
import { WundrContextManager } from '../../src/sdk/WundrContextManager.ts';
import { clientAddress, startHttpServerSpans } from '../../src/sdk/httpServerSpans.ts';

let receiver: OtlpReceiver;
const children: Child[] = [];
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await receiver?.close();
});

const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;

async function start(flag: '--require' | '--import', app: string, service: string, env: Record<string, string> = {}, nodeArgs: string[] = []) {
  receiver ??= await startOtlpReceiver();
  const metricsPort = await freePort();
  const appPort = await freePort();
  const child = runChild({
    args: [...nodeArgs, flag, '@wundr/otel/register', path.join(FIXTURES, app)],
    env: {
      APP_PORT: String(appPort),
      DOWNSTREAM_URL: `http://127.0.0.1:${appPort}/`,
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_SERVICE_NAME: service,
      ...env,
    },
  });
  children.push(child);
  await child.waitForOutput(/listening (\d+)/);
  await eventually(() => request(metricsPort, '/live'));
  return { child, appPort, metricsPort };
}

const ids = (n: number) => {
  const hex = (len: number) => Array.from({ length: len }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  return Array.from({ length: n }, () => ({ traceId: hex(32), parent: hex(16) }));
};

function spansOf(service: string): ReceivedSpan[] {
  return receiver.spans().filter((s) => s.resource['service.name'] === service);
}

async function serverSpan(service: string, pred: (s: ReceivedSpan) => boolean, what: string): Promise<ReceivedSpan> {
  await receiver.waitFor(() => spansOf(service).some((s) => s.kind === SERVER && pred(s)), 15000, what);
  return spansOf(service).find((s) => s.kind === SERVER && pred(s))!;
}

/** GET over a keep-alive agent; answers the body and whether the socket was reused. */
function keepAliveGet(agent: http.Agent, port: number, pathname: string): Promise<{ body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ body, reused: req.reusedSocket }));
    });
    req.on('error', reject);
  });
}

// Node 24 runs AsyncLocalStorage on AsyncContextFrame; Node 22 (and
// --no-async-context-frame) on async_hooks, where enterWith leaves the store
// on the connection's parser resource: the keep-alive case matters there.
for (const [flag, app, nodeArgs] of [
  ['--require', 'app.cjs', []],
  ['--import', 'app.mjs', []],
  ['--require', 'app.cjs', ['--no-async-context-frame']],
] as const) {
  const service = `dc-${app.replace('.', '-')}${nodeArgs.length ? '-async-hooks' : ''}`;
  test(`${[...nodeArgs, flag].join(' ')} ${app}: server spans from diagnostics_channel (parent, fresh traces, keep-alive, concurrency, outgoing, body, abort, 5xx, endpoint, histogram)`, async () => {
    const { child, appPort, metricsPort } = await start(flag, app, service, {}, [...nodeArgs]);
    const [incoming] = ids(1);

    // 1. An incoming traceparent is continued; the span is the package's, with the semconv attributes.
    await request(appPort, '/?secret=hunter2', { headers: { traceparent: `00-${incoming!.traceId}-${incoming!.parent}-01`, 'user-agent': 'dc-test/1' } });
    const s1 = await serverSpan(service, (s) => s.traceId === incoming!.traceId, 'the server span of the incoming trace');
    assert.equal(s1.parentSpanId, incoming!.parent);
    assert.equal(s1.scope.name, '@wundr/otel/http');
    assert.equal(s1.name, 'GET');
    assert.equal(s1.attributes['http.request.method'], 'GET');
    assert.equal(s1.attributes['url.scheme'], 'http');
    assert.equal(s1.attributes['url.path'], '/');
    assert.equal(s1.attributes['url.query'], undefined, 'query strings are not recorded');
    assert.ok(!JSON.stringify(s1).includes('hunter2'));
    assert.equal(s1.attributes['server.address'], '127.0.0.1');
    assert.equal(s1.attributes['server.port'], appPort);
    assert.equal(s1.attributes['network.protocol.version'], '1.1');
    assert.equal(s1.attributes['user_agent.original'], 'dc-test/1');
    assert.equal(s1.attributes['client.address'], '127.0.0.1');
    assert.equal(s1.attributes['network.peer.address'], '127.0.0.1');
    assert.equal(typeof s1.attributes['network.peer.port'], 'number');
    assert.equal(s1.attributes['http.response.status_code'], 200);
    assert.notEqual(s1.status.code, ERROR);

    // 2. Without a traceparent: a fresh trace, a root span.
    const before = new Set(spansOf(service).map((s) => s.spanId));
    const fresh = JSON.parse((await request(appPort, '/ctx')).body) as { traceId: string; spanId: string };
    const s2 = await serverSpan(service, (s) => s.spanId === fresh.spanId, 'the fresh server span');
    assert.equal(s2.parentSpanId, '');
    assert.ok(!before.has(s2.spanId));
    assert.notEqual(fresh.traceId, incoming!.traceId);

    // 3. Two sequential requests on ONE keep-alive connection: different traces,
    //    each handler (after an async hop) in its own server span.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const a = await keepAliveGet(agent, appPort, '/ctx');
      const b = await keepAliveGet(agent, appPort, '/ctx');
      const c = await keepAliveGet(agent, appPort, '/');
      assert.ok(b.reused && c.reused, 'the connection was reused');
      const ca = JSON.parse(a.body) as { traceId: string; spanId: string };
      const cb = JSON.parse(b.body) as { traceId: string; spanId: string };
      assert.notEqual(ca.traceId, cb.traceId, 'the second request is not in the first one\'s trace');
      const sa = await serverSpan(service, (s) => s.spanId === ca.spanId, 'keep-alive span 1');
      const sb = await serverSpan(service, (s) => s.spanId === cb.spanId, 'keep-alive span 2');
      assert.equal(sa.traceId, ca.traceId);
      assert.equal(sb.traceId, cb.traceId);
      assert.equal(sb.parentSpanId, '', 'no parent carried over from the previous request');
    } finally {
      agent.destroy();
    }

    // 4. Concurrent requests stay apart.
    const many = ids(12);
    const answers = await Promise.all(
      many.map((t) => request(appPort, '/ctx', { headers: { traceparent: `00-${t.traceId}-${t.parent}-01` } })),
    );
    for (let i = 0; i < many.length; i++) {
      const got = JSON.parse(answers[i]!.body) as { traceId: string; spanId: string };
      assert.equal(got.traceId, many[i]!.traceId, `concurrent request ${i} saw its own trace`);
      const s = await serverSpan(service, (x) => x.spanId === got.spanId, `concurrent span ${i}`);
      assert.equal(s.parentSpanId, many[i]!.parent);
    }

    // 5. An outgoing call in the handler is a child of the server span and carries traceparent downstream.
    const [out] = ids(1);
    await request(appPort, '/call', { headers: { traceparent: `00-${out!.traceId}-${out!.parent}-01` } });
    await receiver.waitFor(() => spansOf(service).filter((s) => s.traceId === out!.traceId).length >= 3, 15000, 'server, client, downstream server spans');
    const trio = spansOf(service).filter((s) => s.traceId === out!.traceId);
    const outer = trio.find((s) => s.kind === SERVER && s.parentSpanId === out!.parent)!;
    const client = trio.find((s) => s.kind === CLIENT)!;
    const inner = trio.find((s) => s.kind === SERVER && s !== outer)!;
    assert.ok(outer && client && inner, JSON.stringify(trio.map((s) => [s.name, s.kind, s.parentSpanId])));
    assert.equal(client.parentSpanId, outer.spanId, 'the client span is a child of the server span');
    assert.equal(inner.parentSpanId, client.spanId, 'traceparent reached the downstream server');

    // 6. A body read later (its 'end' listener) still runs in the span.
    const [body] = ids(1);
    const bodyAnswer = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: appPort, path: '/body', method: 'POST', agent: false, headers: { 'content-length': '4', traceparent: `00-${body!.traceId}-${body!.parent}-01` } },
        (res) => {
          let b = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (b += d));
          res.on('end', () => resolve(b));
        },
      );
      req.on('error', reject);
      req.flushHeaders();
      setTimeout(() => req.end('abcd'), 100);
    });
    const bodyCtx = JSON.parse(bodyAnswer) as { traceId: string; spanId: string };
    assert.equal(bodyCtx.traceId, body!.traceId, "the body's 'end' listener runs in the request's trace");
    const sBody = await serverSpan(service, (s) => s.traceId === body!.traceId, 'the POST span');
    assert.equal(bodyCtx.spanId, sBody.spanId);

    // 7. An aborted request ends its span, with an error.
    const [abort] = ids(1);
    await new Promise<void>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: appPort, path: '/slow', agent: false, headers: { traceparent: `00-${abort!.traceId}-${abort!.parent}-01` } });
      req.on('error', () => resolve());
      setTimeout(() => req.destroy(), 200);
    });
    const sAbort = await serverSpan(service, (s) => s.traceId === abort!.traceId, 'the aborted span');
    assert.equal(sAbort.status.code, ERROR);
    assert.equal(sAbort.attributes['error.type'], 'aborted');
    assert.equal(sAbort.attributes['http.response.status_code'], undefined);

    // 8. 5xx: error status.
    const [fail] = ids(1);
    assert.equal((await request(appPort, '/fail', { headers: { traceparent: `00-${fail!.traceId}-${fail!.parent}-01` } })).status, 500);
    const sFail = await serverSpan(service, (s) => s.traceId === fail!.traceId, 'the 500 span');
    assert.equal(sFail.status.code, ERROR);
    assert.equal(sFail.attributes['http.response.status_code'], 500);
    assert.equal(sFail.attributes['error.type'], '500');

    // 9. The endpoint's own requests: one server span (the endpoint's), not two.
    const [ep] = ids(1);
    const health = await request(metricsPort, '/health', { headers: { traceparent: `00-${ep!.traceId}-${ep!.parent}-01` } });
    assert.equal(health.headers['x-trace-id'], ep!.traceId);
    await serverSpan(service, (s) => s.traceId === ep!.traceId, 'the endpoint span');
    await new Promise((r) => setTimeout(r, 400));
    const epSpans = spansOf(service).filter((s) => s.traceId === ep!.traceId && s.kind === SERVER);
    assert.deepEqual(epSpans.map((s) => s.scope.name), ['@wundr/otel']);

    // 10. The duration histogram, on the SDK meter provider (Prometheus endpoint).
    const metrics = (await request(metricsPort, '/metrics')).body;
    const count = metrics.split('\n').find((l) => /^http_server_request_duration(_seconds)?_count/.test(l) && l.includes('http_response_status_code="500"'));
    assert.ok(count, metrics.split('\n').filter((l) => l.startsWith('http_server')).join('\n') || 'no http_server_* series');
    assert.match(count!, /http_request_method="GET"/);
    assert.match(count!, /url_scheme="http"/);
    assert.match(count!, /network_protocol_version="1.1"/);
    assert.match(count!, /error_type="500"/);
    assert.match(metrics, /http_server_request_duration(_seconds)?_bucket\{[^}]*le="0.005"/);

    child.kill('SIGTERM');
    await child.exited();
  });
}

test('WUNDR_OTEL_HTTP_SERVER_SPANS=instrumentation: instrumentation-http makes the server spans again', async () => {
  const service = 'dc-escape-hatch';
  const { child, appPort } = await start('--require', 'app.cjs', service, { WUNDR_OTEL_HTTP_SERVER_SPANS: 'instrumentation' });
  const [t] = ids(1);
  await request(appPort, '/call', { headers: { traceparent: `00-${t!.traceId}-${t!.parent}-01` } });
  await receiver.waitFor(() => spansOf(service).filter((s) => s.traceId === t!.traceId).length >= 3, 15000, 'three spans');
  const spans = spansOf(service).filter((s) => s.traceId === t!.traceId);
  assert.deepEqual(
    spans.filter((s) => s.kind === SERVER).map((s) => s.scope.name),
    ['@opentelemetry/instrumentation-http', '@opentelemetry/instrumentation-http'],
  );
  assert.ok(!receiver.spans().some((s) => s.resource['service.name'] === service && s.scope.name === '@wundr/otel/http'));
  child.kill('SIGTERM');
  await child.exited();
});

test('WundrContextManager reaches the ALS of @opentelemetry/context-async-hooks (fails if the private field is renamed)', () => {
  const m = new WundrContextManager();
  const als = (m as unknown as { _asyncLocalStorage: unknown })._asyncLocalStorage;
  assert.ok(als instanceof AsyncLocalStorage, '_asyncLocalStorage is an AsyncLocalStorage');
  assert.equal(m.canEnter, true);
  m.enable();
  const key = createContextKey('k');
  const ctx = ROOT_CONTEXT.setValue(key, 'v');
  let seen: unknown;
  m.with(ROOT_CONTEXT, () => {
    m.enterWith(ctx);
    seen = m.active().getValue(key);
  });
  assert.equal(seen, 'v');
  assert.equal(m.active(), ROOT_CONTEXT);
  m.disable();
  assert.ok(context);
});

test('in process: a failing tracer never reaches the host (no uncaught exception), and the undo unsubscribes', async () => {
  const calls: string[] = [];
  const throwing = {
    getTracer: () => ({
      startSpan: () => {
        calls.push('startSpan');
        throw new Error('tracer broke');
      },
    }),
  };
  const undo = startHttpServerSpans({ tracerProvider: throwing as never, contextManager: new WundrContextManager() });
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  const server = http.createServer((_req, res) => res.end('fine'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as { port: number }).port;
    assert.equal((await request(port, '/')).body, 'fine');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(uncaught, []);
    assert.deepEqual(calls, ['startSpan']);
    undo();
    undo();
    assert.equal((await request(port, '/')).body, 'fine');
    assert.deepEqual(calls, ['startSpan'], 'unsubscribed: no span started');
  } finally {
    undo();
    process.off('uncaughtException', onUncaught);
    server.close();
  }
});

/** The span context of the last SERVER span exported. */
function sc2(exporter: InMemorySpanExporter): { traceId: string; spanId: string } {
  return exporter.getFinishedSpans().filter((s) => s.kind === 1).at(-1)!.spanContext();
}

test('in process: once its response finished, a request\'s context holds a non-recording span of the same span context, and the ended span can be collected', async () => {
  // The context a handler ran in outlives its request (Node's keep-alive
  // timer, work the handler left running): it must not keep the ended span.
  const setFlags = (await import('node:v8')).setFlagsFromString;
  setFlags('--expose-gc');
  const gc = (await import('node:vm')).runInNewContext('gc') as () => void;
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const cm = new WundrContextManager().enable();
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const undo = startHttpServerSpans({ tracerProvider: provider, contextManager: cm });
  let kept: Context | undefined;
  // Contexts derived in the handler (a key of the app's, a child span's, suppressed tracing), held as long as `kept`.
  let derived: Context[] = [];
  let ended: WeakRef<object> | undefined;
  const APP = createContextKey('app');
  const server = http.createServer((req, res) => {
    kept = cm.active();
    ended = new WeakRef(trace.getSpan(kept)!);
    assert.equal(trace.getSpan(kept)!.isRecording(), true, 'the handler runs in the recording SERVER span');
    const inner = provider.getTracer('t').startSpan('inner', {}, kept);
    inner.end();
    derived = [kept.setValue(APP, 1), trace.setSpan(kept, inner), suppressTracing(kept).setValue(APP, 2), kept.deleteValue(APP)];
    // An app that ends the SERVER span itself: the view replaces it all the same.
    if (req.url === '/early') trace.getSpan(kept)!.end();
    res.end('fine');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as { port: number }).port;
    assert.equal((await request(port, '/items')).body, 'fine');
    await eventually(async () => assert.equal(exporter.getFinishedSpans().filter((x) => x.kind === 1).length, 1));
    const sc = sc2(exporter);
    const after = trace.getSpan(kept!)!;
    assert.notEqual(after, ended!.deref(), 'the ended span was swapped out');
    assert.equal(after.isRecording(), false);
    assert.deepEqual(after.spanContext(), sc, 'the same span context');
    assert.equal((getRPCMetadata(kept!) as { span?: unknown }).span, after, 'the RPC metadata reads the same span');
    const child = provider.getTracer('t').startSpan('late work', {}, kept);
    child.end();
    assert.equal(child.spanContext().traceId, sc.traceId);
    assert.equal((child as unknown as { parentSpanContext?: { spanId: string } }).parentSpanContext?.spanId, sc.spanId, 'work after the response still parents on the SERVER span');
    const carrier: Record<string, string> = {};
    new W3CTraceContextPropagator().inject(kept!, carrier, { set: (c, k, v) => ((c as Record<string, string>)[k] = v) });
    assert.equal(carrier.traceparent, `00-${sc.traceId}-${sc.spanId}-01`);
    assert.equal((after as { parentSpanContext?: unknown }).parentSpanContext, undefined, 'no parent, none kept');

    // With a remote parent, the view keeps the parent's span context: StructuredLogger reads it for parentSpanId.
    const parentId = 'b7ad6b7169203331';
    const traced = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/traced', headers: { traceparent: `00-0af7651916cd43dd8448eb211c80319c-${parentId}-01` } }, (res) => {
          res.resume();
          res.on('end', () => resolve(String(res.statusCode)));
        })
        .on('error', reject);
    });
    assert.equal(traced, '200');
    await eventually(async () => assert.equal(exporter.getFinishedSpans().filter((x) => x.kind === 1).length, 2));
    const view = trace.getSpan(kept!) as { parentSpanContext?: { spanId: string; isRemote?: boolean }; isRecording(): boolean };
    assert.equal(view.isRecording(), false);
    assert.equal(view.parentSpanContext?.spanId, parentId);
    assert.equal(view.parentSpanContext?.isRemote, true);

    const [withApp, withInner, suppressed, deleted] = derived;
    assert.equal(trace.getSpan(withApp!), view, 'a derived context reads the view too');
    assert.equal(withApp!.getValue(APP), 1);
    assert.equal(trace.getSpan(withInner!)?.spanContext().traceId, sc2(exporter).traceId, "a child span's context keeps its child");
    assert.equal(isTracingSuppressed(suppressed!), true);
    assert.equal(suppressed!.getValue(APP), 2);
    assert.equal(trace.getSpan(suppressed!), view);
    assert.equal(getRPCMetadata(suppressed!), getRPCMetadata(kept!));
    assert.equal(deleted!.getValue(APP), undefined);
    assert.equal(trace.getSpan(deleted!), view);

    const collected = async (what: string): Promise<void> => {
      exporter.reset();
      for (let i = 0; i < 10 && ended!.deref() !== undefined; i++) {
        await new Promise((r) => setImmediate(r));
        gc();
      }
      assert.equal(ended!.deref(), undefined, `${what}: the ended span was collected while its context and the contexts derived from it are still held`);
      assert.ok(kept && derived.length === 4);
    };
    await collected('response finished');

    assert.equal((await request(port, '/early')).body, 'fine');
    await eventually(async () => assert.equal(trace.getSpan(kept!)?.isRecording(), false));
    await eventually(async () => assert.notEqual(trace.getSpan(kept!), ended!.deref()));
    await collected('span ended early by the app');
  } finally {
    undo();
    propagation.disable();
    cm.disable();
    server.close();
  }
});

test('client.address: Forwarded for= (RFC 7239), then the first X-Forwarded-For entry, then the peer', () => {
  const cases: [Record<string, string>, string | undefined][] = [
    [{}, '10.0.0.9'],
    [{ 'x-forwarded-for': '203.0.113.7, 10.0.0.1' }, '203.0.113.7'],
    [{ 'x-forwarded-for': ' , 10.0.0.1' }, '10.0.0.9'],
    [{ forwarded: 'for=192.0.2.60;proto=http;by=203.0.113.43' }, '192.0.2.60'],
    [{ forwarded: 'For="[2001:db8:cafe::17]:4711", for=192.0.2.1' }, '2001:db8:cafe::17'],
    [{ forwarded: 'for=192.0.2.43:47011' }, '192.0.2.43'],
    [{ forwarded: 'proto=https;for="_hidden"' }, '_hidden'],
    [{ forwarded: 'by=203.0.113.43, for=192.0.2.1' }, '10.0.0.9'], // the first element has no for: the peer, not a later hop
    [{ forwarded: 'proto=https', 'x-forwarded-for': '198.51.100.2' }, '198.51.100.2'],
    [{ forwarded: 'for="[broken', 'x-forwarded-for': '198.51.100.3' }, '198.51.100.3'],
    [{ forwarded: 'for=""' }, '10.0.0.9'],
  ];
  for (const [headers, want] of cases) assert.equal(clientAddress(headers, '10.0.0.9'), want, JSON.stringify(headers));
  assert.equal(clientAddress({}, undefined), undefined);
});

test('in process: server.address and server.port come from each request\'s Host header, as it changes from one request to the next', async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const cm = new WundrContextManager().enable();
  const undo = startHttpServerSpans({ tracerProvider: provider, contextManager: cm });
  const server = http.createServer((_req, res) => res.end('fine'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  // [Host header, server.address, server.port]: repeated hosts, IPv6, no port, a port out of range, a second colon.
  const cases: [string, string, number | undefined][] = [
    ['api.example:8080', 'api.example', 8080],
    ['api.example:8080', 'api.example', 8080],
    ['[::1]:9090', '::1', 9090],
    ['[::1]', '::1', undefined],
    ['plain', 'plain', undefined],
    ['bad:99999', 'bad', undefined],
    ['a:b:c', 'a:b:c', undefined],
    ['api.example:8080', 'api.example', 8080],
  ];
  try {
    const port = (server.address() as { port: number }).port;
    for (const [host] of cases) {
      await new Promise<void>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: '/', agent, headers: { host } }, (res) => res.resume().on('end', resolve)).on('error', reject);
      });
    }
    await eventually(async () => assert.equal(exporter.getFinishedSpans().length, cases.length));
    const got = exporter.getFinishedSpans().map((s) => [s.attributes['server.address'], s.attributes['server.port']]);
    assert.deepEqual(got, cases.map(([, name, p]) => [name, p]));
  } finally {
    undo();
    agent.destroy();
    server.close();
    cm.disable();
  }
});
