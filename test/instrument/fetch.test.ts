/**
 * fetch() under the preload, as a black box: the app (a real child process,
 * `--require` and `--import`) calls a real local HTTP server with fetch();
 * that server records the headers it got, and a real OTLP receiver decodes
 * the spans. Also in-process: a federation call made with fetch() needs no
 * header helper, and the helper still gives one valid traceparent; the
 * undici package's own request() is traced the same way.
 */
import { test, after, before, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as path from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { resetGlobals } from '../tracing/harness.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlpReceiver.ts';
import { request, startPreloadedApp, type Child } from '../support/child.ts';
import { loadConfig } from '../../src/config.ts';
import { startSdk, type WundrSdk } from '../../src/sdk/start.ts';
import { tracingFeature } from '../../src/tracing/feature.ts';
import { federationHeaders, startFederationSpan } from '../../src/tracing/agentSpans.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
const SERVER = 2;
const CLIENT = 3;

interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
  raw: string[];
}

let receiver: OtlpReceiver;
let peer: http.Server;
let peerUrl: string;
const seen: Seen[] = [];
const children: Child[] = [];

before(async () => {
  receiver = await startOtlpReceiver();
  peer = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers, raw: req.rawHeaders });
    res.end('peer-ok');
  });
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  peerUrl = `http://127.0.0.1:${(peer.address() as import('node:net').AddressInfo).port}/peer`;
});
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await receiver.close();
  await new Promise((r) => peer.close(r));
});

/** The values of one header as sent (not joined by Node's parser). */
function valuesOf(s: Seen, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.raw.length; i += 2) if (s.raw[i].toLowerCase() === name) out.push(s.raw[i + 1]);
  return out;
}

for (const [flag, app] of [
  ['--require', 'app.cjs'],
  ['--import', 'app.mjs'],
] as const) {
  test(`${flag} ${app}: fetch() gets a CLIENT span under the server span, and the peer gets its traceparent, tracestate and baggage`, async () => {
    const { child, appPort } = await startPreloadedApp(flag, app, receiver.url, { OTEL_SERVICE_NAME: `fetch-${flag.slice(2)}`, FETCH_URL: peerUrl });
    children.push(child);
    const before = seen.length;
    const res = await request(appPort, `/fetch?token=s3cret&page=2`, {
      headers: { traceparent: TRACEPARENT, tracestate: 'vendor=abc', baggage: 'tenant=t1' },
    });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.body, 'peer-ok');
    const got = seen.slice(before).find((s) => s.headers['x-from'] === 'fixture');
    assert.ok(got, 'the peer got the fetch');
    assert.equal(got.url, '/peer?token=s3cret&page=2', 'the request itself is unchanged');
    const tp = valuesOf(got, 'traceparent');
    assert.equal(tp.length, 1, `one traceparent: ${tp.join(' | ')}`);
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(tp[0]);
    assert.ok(m, tp[0]);
    assert.equal(m[1], TRACE_ID);
    assert.deepEqual(valuesOf(got, 'tracestate'), ['vendor=abc']);
    assert.match(String(got.headers.baggage), /(^|,)\s*tenant=t1\s*(,|$)/);

    const service = `fetch-${flag.slice(2)}`;
    const ours = () => receiver.spans().filter((s) => s.traceId === TRACE_ID && s.resource['service.name'] === service);
    await receiver.waitFor(() => ours().some((s) => s.kind === CLIENT) && ours().some((s) => s.kind === SERVER), 15000, 'the server and fetch spans');
    const server = ours().find((s) => s.kind === SERVER)!;
    const client = ours().find((s) => s.kind === CLIENT)! as ReceivedSpan;
    assert.equal(client.spanId, m[2], 'the peer is called with the CLIENT span as parent');
    assert.equal(client.parentSpanId, server.spanId, 'the CLIENT span is under the active (server) span');
    assert.equal(client.scope.name, '@opentelemetry/instrumentation-undici');
    assert.equal(client.name, 'GET');
    assert.equal(client.attributes['http.request.method'], 'GET');
    assert.equal(client.attributes['http.response.status_code'], 200);
    assert.equal(client.attributes['server.address'], '127.0.0.1');
    assert.equal(client.attributes['url.path'], '/peer');
    // The same query redaction as the http client spans (LOG_REDACT_KEYS, default list has `token`).
    assert.equal(client.attributes['url.query'], '?token=REDACTED&page=2');
    assert.equal(client.attributes['url.full'], `${peerUrl}?token=REDACTED&page=2`);
    assert.ok(!JSON.stringify(ours()).includes('s3cret'), 'the secret is in no span');
    child.kill('SIGTERM');
    await child.exited();
  });
}

