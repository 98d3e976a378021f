/**
 * OTEL_EXPORTER_OTLP[_SIGNAL]_COMPRESSION=gzip on every protocol, with a
 * preloaded child: the real OTLP/HTTP receiver sees gzip bodies (and decodes
 * them), and a gRPC receiver on HTTP/2 (node:http2, h2c) sees
 * `grpc-encoding: gzip` and compressed messages that decode as OTLP.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.ts';
import { decodeProtobuf } from '../support/otlpFullProto.ts';
import { FIXTURES, freePort, request, runChild, eventually, type Child } from '../support/child.ts';
import { loadConfig } from '../../src/config.ts';

let receiver: OtlpReceiver | undefined;
const children: Child[] = [];
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await receiver?.close();
});

async function app(env: Record<string, string>): Promise<{ child: Child; appPort: number }> {
  const metricsPort = await freePort();
  const child = runChild({
    args: ['--require', '@wundr/otel/register', path.join(FIXTURES, 'app.cjs')],
    env: { METRICS_PORT: String(metricsPort), METRICS_HOST: '127.0.0.1', OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_BLRP_SCHEDULE_DELAY: '100', ...env },
  });
  children.push(child);
  const m = await child.waitForOutput(/listening (\d+)/);
  await eventually(() => request(metricsPort, '/live'));
  return { child, appPort: Number(m[1]) };
}

test('config: the base variable, a signal override, and a bad value (one warning, none used)', () => {
  const { config, warnings } = loadConfig({ OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_LOGS_COMPRESSION: 'none' });
  assert.equal(config.otlp.traces.compression, 'gzip');
  assert.equal(config.otlp.metrics.compression, 'gzip');
  assert.equal(config.otlp.logs.compression, 'none');
  assert.deepEqual(warnings, []);
  assert.equal(loadConfig({}).config.otlp.traces.compression, 'none');
  const bad = loadConfig({ OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'brotli' });
  assert.equal(bad.config.otlp.traces.compression, 'none');
  assert.equal(bad.warnings.length, 1);
  assert.match(bad.warnings[0]!.message, /OTEL_EXPORTER_OTLP_TRACES_COMPRESSION="brotli"/);
});

for (const [protocol, encoder] of [
  ['http/protobuf', 'wundr'],
  ['http/protobuf', 'stock'],
  ['http/json', 'stock'],
] as const) {
  test(`${protocol} (${encoder} encoder): gzip bodies for traces, metrics left plain by their own variable`, async () => {
    receiver ??= await startOtlpReceiver();
    receiver.clear();
    const service = `gzip-${protocol.replace('/', '-')}-${encoder}`;
    const { appPort } = await app({
      OTEL_SERVICE_NAME: service,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      WUNDR_OTEL_OTLP_ENCODER: encoder,
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: 'none',
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_METRIC_EXPORT_INTERVAL: '300',
    });
    await request(appPort, '/');
    const r = receiver;
    await r.waitFor(
      () => ['traces', 'metrics'].every((s) => r.requests().some((q) => q.signal === s)) && r.spans().some((s) => s.resource['service.name'] === service),
      20000,
      'traces and metrics requests',
    );
    for (const q of r.requests().filter((x) => x.signal === 'traces')) assert.equal(q.headers['content-encoding'], 'gzip', 'traces compressed');
    for (const q of r.requests().filter((x) => x.signal === 'metrics')) assert.notEqual(q.headers['content-encoding'], 'gzip', 'metrics not compressed');
  });
}

test('grpc: grpc-encoding gzip, compressed messages that decode as OTLP spans', async () => {
  const seen: { encoding: string | undefined; compressedFlag: number; service: string | undefined }[] = [];
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      const flag = body[0] ?? -1;
      const len = body.readUInt32BE(1);
      let msg = body.subarray(5, 5 + len);
      if (flag === 1) msg = gunzipSync(msg);
      let service: string | undefined;
      if (String(headers[':path']).includes('TraceService')) {
        const decoded = decodeProtobuf('traces', msg) as { resourceSpans?: { resource?: { attributes?: { key: string; value: { stringValue?: string } }[] } }[] };
        service = decoded.resourceSpans?.[0]?.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue;
      }
      seen.push({ encoding: headers['grpc-encoding'] as string | undefined, compressedFlag: flag, service });
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      // An empty ExportTraceServiceResponse: flag 0, length 0.
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const { appPort } = await app({
      OTEL_SERVICE_NAME: 'gzip-grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip',
      OTEL_LOGS_EXPORTER: 'none',
    });
    await request(appPort, '/');
    await eventually(async () => {
      if (!seen.some((s) => s.service === 'gzip-grpc')) throw new Error(`no trace export yet (${JSON.stringify(seen)})`);
    }, 20000);
    const t = seen.find((s) => s.service === 'gzip-grpc')!;
    assert.equal(t.encoding, 'gzip');
    assert.equal(t.compressedFlag, 1, 'the message itself is compressed');
  } finally {
    server.close();
  }
});
