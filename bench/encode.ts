/**
 * Encoding cost per span and per log record: the stock
 * @opentelemetry/otlp-transformer ProtobufTraceSerializer /
 * ProtobufLogsSerializer (a batch of 512 encoded in one go) against the
 * package's BatchBuilder (each item encoded as it comes, then the request
 * framed), on the same SDK objects in the same process.
 *
 * The spans look like the HTTP server spans the preload makes (11
 * attributes: method, route, status code, URL path with an id, ports,
 * addresses, user agent), ended by a real TracerProvider; the log records
 * like the package's request logs (message body, 6 attributes, span context).
 * Rounds are interleaved (stock, ours, ours, stock, ...) so CPU drift on a
 * shared machine hits both alike; the report is the median per round and the
 * ratio of the medians.
 *
 *   node build/bench/encode.js [rounds] [batchesPerRound]
 */
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { LoggerProvider, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BatchBuilder } from '../src/sdk/encoder/BatchBuilder.ts';
import { encodeSpan } from '../src/sdk/encoder/encodeSpan.ts';
import { encodeLogRecord } from '../src/sdk/encoder/encodeLogRecord.ts';

const ROUNDS = Number(process.argv[2] ?? 15);
const BATCHES = Number(process.argv[3] ?? 40);
const BATCH = 512;

const resource = resourceFromAttributes({
  'service.name': 'bench-server',
  'service.instance.id': '7f0c1c3e-8a51-4b8e-9a59-0d0b4d0f8a11',
  'host.name': 'bench',
  'process.pid': 4242,
  'telemetry.sdk.name': 'opentelemetry',
  'telemetry.sdk.language': 'nodejs',
});

function makeSpans(): ReadableSpan[] {
  const spans: ReadableSpan[] = [];
  const provider = new TracerProvider({
    resource,
    sampler: new AlwaysOnSampler(),
    spanProcessors: [{ onStart() {}, onEnd: (s) => void spans.push(s), forceFlush: async () => {}, shutdown: async () => {} }],
  });
  const tracer = provider.getTracer('@wundr/otel', '0.1.0');
  const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true });
  for (let i = 0; i < BATCH; i++) {
    const span = tracer.startSpan(
      i % 3 === 0 ? 'GET /api/users/:id' : 'POST /api/orders',
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': i % 3 === 0 ? 'GET' : 'POST',
          'http.route': i % 3 === 0 ? '/api/users/:id' : '/api/orders',
          'http.response.status_code': i % 17 === 0 ? 500 : 200,
          'url.path': `/api/users/${1000 + i}`,
          'url.scheme': 'http',
          'server.address': '127.0.0.1',
          'server.port': 8080,
          'client.address': '127.0.0.1',
          'network.protocol.version': '1.1',
          'user_agent.original': 'autocannon/9.0.0',
          'http.request.body.size': 0,
        },
      },
      i % 2 === 0 ? parent : ROOT_CONTEXT,
    );
    span.end();
  }
  return spans;
}

function makeLogs(spans: ReadableSpan[]): ReadableLogRecord[] {
  const records: ReadableLogRecord[] = [];
  const provider = new LoggerProvider({
    resource,
    processors: [{ onEmit: (r) => void records.push(r as unknown as ReadableLogRecord), forceFlush: async () => {}, shutdown: async () => {} }],
  });
  const logger = provider.getLogger('@wundr/otel', '0.1.0');
  for (let i = 0; i < BATCH; i++) {
    logger.emit({
      body: `request handled in ${(i % 50) / 10} ms`,
      severityNumber: 9,
      severityText: 'INFO',
      attributes: { component: 'http', method: 'GET', route: '/api/users/:id', status: 200, requestId: `req-${i}`, orchestratorId: 'orch-1' },
      context: trace.setSpanContext(ROOT_CONTEXT, spans[i]!.spanContext()),
    });
  }
  return records;
}

let sink = 0;
function stockSpans(items: ReadableSpan[]): void {
  sink += ProtobufTraceSerializer.serializeRequest(items)!.length;
}
const spanBuilder = new BatchBuilder<ReadableSpan>(encodeSpan);
function ourSpans(items: ReadableSpan[]): void {
  for (const s of items) spanBuilder.add(s);
  sink += spanBuilder.cut().bytes.length;
}
function stockLogs(items: ReadableLogRecord[]): void {
  sink += ProtobufLogsSerializer.serializeRequest(items)!.length;
}
const logBuilder = new BatchBuilder<ReadableLogRecord>(encodeLogRecord);
function ourLogs(items: ReadableLogRecord[]): void {
  for (const r of items) logBuilder.add(r);
  sink += logBuilder.cut().bytes.length;
}

/** Nanoseconds per item of `batches` runs of `fn` over `items`. */
function time<T>(fn: (items: T[]) => void, items: T[]): number {
  const t0 = process.hrtime.bigint();
  for (let b = 0; b < BATCHES; b++) fn(items);
  return Number(process.hrtime.bigint() - t0) / (BATCHES * items.length);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function main(): void {
  const spans = makeSpans();
  const logs = makeLogs(spans);
  const cases = [
    { name: 'span, stock ProtobufTraceSerializer', run: () => time(stockSpans, spans) },
    { name: 'span, @wundr/otel BatchBuilder', run: () => time(ourSpans, spans) },
    { name: 'log record, stock ProtobufLogsSerializer', run: () => time(stockLogs, logs) },
    { name: 'log record, @wundr/otel BatchBuilder', run: () => time(ourLogs, logs) },
  ];
  for (const c of cases) c.run(); // warm-up (JIT)
  const samples = cases.map(() => [] as number[]);
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? [0, 1, 2, 3] : [3, 2, 1, 0];
    for (const i of order) samples[i]!.push(cases[i]!.run());
  }
  const rows = cases.map((c, i) => ({ name: c.name, us: median(samples[i]!) / 1000 }));
  console.log(`encode cost per item (batches of ${BATCH}, ${ROUNDS} interleaved rounds × ${BATCHES} batches, median; node ${process.version})`);
  console.log('| case | µs per item | ratio to stock |');
  console.log('|---|---:|---:|');
  for (let i = 0; i < rows.length; i++) {
    const stock = rows[i - (i % 2)]!.us;
    console.log(`| ${rows[i]!.name} | ${rows[i]!.us.toFixed(2)} | ${(rows[i]!.us / stock).toFixed(2)} |`);
  }
  if (sink === 0) console.log('nothing encoded');
}

main();
