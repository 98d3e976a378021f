/**
 * The embedded view on the real SDK and endpoint: /dashboard answers retained
 * wundr_ series with raw and per-minute points (the store's clock is moved,
 * not waited for), /traces and /traces/<id> answer the documented shapes
 * with the trace's log lines, a peer's spans of the same trace are merged
 * (fetched with the same token), and the token rules hold.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { context, diag, DiagLogLevel, trace } from '@opentelemetry/api';
import { loadConfig } from '../../src/config.ts';
import { startSdk, type WundrSdk } from '../../src/sdk/start.ts';
import { metricsFeature } from '../../src/metrics/feature.ts';
import { loggingFeature } from '../../src/logging/feature.ts';
import { tracingFeature } from '../../src/tracing/feature.ts';
import { embeddedFeature, getTraceSpans, clearCompletedTraces, type EmbeddedFeature } from '../../src/embedded/feature.ts';
import { fetchPeerTrace, tracesRoute } from '../../src/embedded/routes.ts';
import { EndpointServer } from '../../src/endpoint/EndpointServer.ts';
import { queueMetrics } from '../../src/metrics/index.ts';
import { StructuredLogger } from '../../src/logging/index.ts';
import { freePort, request } from '../support/child.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.ts';

const TOKEN = 's3cret-token';
const auth = { authorization: `Bearer ${TOKEN}` };
let port = 0;
let sdk: WundrSdk;
let embedded: EmbeddedFeature;
const clock = { now: Date.UTC(2026, 5, 1, 12, 0, 10) };

/** A federation peer's endpoint answering GET /traces/<id> (its spans of the trace); records the headers it got. */
let peer: http.Server;
let receiver: OtlpReceiver;
const peerSeen: { url: string; authorization: string | undefined }[] = [];
let peerTrace = '';

before(async () => {
  peer = http.createServer((req, res) => {
    peerSeen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    if (!req.url?.startsWith(`/traces/${peerTrace}`)) {
      res.writeHead(404).end('{}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        traceId: peerTrace,
        spans: [{ spanId: 'aaaaaaaaaaaaaaaa', parentSpanId: 'bbbbbbbbbbbbbbbb', name: 'invoke_agent peer', kind: 'INTERNAL', service: 'peer-svc', startTime: Date.now(), durationMs: 5, status: 'ok', attributes: {}, events: [] }],
        logs: [{ time: Date.now(), severity: 'INFO', body: 'Delegation received', spanId: 'aaaaaaaaaaaaaaaa', service: 'peer-svc', attributes: {} }],
      }),
    );
  });
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  const peerPort = (peer.address() as { port: number }).port;

  port = await freePort();
  receiver = await startOtlpReceiver();
  const { config } = loadConfig({
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: String(port),
    // Spans are recorded (an exporter is configured), and go to a real OTLP receiver.
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '600000',
    OTEL_LOGS_EXPORTER: 'none',
    LOG_LEVEL: 'info',
    WUNDR_OTEL_ENDPOINT_TOKEN: TOKEN,
  });
  embedded = embeddedFeature({ now: () => clock.now, env: { WUNDR_OTEL_TRACE_PEERS: `http://127.0.0.1:${peerPort}`, WUNDR_OTEL_RETENTION_INTERVAL: '3600' } });
  sdk = startSdk(config, { httpInstrumentation: false, features: [metricsFeature(), loggingFeature(), tracingFeature(), embedded] });
  await sdk.ready;
});

after(async () => {
  await sdk?.shutdown(3000);
  peer?.close();
  await receiver?.close();
});

interface Dash {
  metrics: { metric: string; labels?: Record<string, string>; resolution: string; points: { timestamp: number; value: number; count?: number }[] }[];
}

test('/dashboard: retained wundr_ series with raw and per-minute points after a minute', async () => {
  queueMetrics.depth.set({ queue_name: 'tasks' }, 4);
  await embedded.sample();
  clock.now += 20_000;
  queueMetrics.depth.set({ queue_name: 'tasks' }, 8);
  await embedded.sample();
  clock.now += 60_000;
  await embedded.sample(); // a minute after start: compaction rolls the complete minute up

  const res = await request(port, '/dashboard?since=0', { headers: auth });
  assert.equal(res.status, 200);
  const dash = JSON.parse(res.body) as Dash;
  const q = dash.metrics.filter((m) => m.metric === 'wundr_queue_depth' && m.labels?.queue_name === 'tasks');
  const raw = q.find((m) => m.resolution === 'raw');
  const minute = q.find((m) => m.resolution === 'minute');
  assert.deepEqual(raw?.points.map((p) => p.value), [4, 8, 8]);
  assert.deepEqual(minute?.points.map((p) => [p.value, p.count]), [[6, 2]], 'the minute 12:00 rolled up: avg of 4 and 8');
  assert.ok(dash.metrics.some((m) => m.metric.startsWith('wundr_process_') && m.resolution === 'minute'), 'the system series too');
  assert.ok(!dash.metrics.some((m) => m.metric.endsWith('_bucket')), 'histogram buckets stay on /metrics');

  const rawOnly = JSON.parse((await request(port, '/dashboard?since=0&minute=false&hour=false&metric=wundr_queue_depth', { headers: auth })).body) as Dash;
  assert.deepEqual([...new Set(rawOnly.metrics.map((m) => `${m.metric} ${m.resolution}`))], ['wundr_queue_depth raw']);
  const later = JSON.parse((await request(port, `/dashboard?since=${clock.now - 1000}&metric=wundr_queue_depth`, { headers: auth })).body) as Dash;
  assert.deepEqual(later.metrics.map((m) => m.points.length), [1], '?since drops older points');
});

