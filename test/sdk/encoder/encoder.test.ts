/**
 * The encoder against the stock one: for generated spans and log records
 * (real SDK objects, made by OTel tracers and loggers), the request our
 * BatchBuilder encodes and the request otlp-transformer's
 * ProtobufTraceSerializer / ProtobufLogsSerializer makes of the same items
 * decode, with the complete OTLP messages, to the same thing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes, type Context, type Link } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { SamplingDecision, TracerProvider, type ReadableSpan, type Sampler, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { LoggerProvider, type LogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BatchBuilder } from '../../../src/sdk/encoder/BatchBuilder.ts';
import { encodeSpan } from '../../../src/sdk/encoder/encodeSpan.ts';
import { encodeLogRecord } from '../../../src/sdk/encoder/encodeLogRecord.ts';
import { decodeFull } from '../../support/otlpFullProto.ts';

const RUNS = Number(process.env.ORACLE_RUNS ?? 60);

// --- values ---------------------------------------------------------------
const LONG = 'x'.repeat(70_000);
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  // lone surrogates and other UTF-16 oddities
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom('', 'GET', 'POST', '/api/users/:id', 'é', '日本語', '\u{1F600}', '\ud800', LONG, `${LONG}é`) },
  { weight: 1, arbitrary: fc.string({ minLength: 100, maxLength: 400 }) },
);
const num = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -0, 1, -1, 200, 404, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53, -(2 ** 53), 2 ** 62, -(2 ** 63), 2 ** 63, 1e21, 0.5, NaN, Infinity, -Infinity),
  fc.double(),
  fc.maxSafeInteger(),
);
const primitive = fc.oneof(text, num, fc.boolean());
const attrValue = fc.oneof(
  { weight: 6, arbitrary: primitive },
  { weight: 1, arbitrary: fc.array(text, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.array(fc.oneof(num, fc.constant(null)), { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.array(fc.boolean(), { maxLength: 4 }) },
);
const key = fc.oneof(fc.constantFrom('http.request.method', 'http.route', 'http.response.status_code', 'service.name', 'url.path', '1', 'é', ''), fc.string({ maxLength: 10 }));
const attributes: fc.Arbitrary<Attributes> = fc.dictionary(key, attrValue, { maxKeys: 8 });
/** Log attributes and bodies may nest (AnyValue maps and arrays, bytes). */
const anyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    primitive,
    fc.uint8Array({ maxLength: 8 }),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(key, tie('v'), { maxKeys: 3 }),
  ),
})).v;
const hex = (n: number) => fc.array(fc.integer({ min: 0, max: 15 }), { minLength: n, maxLength: n }).map((a) => a.map((d) => d.toString(16)).join(''));
const traceId = hex(32).filter((h) => !/^0+$/.test(h));
const spanId = hex(16).filter((h) => !/^0+$/.test(h));
const traceState = fc.option(fc.constantFrom('vendor=abc', 'a=1,b=2', 'rojo=00f067aa0ba902b7'), { nil: undefined });
const hrTime = fc.tuple(fc.integer({ min: 0, max: 4_000_000_000 }), fc.integer({ min: 0, max: 999_999_999 }));

// --- spans ----------------------------------------------------------------
interface SpanSpec {
  provider: number;
  scope: number;
  name: string;
  kind: SpanKind;
  sampled: boolean;
  parent: { traceId: string; spanId: string; sampled: boolean; remote: boolean; traceState?: string } | null;
  attributes: Attributes;
  links: { traceId: string; spanId: string; sampled: boolean; remote: boolean; traceState?: string; attributes: Attributes }[];
  events: { name: string; attributes: Attributes; time: [number, number] }[];
  status: { code: SpanStatusCode; message?: string } | null;
  start: [number, number];
  durationNs: number;
}

