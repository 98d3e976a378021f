/**
 * Inputs that must warn once and keep working: a CR/LF smuggled into
 * OTEL_EXPORTER_OTLP_HEADERS, the metrics port in use; the gRPC protocol's
 * own default port; and doctor's gRPC check as a real OTLP/gRPC Export.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadConfig } from '../../src/config.ts';
import { networkChecks } from '../../src/cli/doctor.ts';
import { freePort, request, runChild, eventually } from '../support/child.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.ts';
import { killAll, startApp, RELIABILITY_FIXTURES } from './support/app.ts';

let receiver: OtlpReceiver | undefined;
after(async () => {
  killAll();
  await receiver?.close();
});

test('OTEL_EXPORTER_OTLP_HEADERS with CR/LF: one warning naming the variable, that header dropped, export working', async () => {
  receiver = await startOtlpReceiver();
  const app = await startApp({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_HEADERS: 'x-good=kept,x-bad=a%0D%0AInjected:%20smuggled',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_SERVICE_NAME: 'crlf-check',
  });
  await request(app.port, '/');
  await receiver.waitFor(() => receiver!.spans().some((s) => s.resource['service.name'] === 'crlf-check'), 10000, 'a span').catch((err: Error) => {
    throw new Error(`${err.message}\n${app.child.stderr()}`);
  });
  const traceRequests = receiver.requests().filter((q) => q.signal === 'traces');
  assert.ok(traceRequests.length > 0);
  for (const q of traceRequests) {
    assert.equal(q.headers['x-good'], 'kept');
    assert.equal(q.headers['x-bad'], undefined);
    assert.equal(q.headers['injected'], undefined);
  }
  const lines = app.child.stderr().split('\n').filter((l) => l.includes('OTEL_EXPORTER_OTLP_HEADERS'));
  assert.equal(lines.length, 1, app.child.stderr());
  assert.match(lines[0]!, /characters HTTP does not allow/);
  assert.doesNotMatch(app.child.stderr(), /ERR_INVALID_CHAR|smuggled/);
  app.child.kill('SIGKILL');
  await app.child.exited();
});

test('the metrics port in use: exactly one warning, the app runs on', async () => {
  const busy = await freePort();
  const blocker = net.createServer().listen(busy, '127.0.0.1');
  try {
    const child = runChild({
      args: ['--require', '@wundr/otel/register', path.join(RELIABILITY_FIXTURES, 'loadapp.cjs')],
      env: { METRICS_PORT: String(busy), METRICS_HOST: '127.0.0.1', OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', ALERTING_ENABLED: 'false' },
    });
    const m = await child.waitForOutput(/listening (\d+)/);
    assert.equal((await request(Number(m[1]), '/')).body, 'ok');
    await eventually(async () => assert.match(child.stderr(), /EADDRINUSE/));
    // Give a second warning time to appear.
    await new Promise((r) => setTimeout(r, 500));
    const mentions = child.stderr().split('\n').filter((l) => l.includes(String(busy)) || /EADDRINUSE/.test(l));
    assert.equal(mentions.length, 1, child.stderr());
    assert.match(mentions[0]!, /METRICS_PORT/);
    child.kill('SIGKILL');
    await child.exited();
  } finally {
    blocker.close();
  }
});

test('OTEL_EXPORTER_OTLP_PROTOCOL=grpc without an endpoint: port 4317 (HTTP keeps 4318)', () => {
  const g = loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).config.otlp;
  for (const s of [g.traces, g.metrics, g.logs]) assert.equal(new URL(s.url).port, '4317');
  const mixed = loadConfig({ OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc' }).config.otlp;
  assert.equal(new URL(mixed.metrics.url).port, '4317');
  assert.equal(new URL(mixed.traces.url).port, '4318');
  const given = loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:5555' }).config.otlp;
  assert.equal(new URL(given.traces.url).port, '5555');
});

/** A gRPC server with the three OTLP Export methods, taking raw bytes. */
async function startGrpcCollector(): Promise<{ port: number; calls: string[]; close(): Promise<void> }> {
  const calls: string[] = [];
  const server = new grpc.Server();
  const raw = { requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b, requestStream: false, responseStream: false };
  for (const [svc, path] of [
    ['trace', '/opentelemetry.proto.collector.trace.v1.TraceService/Export'],
    ['metrics', '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export'],
    ['logs', '/opentelemetry.proto.collector.logs.v1.LogsService/Export'],
  ] as const) {
    server.addService({ Export: { ...raw, path } } as never, {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        calls.push(`${svc} ${call.request.length}`);
        cb(null, Buffer.alloc(0));
      },
    });
  }
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { port, calls, close: () => new Promise((r) => server.tryShutdown(() => r())) };
}

test("doctor's gRPC check is a real OTLP/gRPC Export: OK against a gRPC collector, an error against an HTTP-only one", async (t) => {
  const collector = await startGrpcCollector();
  t.after(() => collector.close());
  const httpOnly = (receiver ??= await startOtlpReceiver());
  const env = (url: string) => ({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_METRICS_EXPORTER: 'otlp', METRICS_ENABLED: 'true' });

  const good = await networkChecks(loadConfig(env(`http://127.0.0.1:${collector.port}`)).config, 3000);
  const otlp = good.filter((c) => c.what.startsWith('OTLP'));
  assert.deepEqual(otlp.map((c) => c.level), ['ok', 'ok', 'ok'], JSON.stringify(good));
  assert.deepEqual(collector.calls.sort(), ['logs 0', 'metrics 0', 'trace 0']);

  const bad = await networkChecks(loadConfig(env(httpOnly.url)).config, 3000);
  const badOtlp = bad.filter((c) => c.what.startsWith('OTLP'));
  assert.deepEqual(badOtlp.map((c) => c.level), ['error', 'error', 'error'], JSON.stringify(bad));
  assert.match(badOtlp[0]!.detail, /did not accept an OTLP\/gRPC export/);
});
