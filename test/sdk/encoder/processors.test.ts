/**
 * The encoding processors' batching and hand-over, through a real
 * TracerProvider / LoggerProvider and the real OTLP/HTTP exporter of
 * encoded requests, sending to a real OTLP receiver (test/support).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { ExportResultCode, isTracingSuppressed } from '@opentelemetry/core';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, SamplingDecision, TracerProvider } from '@opentelemetry/sdk-trace';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { BoundedExporter, type BatchExporter } from '../../../src/sdk/BoundedExporter.ts';
import { TelemetryDrops } from '../../../src/sdk/TelemetryDrops.ts';
import type { EncodedBatch } from '../../../src/sdk/encoder/BatchBuilder.ts';
import { createEncodedBatchExporter } from '../../../src/sdk/encoder/EncodedBatchExporter.ts';
import { LogRecordEncodingProcessor } from '../../../src/sdk/encoder/LogRecordEncodingProcessor.ts';
import { SpanEncodingProcessor } from '../../../src/sdk/encoder/SpanEncodingProcessor.ts';
import { startOtlpReceiver } from '../../support/otlpReceiver.ts';
import { decodeFull } from '../../support/otlpFullProto.ts';

const resource = resourceFromAttributes({ 'service.name': 'processors-test' });
const batch = { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 60_000, exportTimeoutMillis: 30_000 };

/** Keeps what it is given, answering when told (or at once). */
function recorder(answer: 'now' | 'later' = 'now') {
  const got: { batch: EncodedBatch; suppressed: boolean }[] = [];
  const pending: (() => void)[] = [];
  const exporter: BatchExporter<EncodedBatch> = {
    export(items, cb) {
      for (const b of items) got.push({ batch: b, suppressed: isTracingSuppressed(context.active()) });
      const done = () => cb({ code: ExportResultCode.SUCCESS });
      if (answer === 'now') done();
      else pending.push(done);
    },
    shutdown: async () => {},
  };
  return { exporter, got, answerAll: () => pending.splice(0).forEach((f) => f()) };
}

function tracerWith(processor: SpanEncodingProcessor) {
  const provider = new TracerProvider({ resource, sampler: new AlwaysOnSampler(), spanProcessors: [processor] });
  return { provider, tracer: provider.getTracer('t', '1') };
}

test('spans reach a real OTLP receiver through the exporter of encoded requests, gzip or not, with the configured headers', async () => {
  for (const compression of ['none', 'gzip']) {
    const rx = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_TRACES_COMPRESSION = compression;
    try {
      const drops = new TelemetryDrops();
      const inner = createEncodedBatchExporter('traces', { url: `${rx.url}/v1/traces`, headers: { 'x-tenant': 't1' }, timeoutMillis: 5000 });
      const exporter = new BoundedExporter(inner, { signal: 'traces', drops, countItems: (b) => b.reduce((n, x) => n + x.count, 0) });
      const { provider, tracer } = tracerWith(new SpanEncodingProcessor({ exporter, drops, ...batch }));
      for (let i = 0; i < 25; i++) tracer.startSpan(`s-${i}`, { attributes: { i, 'http.request.method': 'GET' } }).end();
      await provider.forceFlush();
      await rx.waitFor(() => rx.spans().length === 25, 5000, '25 spans');
      assert.deepEqual(rx.spans().map((s) => s.name), Array.from({ length: 25 }, (_, i) => `s-${i}`));
      assert.equal(rx.spans()[3]!.attributes.i, 3);
      const req = rx.requests().find((r) => r.signal === 'traces')!;
      assert.equal(req.contentType, 'application/x-protobuf');
      assert.equal(req.headers['x-tenant'], 't1');
      assert.equal(req.headers['content-encoding'], compression === 'gzip' ? 'gzip' : undefined);
      assert.deepEqual(drops.snapshot(), []);
      await provider.shutdown();
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_TRACES_COMPRESSION;
      await rx.close();
    }
  }
});

test('requests are cut at OTEL_BSP_MAX_EXPORT_BATCH_SIZE, handed over one at a time, and sent with tracing suppressed', async () => {
  const cm = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(cm);
  try {
    const r = recorder('later');
    const drops = new TelemetryDrops();
    const { provider, tracer } = tracerWith(new SpanEncodingProcessor({ exporter: r.exporter, drops, ...batch, maxExportBatchSize: 10 }));
    for (let i = 0; i < 35; i++) tracer.startSpan(`s-${i}`).end();
    // Three full requests were cut; the first is out, the others wait for its answer.
    assert.equal(r.got.length, 1);
    assert.equal(r.got[0]!.batch.count, 10);
    assert.equal(r.got[0]!.suppressed, true);
    r.answerAll();
    assert.equal(r.got.length, 2);
    r.answerAll();
    r.answerAll();
    assert.deepEqual(r.got.map((g) => g.batch.count), [10, 10, 10]);
    const flushed = provider.forceFlush();
    r.answerAll();
    await flushed;
    assert.deepEqual(r.got.map((g) => g.batch.count), [10, 10, 10, 5]);
    const names = r.got.flatMap((g) => ((decodeFull('traces', g.batch.bytes).resourceSpans as any[])[0].scopeSpans[0].spans as any[]).map((s) => s.name));
    assert.deepEqual(names, Array.from({ length: 35 }, (_, i) => `s-${i}`));
  } finally {
    context.disable();
  }
});