const spanSpec: fc.Arbitrary<SpanSpec> = fc.record({
  provider: fc.integer({ min: 0, max: 1 }),
  scope: fc.integer({ min: 0, max: 3 }),
  name: text,
  kind: fc.constantFrom(SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER),
  sampled: fc.boolean(),
  parent: fc.option(fc.record({ traceId, spanId, sampled: fc.boolean(), remote: fc.boolean(), traceState }), { nil: null }),
  attributes,
  links: fc.array(fc.record({ traceId, spanId, sampled: fc.boolean(), remote: fc.boolean(), traceState, attributes }), { maxLength: 4 }),
  events: fc.array(fc.record({ name: text, attributes, time: hrTime }), { maxLength: 4 }),
  status: fc.option(fc.record({ code: fc.constantFrom(SpanStatusCode.UNSET, SpanStatusCode.OK, SpanStatusCode.ERROR), message: fc.option(text, { nil: undefined }) }), { nil: null }),
  start: hrTime,
  durationNs: fc.integer({ min: 0, max: 10_000_000_000 }),
});

/** Records or samples each span as its spec says (RECORD: traceFlags 0, still encoded when given to the builder). */
const specSampler: Sampler = {
  shouldSample: (_c, _t, _n, _k, attrs) => ({
    decision: attrs?.['test.sampled'] === false ? SamplingDecision.RECORD : SamplingDecision.RECORD_AND_SAMPLED,
  }),
  toString: () => 'spec',
};

function makeSpans(specs: SpanSpec[], limits: { attributeCountLimit: number; eventCountLimit: number; linkCountLimit: number }): ReadableSpan[] {
  const ended: ReadableSpan[] = [];
  const collect: SpanProcessor = {
    onStart() {},
    onEnd: (s) => void ended.push(s),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const resources: Resource[] = [
    resourceFromAttributes({ 'service.name': 'a', 'service.instance.id': 'i-1', 'process.pid': 42 }),
    resourceFromAttributes({ 'service.name': 'b', 'host.name': 'h', list: ['x', 'y'] }, { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' }),
  ];
  const providers = resources.map(
    (resource) => new TracerProvider({ resource, sampler: specSampler, spanProcessors: [collect], spanLimits: { ...limits, attributePerEventCountLimit: 3, attributePerLinkCountLimit: 3 } }),
  );
  const tracers = providers.map((p) => [
    p.getTracer('@wundr/otel', '0.1.0'),
    p.getTracer('scope-no-version'),
    p.getTracer('scope-schema', '2', { schemaUrl: 'https://example.com/schema' }),
    p.getTracer('scope-é', '', {}),
  ]);
  for (const s of specs) {
    let ctx: Context = ROOT_CONTEXT;
    if (s.parent) {
      ctx = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: s.parent.traceId,
        spanId: s.parent.spanId,
        traceFlags: s.parent.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
        isRemote: s.parent.remote,
        traceState: s.parent.traceState ? new TraceState(s.parent.traceState) : undefined,
      });
    }
    const links: Link[] = s.links.map((l) => ({
      context: { traceId: l.traceId, spanId: l.spanId, traceFlags: l.sampled ? 1 : 0, isRemote: l.remote, traceState: l.traceState ? new TraceState(l.traceState) : undefined },
      attributes: l.attributes,
    }));
    const span = tracers[s.provider]![s.scope]!.startSpan(
      s.name,
      { kind: s.kind, attributes: { ...s.attributes, 'test.sampled': s.sampled }, links, startTime: s.start },
      ctx,
    );
    for (const e of s.events) span.addEvent(e.name, e.attributes, e.time);
    if (s.status) span.setStatus(s.status);
    const endNs = s.start[1] + s.durationNs;
    span.end([s.start[0] + Math.floor(endNs / 1e9), endNs % 1e9]);
  }
  return ended;
}

function encodeOurs<T extends ReadableSpan | ReadableLogRecord>(items: T[], encode: (w: never, a: never, item: T) => void): Uint8Array {
  const b = new BatchBuilder<T>(encode as never);
  for (const item of items) b.add(item);
  return b.cut().bytes;
}

test('spans: our request decodes to what ProtobufTraceSerializer makes of the same spans', () => {
  fc.assert(
    fc.property(
      fc.array(spanSpec, { minLength: 1, maxLength: 12 }),
      fc.record({ attributeCountLimit: fc.constantFrom(3, 128), eventCountLimit: fc.constantFrom(2, 128), linkCountLimit: fc.constantFrom(1, 128) }),
      (specs, limits) => {
        const spans = makeSpans(specs, limits);
        assert.equal(spans.length, specs.length);
        const ours = decodeFull('traces', encodeOurs(spans, encodeSpan));
        const stock = decodeFull('traces', ProtobufTraceSerializer.serializeRequest(spans)!);
        assert.deepStrictEqual(ours, stock);
      },
    ),
    { numRuns: RUNS },
  );
});

test('spans: the builder starts over after each cut, and keeps grouping by resource and scope in order of first appearance', () => {
  fc.assert(
    fc.property(fc.array(spanSpec, { minLength: 1, maxLength: 8 }), fc.array(spanSpec, { minLength: 1, maxLength: 8 }), (a, b) => {
      const limits = { attributeCountLimit: 128, eventCountLimit: 128, linkCountLimit: 128 };
      const first = makeSpans(a, limits);
      const second = makeSpans(b, limits);
      const builder = new BatchBuilder<ReadableSpan>(encodeSpan);
      for (const s of first) builder.add(s);
      const one = builder.cut();
      for (const s of second) builder.add(s);
      const two = builder.cut();
      assert.equal(one.count, first.length);
      assert.equal(two.count, second.length);
      assert.deepStrictEqual(decodeFull('traces', one.bytes), decodeFull('traces', ProtobufTraceSerializer.serializeRequest(first)!));
      assert.deepStrictEqual(decodeFull('traces', two.bytes), decodeFull('traces', ProtobufTraceSerializer.serializeRequest(second)!));
    }),
    { numRuns: Math.ceil(RUNS / 3) },
  );
});

test('spans: the common span (repeating keys and values, served from the byte cache) encodes as the stock one does', () => {
  const spans = makeSpans(
    Array.from({ length: 300 }, (_, i) => ({
      provider: 0,
      scope: i % 2,
      name: i % 3 === 0 ? 'GET /api/users/:id' : 'POST /api/orders',
      kind: SpanKind.SERVER,
      sampled: true,
      parent: i % 4 === 0 ? { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), sampled: i % 8 === 0, remote: true } : null,
      attributes: { 'http.request.method': i % 3 === 0 ? 'GET' : 'POST', 'http.route': '/api/users/:id', 'http.response.status_code': 200 + (i % 5), 'url.path': `/api/users/${i}`, 'server.port': 8080, 'network.protocol.version': '1.1' },
      links: [],
      events: [],
      status: i % 7 === 0 ? { code: SpanStatusCode.ERROR, message: 'boom' } : null,
      start: [1_700_000_000, i * 1000],
      durationNs: 250_000 + i,
    })),
    { attributeCountLimit: 128, eventCountLimit: 128, linkCountLimit: 128 },
  );
  assert.deepStrictEqual(decodeFull('traces', encodeOurs(spans, encodeSpan)), decodeFull('traces', ProtobufTraceSerializer.serializeRequest(spans)!));
});