// ---------------------------------------------------------------- in-process: federation

let sdk: WundrSdk | undefined;
afterEach(async () => {
  await resetGlobals(sdk);
  sdk = undefined;
});

function startInProcess(env: Record<string, string> = {}): WundrSdk {
  const { config } = loadConfig({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_LOGS_EXPORTER: 'none',
    METRICS_ENABLED: 'false',
    OTEL_LOG_LEVEL: 'none',
    OTEL_SERVICE_NAME: 'federation-fetch',
    ...env,
  });
  return startSdk(config, { features: [tracingFeature()], endpoint: false });
}

async function delegate(withHelper: boolean): Promise<{ got: Seen; fed: string; traceId: string }> {
  const span = startFederationSpan({ from: 'orch-a', to: 'orch-b', taskType: 'review' });
  const ctx = trace.setSpan(context.active(), span);
  const before = seen.length;
  await context.with(ctx, async () => {
    const headers: Record<string, string> = withHelper ? { ...federationHeaders(), 'x-helper': '1' } : { 'x-helper': '0' };
    const r = await fetch(peerUrl, { method: 'POST', headers, body: '{}' });
    await r.text();
  });
  span.end();
  const got = seen.slice(before).find((s) => s.headers['x-helper'] === (withHelper ? '1' : '0'));
  assert.ok(got);
  return { got, fed: span.spanContext().spanId, traceId: span.spanContext().traceId };
}

for (const withHelper of [false, true]) {
  test(`a federation call made with fetch() ${withHelper ? 'and the federationHeaders() helper gets one valid traceparent' : 'carries the trace without the header helper'}`, async () => {
    sdk = startInProcess();
    const { got, fed, traceId } = await delegate(withHelper);
    const tp = valuesOf(got, 'traceparent');
    assert.equal(tp.length, 1, `one traceparent: ${tp.join(' | ')}`);
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(tp[0]);
    assert.ok(m, tp[0]);
    assert.equal(m[1], traceId);
    if (withHelper) assert.equal(got.headers['x-trace-id'], traceId, 'the helper still adds the legacy header');
    await receiver.waitFor(() => receiver.spans().some((s) => s.spanId === m[2]), 10000, 'the fetch span');
    const client = receiver.spans().find((s) => s.spanId === m[2])!;
    assert.equal(client.kind, CLIENT);
    assert.equal(client.parentSpanId, fed, 'the fetch span is a child of federation.delegate');
    assert.equal(client.attributes['http.request.method'], 'POST');
  });
}

test('instrumentation-undici runs on the one @opentelemetry/instrumentation of the tree (0.301, by the npm override)', () => {
  const undiciDir = path.dirname(require.resolve('@opentelemetry/instrumentation-undici'));
  const fromUndici = require.resolve('@opentelemetry/instrumentation', { paths: [undiciDir] });
  assert.equal(fromUndici, require.resolve('@opentelemetry/instrumentation'));
  const root = fromUndici.slice(0, fromUndici.lastIndexOf('/dist/'));
  const pinned = JSON.parse(require('node:fs').readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')).overrides['@opentelemetry/instrumentation'];
  assert.match(pinned, /^0\.301\./);
  assert.equal(JSON.parse(require('node:fs').readFileSync(`${root}/package.json`, 'utf8')).version, pinned);
});

test('the undici package\'s own request() gets a CLIENT span under the active span and carries its context', async () => {
  sdk = startInProcess();
  const { request: undiciRequest } = await import('undici');
  const parent = trace.getTracer('test').startSpan('parent');
  const before = seen.length;
  await context.with(trace.setSpan(context.active(), parent), async () => {
    const r = await undiciRequest(`${peerUrl}?api_key=k3y`, { headers: { 'x-helper': 'undici' } });
    await r.body.text();
  });
  parent.end();
  const got = seen.slice(before).find((s) => s.headers['x-helper'] === 'undici');
  assert.ok(got);
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(valuesOf(got, 'traceparent')[0] ?? '');
  assert.ok(m, 'traceparent sent');
  assert.equal(m[1], parent.spanContext().traceId);
  await receiver.waitFor(() => receiver.spans().some((s) => s.spanId === m[2]), 10000, 'the undici span');
  const client = receiver.spans().find((s) => s.spanId === m[2])!;
  assert.equal(client.kind, CLIENT);
  assert.equal(client.parentSpanId, parent.spanContext().spanId);
  assert.equal(client.attributes['url.query'], '?api_key=REDACTED');
});
