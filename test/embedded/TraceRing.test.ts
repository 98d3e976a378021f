/**
 * The recent-trace ring, fed by a real SDK TracerProvider and LoggerProvider:
 * bounds by count and bytes, errors and the slowest kept when it must evict,
 * log lines beside their trace, and the views built from it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { context, trace, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { hexTail32, TraceRing } from '../../src/embedded/TraceRing.ts';
import { legacySpan, listTraces, summarize, traceView } from '../../src/embedded/traceViews.ts';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

function setup(ring: TraceRing) {
  const resource = resourceFromAttributes({ 'service.name': 'svc-a' });
  const tp = new TracerProvider({ resource, spanProcessors: [ring.spanProcessor()] });
  const lp = new LoggerProvider({ resource, processors: [ring.logRecordProcessor()] });
  return { tracer: tp.getTracer('t'), logger: lp.getLogger('l') };
}

/** A trace of `children` child spans under one root, ending `durationMs` after it started. */
function makeTrace(tracer: Tracer, opts: { name?: string; children?: number; durationMs?: number; error?: boolean } = {}): string {
  const start = Date.now();
  const root = tracer.startSpan(opts.name ?? 'root', { startTime: start });
  const ctx = trace.setSpan(context.active(), root);
  for (let i = 0; i < (opts.children ?? 0); i++) {
    const c = tracer.startSpan(`child-${i}`, { startTime: start + i }, ctx);
    c.end(start + i + 1);
  }
  if (opts.error) root.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  root.end(start + (opts.durationMs ?? 1));
  return root.spanContext().traceId;
}

test('a trace is kept with its spans once its local root ends; the views have the documented shapes', () => {
  const ring = new TraceRing();
  const { tracer } = setup(ring);
  const id = makeTrace(tracer, { name: 'ws.message task', children: 5, durationMs: 40 });
  assert.equal(ring.size, 1);
  const s = summarize(ring.get(id)!);
  assert.deepEqual(s, { traceId: id, rootName: 'ws.message task', spanCount: 6, durationMs: 40, error: false, services: ['svc-a'] });
  const v = traceView(ring.get(id)!);
  assert.equal(v.spans.length, 6);
  assert.deepEqual(Object.keys(v.spans[0]!).sort(), ['attributes', 'durationMs', 'events', 'kind', 'name', 'parentSpanId', 'service', 'spanId', 'startTime', 'status'].sort());
  assert.equal(v.spans[0]!.name, 'ws.message task');
  assert.equal(v.spans[0]!.parentSpanId, '');
  assert.equal(v.spans[1]!.parentSpanId, v.spans[0]!.spanId);
  assert.equal(v.spans[0]!.kind, 'INTERNAL');
  const legacy = legacySpan(ring.get(id)!.spans[0]!);
  assert.equal(legacy.context.traceId, id);
  assert.equal(legacy.status, 'ok');
});

test('count bound: the oldest ordinary traces go first; errors and the slowest stay', () => {
  const ring = new TraceRing({ maxTraces: 8 });
  const { tracer } = setup(ring);
  const err = makeTrace(tracer, { error: true, durationMs: 1 });
  const slow = makeTrace(tracer, { durationMs: 5000 });
  const ordinary: string[] = [];
  for (let i = 0; i < 50; i++) ordinary.push(makeTrace(tracer, { durationMs: 2 }));
  assert.equal(ring.size, 8);
  assert.ok(ring.get(err), 'the error trace is kept');
  assert.ok(ring.get(slow), 'the slowest trace is kept');
  for (const id of ordinary.slice(-5)) assert.ok(ring.get(id), 'the newest ordinary traces are kept');
  // (The first one may stay: with the slow share not yet full, it was among the slowest.)
  for (const id of ordinary.slice(1, -6)) assert.equal(ring.get(id), undefined, 'older ordinary traces are gone');
  assert.equal(ring.evicted, 44);
  // Filters of GET /traces.
  assert.deepEqual(listTraces(ring.finished(), { error: true }).map((t) => t.traceId), [err]);
  assert.deepEqual(listTraces(ring.finished(), { minDurationMs: 1000 }).map((t) => t.traceId), [slow]);
  assert.equal(listTraces(ring.finished(), { limit: 3 }).length, 3);
  assert.equal(listTraces(ring.finished(), {})[0]!.traceId, ordinary.at(-1), 'newest first');
});

test('errors beyond their share age out too: the ring never holds more than maxTraces', () => {
  const ring = new TraceRing({ maxTraces: 8 });
  const { tracer } = setup(ring);
  const errs: string[] = [];
  for (let i = 0; i < 40; i++) errs.push(makeTrace(tracer, { error: true }));
  assert.equal(ring.size, 8);
  assert.ok(ring.get(errs.at(-1)!));
  assert.equal(ring.get(errs[0]!), undefined);
});

test('byte bound: big traces are dropped until the estimate fits', () => {
  const ring = new TraceRing({ maxTraces: 10_000, maxBytes: 256 * 1024 });
  const { tracer } = setup(ring);
  for (let i = 0; i < 400; i++) makeTrace(tracer, { children: 20 });
  assert.ok(ring.bytes <= 256 * 1024, `bytes ${ring.bytes}`);
  assert.ok(ring.size > 10 && ring.size < 400, `size ${ring.size}`);
});