// --- log records ----------------------------------------------------------
interface LogSpec {
  provider: number;
  scope: number;
  body: unknown;
  hasBody: boolean;
  severityNumber: number | undefined;
  severityText: string | undefined;
  attributes: Record<string, unknown>;
  time: [number, number] | undefined;
  observed: [number, number];
  span: { traceId: string; spanId: string; sampled: boolean } | null;
  eventName: string | undefined;
}

const logSpec: fc.Arbitrary<LogSpec> = fc.record({
  provider: fc.integer({ min: 0, max: 1 }),
  scope: fc.integer({ min: 0, max: 2 }),
  body: anyValue,
  hasBody: fc.boolean(),
  severityNumber: fc.option(fc.integer({ min: 0, max: 24 }), { nil: undefined }),
  severityText: fc.option(text, { nil: undefined }),
  attributes: fc.dictionary(key, anyValue, { maxKeys: 6 }),
  time: fc.option(hrTime, { nil: undefined }),
  observed: hrTime,
  span: fc.option(fc.record({ traceId, spanId, sampled: fc.boolean() }), { nil: null }),
  eventName: fc.option(text, { nil: undefined }),
});

function makeLogs(specs: LogSpec[], attributeCountLimit: number): ReadableLogRecord[] {
  const emitted: ReadableLogRecord[] = [];
  const collect: LogRecordProcessor = {
    onEmit: (r) => void emitted.push(r as unknown as ReadableLogRecord),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const providers = [
    new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'a' }), processors: [collect], logRecordLimits: { attributeCountLimit } }),
    new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'b', n: 1 }, { schemaUrl: 'https://x/s' }), processors: [collect], logRecordLimits: { attributeCountLimit } }),
  ];
  const loggers = providers.map((p) => [p.getLogger('@wundr/otel', '0.1.0'), p.getLogger('other'), p.getLogger('schema', '1', { schemaUrl: 'https://x/scope' })]);
  for (const s of specs) {
    const context = s.span
      ? trace.setSpanContext(ROOT_CONTEXT, { traceId: s.span.traceId, spanId: s.span.spanId, traceFlags: s.span.sampled ? 1 : 0 })
      : ROOT_CONTEXT;
    loggers[s.provider]![s.scope]!.emit({
      ...(s.hasBody ? { body: s.body as never } : {}),
      severityNumber: s.severityNumber,
      severityText: s.severityText,
      attributes: s.attributes as never,
      timestamp: s.time,
      observedTimestamp: s.observed,
      context,
      eventName: s.eventName,
    });
  }
  return emitted;
}