test('/traces and /traces/<id>: the documented shapes, log lines beside the spans, the peer spans merged', async () => {
  const tracer = trace.getTracer('test');
  const log = new StructuredLogger('Daemon');
  const root = tracer.startSpan('ws.message task');
  await context.with(trace.setSpan(context.active(), root), async () => {
    for (const n of ['chat m', 'execute_tool t', 'tools/call t', 'memory.store']) tracer.startSpan(n).end();
    log.info('Task delegated', { to: 'peer' });
  });
  root.end();
  const id = root.spanContext().traceId;
  peerTrace = id;

  const list = JSON.parse((await request(port, '/traces?limit=5', { headers: auth })).body) as { traces: Record<string, unknown>[] };
  const t = list.traces.find((x) => x.traceId === id);
  assert.deepEqual(t, { traceId: id, rootName: 'ws.message task', spanCount: 5, durationMs: t?.durationMs, error: false, services: ['wundr-orchestrator'] });
  assert.equal(typeof t?.durationMs, 'number');
  assert.ok(!list.traces.some((x) => String(x.rootName).startsWith('GET /')), "the endpoint's own requests are not listed");
  assert.deepEqual(JSON.parse((await request(port, '/traces?error=true', { headers: auth })).body), { traces: [] });

  const res = await request(port, `/traces/${id}`, { headers: auth });
  assert.equal(res.status, 200);
  const view = JSON.parse(res.body) as { traceId: string; spans: { name: string; service: string }[]; logs: { body: string }[] };
  assert.deepEqual(Object.keys(view).sort(), ['logs', 'spans', 'traceId']);
  assert.deepEqual(view.spans.map((s) => s.service).sort(), ['peer-svc', ...Array(5).fill('wundr-orchestrator')].sort());
  assert.deepEqual(view.logs.map((l) => l.body).sort(), ['Delegation received', 'Task delegated']);
  const asked = peerSeen.find((p) => p.url.startsWith(`/traces/${id}`));
  assert.equal(asked?.url, `/traces/${id}?local=1`, 'the peer is asked for its own spans only');
  assert.equal(asked?.authorization, `Bearer ${TOKEN}`, 'with the same token');

  // The old tracer's calls read the same ring.
  assert.equal(getTraceSpans(id).length, 5);
  assert.equal(getTraceSpans(id).find((s) => !s.context.parentSpanId)?.name, 'ws.message task');
  clearCompletedTraces();
  assert.deepEqual(getTraceSpans(id), []);
  assert.equal((await request(port, `/traces/${'0'.repeat(31)}1`, { headers: auth })).status, 404);
  assert.equal((await request(port, '/traces/not-a-trace-id', { headers: auth })).status, 400);
});

test('token rules: data routes need the bearer token; the page and its assets carry no data and need none', async () => {
  for (const p of ['/traces', `/traces/${'1'.repeat(32)}`, '/dashboard']) {
    assert.equal((await request(port, p)).status, 401, p);
  }
  for (const p of ['/', '/assets/app.js', '/assets/app.css', '/assets/favicon.svg']) {
    const r = await request(port, p);
    assert.equal(r.status, 200, p);
    assert.match(String(r.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
  }
  assert.equal((await request(port, '/traces', { method: 'POST', headers: auth })).status, 405, 'GET only');
});

test('without an endpoint token, trace data answers a loopback caller, with an admin token set too (a remote one: test/endpoint/remote.test.ts)', async (t) => {
  for (const opts of [{}, { adminToken: 'adm-tok' }]) {
    const server = new EndpointServer({ host: '127.0.0.1', port: 0, ...opts });
    server.addRoute(tracesRoute({ ring: () => undefined, peers: () => [], token: undefined }));
    assert.equal(await server.start(), true);
    t.after(() => server.stop());
    const r = await request(server.port!, '/traces');
    assert.equal(r.status, 200, JSON.stringify(opts));
    assert.deepEqual(JSON.parse(r.body), { traces: [] });
  }
});

test('a peer that refuses the look-up (401/403) is left out and named once in a warning with the fix', async (t) => {
  const refusing = http.createServer((_req, res) => res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":"no"}'));
  await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
  t.after(() => refusing.close());
  const warnings: string[] = [];
  diag.setLogger({ error: () => {}, warn: (m: string) => warnings.push(m), info: () => {}, debug: () => {}, verbose: () => {} }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  t.after(() => diag.disable());
  const hostPort = `127.0.0.1:${(refusing.address() as { port: number }).port}`;
  const base = `http://ops:hunter2@${hostPort}`;
  assert.equal(await fetchPeerTrace(base, 'c'.repeat(32), undefined), undefined);
  assert.equal(await fetchPeerTrace(base, 'd'.repeat(32), undefined), undefined);
  const mine = warnings.filter((w) => w.includes(hostPort));
  assert.equal(mine.length, 1, 'once per peer');
  assert.match(mine[0]!, /refused the trace look-up \(403\).*WUNDR_OTEL_ENDPOINT_TOKEN/);
  assert.ok(!mine[0]!.includes('hunter2'), `the peer URL's password is not in the warning: ${mine[0]}`);
});