test('a late child makes a finished trace longer or failed, and it moves to the tier it now belongs in', () => {
  const ring = new TraceRing({ maxTraces: 8 });
  const { tracer } = setup(ring);
  // A fire-and-forget root: ends before its child.
  const start = Date.now();
  const root = tracer.startSpan('ws.client send', { startTime: start });
  root.end(start + 1);
  const id = root.spanContext().traceId;
  for (let i = 0; i < 4; i++) makeTrace(tracer, { durationMs: 100 });
  const late = tracer.startSpan('session', { startTime: start + 2 }, trace.setSpan(context.active(), root));
  late.setStatus({ code: SpanStatusCode.ERROR });
  late.end(start + 9000);
  assert.equal(ring.get(id)!.durationMs, 9000);
  assert.equal(ring.get(id)!.error, true);
  for (let i = 0; i < 30; i++) makeTrace(tracer, { durationMs: 2 });
  assert.ok(ring.get(id), 'kept as an error trace');
});

test('a root that never ends is closed after the pending timeout', () => {
  let now = 1_000_000;
  const ring = new TraceRing({ pendingTimeoutMs: 1000, now: () => now });
  const { tracer } = setup(ring);
  const root = tracer.startSpan('open root');
  const child = tracer.startSpan('child', {}, trace.setSpan(context.active(), root));
  child.end();
  assert.equal(ring.size, 0);
  now += 2000;
  makeTrace(tracer);
  assert.equal(ring.get(root.spanContext().traceId)?.finished, true);
  assert.equal(ring.size, 2);
});

test('log lines emitted inside a span are kept beside its trace; clearFinished empties the ring', () => {
  const ring = new TraceRing();
  const { tracer, logger } = setup(ring);
  const root = tracer.startSpan('root');
  context.with(trace.setSpan(context.active(), root), () => {
    logger.emit({ body: 'Task delegated', severityText: 'INFO', attributes: { component: 'Daemon' } });
  });
  logger.emit({ body: 'outside any span' });
  root.end();
  const v = traceView(ring.get(root.spanContext().traceId)!);
  assert.equal(v.logs.length, 1);
  assert.equal(v.logs[0]!.body, 'Task delegated');
  assert.equal(v.logs[0]!.severity, 'INFO');
  assert.equal(v.logs[0]!.spanId, root.spanContext().spanId);
  assert.equal(v.logs[0]!.attributes.component, 'Daemon');
  ring.clearFinished();
  assert.equal(ring.size, 0);
  assert.equal(ring.bytes, 0);
});

test('a sudden burst is rate-limited after its first hundred roots, not after a whole second of keeping everything', () => {
  let now = 5_000_000;
  const ring = new TraceRing({ maxTraces: 200, now: () => now });
  const { tracer } = setup(ring);
  // 5,000 traces within 50 ms of the first one: the first window closes early.
  for (let i = 0; i < 5000; i++) {
    if (i % 100 === 0) now += 1;
    makeTrace(tracer, { durationMs: 1 });
  }
  assert.ok(ring.passedOver > 4500, `passed over ${ring.passedOver}`);
  // Without the early estimate every one of them was taken in (and 4,800 evicted).
  assert.ok(ring.evicted < 300, `evicted ${ring.evicted}`);
});

test('above tracesPerSecond, ordinary traces are passed over by trace id (never held); errors and slow ones are not', () => {
  let now = 5_000_000;
  const ring = new TraceRing({ maxTraces: 100, tracesPerSecond: 10, now: () => now });
  const { tracer } = setup(ring);
  // One second at 1000 traces/s sets the keep ratio to about 1 %.
  for (let i = 0; i < 1000; i++) makeTrace(tracer, { durationMs: 1 });
  now += 1000;
  ring.passedOver = 0;
  const kept: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const id = makeTrace(tracer, { durationMs: 1 });
    if (ring.get(id)) kept.push(id);
  }
  assert.ok(ring.passedOver > 900, `passed over ${ring.passedOver}`);
  assert.ok(kept.length < 100, `kept ${kept.length}`);
  const err = makeTrace(tracer, { error: true, durationMs: 1 });
  assert.ok(ring.get(err), 'an error is always kept');
  const slow = makeTrace(tracer, { durationMs: 60_000 });
  assert.ok(ring.get(slow), 'a trace slower than the slowest kept is kept');
  // A child ending after its root: the same decision as the root, by trace id.
  const start = Date.now();
  let passed: ReturnType<typeof tracer.startSpan> | undefined;
  for (let i = 0; i < 200 && !passed; i++) {
    const root = tracer.startSpan('fire and forget', { startTime: start });
    root.end(start + 1);
    if (!ring.get(root.spanContext().traceId)) passed = root;
  }
  assert.ok(passed, 'some root was passed over');
  tracer.startSpan('late child', { startTime: start }, trace.setSpan(context.active(), passed)).end(start + 2);
  assert.equal(ring.get(passed.spanContext().traceId), undefined, 'its late child is passed over too');
});

test('hexTail32 reads the last 8 hex digits of an id as parseInt does', () => {
  const digits = '0123456789abcdefABCDEF';
  for (let n = 0; n < 2000; n++) {
    let id = '';
    for (let i = 0; i < 32; i++) id += digits[Math.floor(Math.random() * digits.length)];
    assert.equal(hexTail32(id), parseInt(id.slice(24), 16), id);
  }
  assert.equal(hexTail32('0'.repeat(24) + 'ffffffff'), 0xffffffff);
  assert.equal(hexTail32('0'.repeat(32)), 0);
});