test('log records: our request decodes to what ProtobufLogsSerializer makes of the same records', () => {
  fc.assert(
    fc.property(fc.array(logSpec, { minLength: 1, maxLength: 12 }), fc.constantFrom(2, 128), (specs, limit) => {
      const records = makeLogs(specs, limit);
      assert.equal(records.length, specs.length);
      const ours = decodeFull('logs', encodeOurs(records, encodeLogRecord));
      const stock = decodeFull('logs', ProtobufLogsSerializer.serializeRequest(records)!);
      assert.deepStrictEqual(ours, stock);
    }),
    { numRuns: RUNS },
  );
});

test('an item the encoder cannot read is refused whole: the request stays valid', () => {
  const spans = makeSpans([{ provider: 0, scope: 0, name: 'ok', kind: SpanKind.SERVER, sampled: true, parent: null, attributes: { a: 1 }, links: [], events: [], status: null, start: [1, 0], durationNs: 5 }], {
    attributeCountLimit: 128,
    eventCountLimit: 128,
    linkCountLimit: 128,
  });
  const builder = new BatchBuilder<ReadableSpan>(encodeSpan);
  builder.add(spans[0]!);
  const broken = Object.create(spans[0]!, { events: { value: null } }) as ReadableSpan;
  assert.throws(() => builder.add(broken));
  const batch = builder.cut();
  assert.equal(batch.count, 1);
  assert.deepStrictEqual(decodeFull('traces', batch.bytes), decodeFull('traces', ProtobufTraceSerializer.serializeRequest(spans)!));
});

test('a flood of distinct keys and values (past every cache bound) still encodes as the stock serializer does', () => {
  const limits = { attributeCountLimit: 128, eventCountLimit: 128, linkCountLimit: 128 };
  const builder = new BatchBuilder<ReadableSpan>(encodeSpan);
  for (let round = 0; round < 12; round++) {
    const spans = makeSpans(
      Array.from({ length: 100 }, (_, i) => ({
        provider: 0,
        scope: 0,
        name: 'flood',
        kind: SpanKind.SERVER,
        sampled: true,
        parent: null,
        // 3,600 distinct keys in all (past the 2,048 kept), each with many short values.
        attributes: Object.fromEntries(Array.from({ length: 3 }, (_, k) => [`key-${round}-${i}-${k}`, `v${(round * 7 + i) % 90}`]).concat([['shared', `value-${round}-${i}`]])),
        links: [],
        events: [],
        status: null,
        start: [1_700_000_000, i],
        durationNs: 1000,
      })),
      limits,
    );
    for (const s of spans) builder.add(s);
    assert.deepStrictEqual(decodeFull('traces', builder.cut().bytes), decodeFull('traces', ProtobufTraceSerializer.serializeRequest(spans)!));
  }
});