test('the delay cuts a partial request; recorded but unsampled spans are not encoded', async () => {
  const r = recorder();
  const drops = new TelemetryDrops();
  const processor = new SpanEncodingProcessor({ exporter: r.exporter, drops, ...batch, scheduledDelayMillis: 50 });
  const { provider, tracer } = tracerWith(processor);
  // A record-only sampler: the span is recording, its trace flags say unsampled.
  const recordOnly = new TracerProvider({ resource, spanProcessors: [processor], sampler: { shouldSample: () => ({ decision: SamplingDecision.RECORD }), toString: () => 'record-only' } });
  recordOnly.getTracer('t').startSpan('not-sampled').end();
  tracer.startSpan('kept').end();
  assert.equal(r.got.length, 0);
  for (const until = Date.now() + 5000; r.got.length === 0 && Date.now() < until; ) await new Promise((res) => setTimeout(res, 20));
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(r.got.length, 1);
  assert.equal(r.got[0]!.batch.count, 1);
  const spans = (decodeFull('traces', r.got[0]!.batch.bytes).resourceSpans as any[])[0].scopeSpans[0].spans as any[];
  assert.deepEqual(spans.map((s) => s.name), ['kept']);
  await provider.shutdown();
});

test('a request is cut at the byte bound whatever its count', async () => {
  const r = recorder();
  const drops = new TelemetryDrops();
  const { provider, tracer } = tracerWith(new SpanEncodingProcessor({ exporter: r.exporter, drops, ...batch, maxBatchBytes: 10_000 }));
  const big = 'x'.repeat(3000);
  for (let i = 0; i < 10; i++) tracer.startSpan(`s-${i}`, { attributes: { big } }).end();
  await provider.forceFlush();
  assert.ok(r.got.length >= 3, `${r.got.length} requests`);
  for (const g of r.got) assert.ok(g.batch.bytes.length < 10_000 + 4000, `${g.batch.bytes.length} bytes`);
  assert.equal(r.got.reduce((n, g) => n + g.batch.count, 0), 10);
});

test('past OTEL_BSP_MAX_QUEUE_SIZE items waiting, new spans are dropped at once and counted as queue_full', async () => {
  const r = recorder('later');
  const drops = new TelemetryDrops();
  const { provider, tracer } = tracerWith(new SpanEncodingProcessor({ exporter: r.exporter, drops, ...batch, maxQueueSize: 30, maxExportBatchSize: 10 }));
  // 10 in flight (not counted as waiting), then 30 waiting, then 5 over.
  for (let i = 0; i < 45; i++) tracer.startSpan(`s-${i}`).end();
  assert.equal(drops.get('traces', 'queue_full'), 5);
  const flushed = provider.forceFlush();
  for (let i = 0; i < 5; i++) r.answerAll(), await Promise.resolve();
  r.answerAll();
  await flushed;
  assert.equal(r.got.reduce((n, g) => n + g.batch.count, 0), 40);
});

test('log records reach a real OTLP receiver, with body, severity, attributes and span context', async () => {
  const rx = await startOtlpReceiver();
  try {
    const drops = new TelemetryDrops();
    const inner = createEncodedBatchExporter('logs', { url: `${rx.url}/v1/logs`, timeoutMillis: 5000 });
    const exporter = new BoundedExporter(inner, { signal: 'logs', drops, countItems: (b) => b.reduce((n, x) => n + x.count, 0) });
    const provider = new LoggerProvider({ resource, processors: [new LogRecordEncodingProcessor({ exporter, drops, ...batch })] });
    const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: 1 });
    provider.getLogger('l', '2').emit({ body: 'hello é', severityNumber: 13, severityText: 'WARN', attributes: { component: 'x', n: 2 }, context: ctx });
    await provider.forceFlush();
    await rx.waitFor(() => rx.logs().length === 1, 5000, 'the record');
    const [log] = rx.logs();
    assert.equal(log!.body, 'hello é');
    assert.equal(log!.severityNumber, 13);
    assert.equal(log!.severityText, 'WARN');
    assert.deepEqual(log!.attributes, { component: 'x', n: 2 });
    assert.equal(log!.traceId, 'c'.repeat(32));
    assert.equal(log!.scope.name, 'l');
    await provider.shutdown();
  } finally {
    await rx.close();
  }
});

test("a collector's partial-success answer is reported as the stock exporter reports it; an empty answer is a plain success", async () => {
  const { createServer } = await import('node:http');
  // ExportTraceServiceResponse { partial_success { rejected_spans: 2, error_message: "x" } }, and then an empty one.
  const answers = [Buffer.from([0x0a, 0x05, 0x08, 0x02, 0x12, 0x01, 0x78]), Buffer.alloc(0)];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(answers.shift()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const warnings: string[] = [];
  const { diag, DiagLogLevel } = await import('@opentelemetry/api');
  diag.setLogger({ error: () => {}, warn: (...a: unknown[]) => warnings.push(a.map(String).join(' ')), info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
  try {
    const { port } = server.address() as { port: number };
    const exporter = createEncodedBatchExporter('traces', { url: `http://127.0.0.1:${port}/v1/traces`, timeoutMillis: 5000 });
    const send = () => new Promise<number>((r) => exporter.export([{ bytes: new Uint8Array(0), count: 3 } as EncodedBatch], (res) => r(res.code)));
    assert.equal(await send(), ExportResultCode.SUCCESS);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /Partial Success.*"rejectedSpans":"?2"?.*"errorMessage":"x"/);
    assert.equal(await send(), ExportResultCode.SUCCESS);
    assert.equal(warnings.length, 1, 'an empty answer reports nothing');
    await exporter.shutdown();
  } finally {
    diag.disable();
    await new Promise((r) => server.close(r));
  }
});
