import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { context, isSpanContextValid, propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { extractPayloadContext, headerGetter, injectPayloadContext } from '../../src/tracing/payloadCarrier.ts';
import { LegacyTracing } from '../../src/tracing/LegacyTracing.ts';
import { startSpan } from '../../src/tracing/spans.ts';
import { federationHeaders, llmTraceMetadata } from '../../src/tracing/agentSpans.ts';
import { setupTracing, type Harness } from './harness.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const TP = `00-${TRACE}-${SPAN}-01`;

let h: Harness;
beforeEach(() => {
  h = setupTracing();
});
afterEach(async () => {
  await h.close();
});

const sc = (ctx = ROOT_CONTEXT) => trace.getSpanContext(ctx);

test('WS payload: traceparent, tracestate and baggage fields are extracted', () => {
  const ctx = extractPayloadContext({ traceparent: TP, tracestate: 'congo=t61rcWkgMzE', baggage: 'user=alice', text: 'hi' }, ROOT_CONTEXT);
  assert.equal(sc(ctx)?.traceId, TRACE);
  assert.equal(sc(ctx)?.spanId, SPAN);
  assert.equal(sc(ctx)?.isRemote, true);
  assert.equal(sc(ctx)?.traceFlags, TraceFlags.SAMPLED);
  assert.equal(sc(ctx)?.traceState?.get('congo'), 't61rcWkgMzE');
  assert.equal(propagation.getBaggage(ctx)?.getEntry('user')?.value, 'alice');
});

test('WS payload: a tracestate with no valid member is dropped, the traceparent kept', () => {
  const ctx = extractPayloadContext({ traceparent: TP, tracestate: 'BAD=2,Nope=3' }, ROOT_CONTEXT);
  assert.equal(sc(ctx)?.traceId, TRACE);
  assert.equal(sc(ctx)?.traceState, undefined);
  const kept = extractPayloadContext({ traceparent: TP, tracestate: 'ok=1,BAD=2,foo@=3' }, ROOT_CONTEXT);
  assert.equal(sc(kept)?.traceState?.serialize(), 'ok=1,foo@=3', 'only the invalid member goes');
});

test('WS payload: legacy x-trace-id, and the old traceId/spanId keys, are accepted', () => {
  const a = extractPayloadContext({ 'x-trace-id': TRACE }, ROOT_CONTEXT);
  assert.equal(sc(a)?.traceId, TRACE);
  assert.ok(isSpanContextValid(sc(a)!));
  const b = extractPayloadContext({ traceId: TRACE.toUpperCase(), spanId: SPAN }, ROOT_CONTEXT);
  assert.equal(sc(b)?.traceId, TRACE, 'upper-case hex from old senders is lower-cased');
  assert.equal(sc(b)?.spanId, SPAN);
  const c = extractPayloadContext({ trace_id: TRACE, span_id: SPAN }, ROOT_CONTEXT);
  assert.equal(sc(c)?.spanId, SPAN);
});

test('WS payload: a valid traceparent wins over a legacy id in the same payload', () => {
  const other = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
  const ctx = extractPayloadContext({ traceparent: TP, 'x-trace-id': other }, ROOT_CONTEXT);
  assert.equal(sc(ctx)?.traceId, TRACE);
});

test('hostile values start a fresh trace and never throw', () => {
  const hostile: unknown[] = [
    { traceparent: `00-${'0'.repeat(32)}-${SPAN}-01` }, // all-zero trace id
    { traceparent: `00-${TRACE}-${'0'.repeat(16)}-01` }, // all-zero span id
    { traceparent: `00-${TRACE.slice(1)}-${SPAN}-01` }, // bad length
    { traceparent: `00-${TRACE.replace('4', 'g')}-${SPAN}-01` }, // non-hex
    { traceparent: `00-${TRACE.toUpperCase()}-${SPAN}-01` }, // upper case
    { traceparent: `ff-${TRACE}-${SPAN}-01` }, // forbidden version
    { traceparent: `00-${TRACE}-${SPAN}-01-extra` }, // version 00 with extra fields
    { traceparent: `${TP}${'x'.repeat(10_000)}` }, // oversized
    { traceparent: 42 },
    { traceparent: [TP, TP] }, // duplicated traceparent
    { traceparent: `${TP}, ${TP}` }, // duplicated, joined by an HTTP stack
    { traceparent: { toString: () => TP } },
    { 'x-trace-id': '0'.repeat(32) },
    { 'x-trace-id': 'not-a-trace-id' },
    { 'x-trace-id': TRACE + '0' },
    { baggage: `k=${'v'.repeat(100_000)}` },
    Object.create({ traceparent: TP }), // inherited, not own
    {
      get traceparent() {
        throw new Error('boom');
      },
    },
    new Proxy({}, { get: () => { throw new Error('proxy'); }, has: () => { throw new Error('proxy'); } }),
    null,
    'a string',
    42,
  ];
  for (const [i, p] of hostile.entries()) {
    const ctx = extractPayloadContext(p, ROOT_CONTEXT);
    assert.equal(sc(ctx), undefined, `no context from hostile carrier #${i}`);
    assert.equal(propagation.getBaggage(ctx), undefined);
    const span = startSpan('child', {}, ctx);
    assert.ok(isSpanContextValid(span.spanContext()));
    assert.notEqual(span.spanContext().traceId, TRACE, 'a fresh trace');
    span.end();
  }
});

test('injection writes traceparent (and tracestate, baggage) into the payload', () => {
  const span = startSpan('parent');
  const ctx = propagation.setBaggage(trace.setSpan(ROOT_CONTEXT, span), propagation.createBaggage({ tenant: { value: 't1' } }));
  const payload = injectPayloadContext({ type: 'x' } as Record<string, unknown>, ctx);
  assert.equal(payload.traceparent, `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
  assert.equal(payload.baggage, 'tenant=t1');
  assert.equal(payload['x-trace-id'], undefined, 'legacy field only with OTEL_PROPAGATORS=…,xtraceid');
  // Round trip.
  assert.equal(sc(extractPayloadContext(payload, ROOT_CONTEXT))?.spanId, span.spanContext().spanId);
  span.end();
  assert.doesNotThrow(() => injectPayloadContext(Object.freeze({}), ctx));
});

test('with OTEL_PROPAGATORS including xtraceid, injection also writes x-trace-id', async () => {
  await h.close();
  h = setupTracing({ propagators: ['tracecontext', 'baggage', 'xtraceid'] });
  const span = startSpan('parent');
  const payload = injectPayloadContext({} as Record<string, unknown>, trace.setSpan(ROOT_CONTEXT, span));
  assert.equal(payload['x-trace-id'], span.spanContext().traceId);
  assert.equal(payload['x-span-id'], span.spanContext().spanId);
  span.end();
});

test('federation headers carry traceparent and x-trace-id; LLM metadata carries the trace id', () => {
  const span = startSpan('delegate');
  const ctx = trace.setSpan(ROOT_CONTEXT, span);
  const headers = federationHeaders(ctx);
  assert.equal(headers.traceparent, `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
  assert.equal(headers['x-trace-id'], span.spanContext().traceId);
  const meta = llmTraceMetadata(ctx);
  assert.equal(meta.trace_id, span.spanContext().traceId);
  assert.equal(meta.traceparent, headers.traceparent);
  assert.deepEqual(federationHeaders(ROOT_CONTEXT), {});
  assert.deepEqual(llmTraceMetadata(ROOT_CONTEXT), {});
  span.end();
});

test('HTTP header getter: case-insensitive, x-trace-id from an old peer is accepted', () => {
  const ctx = propagation.extract(ROOT_CONTEXT, { 'X-Trace-Id': TRACE }, headerGetter);
  assert.equal(sc(ctx)?.traceId, TRACE);
});

test('old statics: toTraceparent / fromTraceparent / extractFromPayload / injectIntoPayload', () => {
  const tc = LegacyTracing.fromTraceparent(TP);
  assert.equal(tc?.traceId, TRACE);
  assert.equal(tc?.spanId, SPAN);
  assert.equal(LegacyTracing.toTraceparent(tc!), TP);
  assert.equal(LegacyTracing.fromTraceparent('00-abc-def-01'), undefined);
  assert.equal(LegacyTracing.fromTraceparent(`00-${'0'.repeat(32)}-${SPAN}-01`), undefined);

  const injected = LegacyTracing.injectIntoPayload(tc!, { type: 'task' });
  assert.equal(injected.traceId, TRACE);
  assert.equal(injected.spanId, SPAN);
  assert.equal(injected.type, 'task');
  assert.equal(injected.traceparent, TP);
  assert.deepEqual(
    { traceId: LegacyTracing.extractFromPayload(injected)?.traceId, spanId: LegacyTracing.extractFromPayload(injected)?.spanId },
    { traceId: TRACE, spanId: SPAN },
  );
  assert.equal(LegacyTracing.extractFromPayload({ traceId: TRACE })?.spanId.length, 16, 'a missing span id is made up');
  assert.equal(LegacyTracing.extractFromPayload({ traceId: 'nope' }), undefined);

  // Bridges to and from OTel contexts.
  const ctx = LegacyTracing.toContext(tc!, ROOT_CONTEXT);
  assert.equal(sc(ctx)?.traceId, TRACE);
  const span = startSpan('child', {}, ctx);
  const back = LegacyTracing.fromContext(trace.setSpan(ROOT_CONTEXT, span));
  assert.equal(back?.traceId, TRACE);
  span.end();
  assert.equal(h.spans()[0]?.parentSpanContext?.spanId, SPAN);
});

test('property: extraction from random and malformed carriers never throws and yields a valid context or none', () => {
  const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'.split('')), minLength: n, maxLength: n });
  const nearTraceparent = fc.oneof(
    fc.tuple(fc.constantFrom('00', '01', 'ff', 'zz', '0'), hex(32), hex(16), fc.constantFrom('00', '01', '03', 'x'), fc.string()).map(
      ([v, t, s, f, tail]) => `${v}-${t}-${s}-${f}${tail}`,
    ),
    fc.string({ maxLength: 80 }),
    fc.constant(TP),
  );
  const value = fc.oneof(
    nearTraceparent,
    fc.string({ maxLength: 600 }),
    fc.array(fc.string(), { maxLength: 4 }),
    fc.integer(),
    fc.constant(null),
    fc.object({ maxDepth: 1 }),
    hex(32),
  );
  const carrier = fc.oneof(
    fc.record(
      {
        traceparent: value,
        tracestate: value,
        baggage: value,
        'x-trace-id': value,
        traceId: value,
        spanId: value,
      },
      { requiredKeys: [] },
    ),
    fc.anything(),
  );
  fc.assert(
    fc.property(carrier, (c) => {
      const ctx = extractPayloadContext(c, ROOT_CONTEXT);
      const got = trace.getSpanContext(ctx);
      if (got !== undefined) {
        assert.ok(isSpanContextValid(got), 'an extracted context is valid');
        assert.equal(got.isRemote, true);
        assert.match(got.traceId, /^[0-9a-f]{32}$/);
        const ts = got.traceState?.serialize() ?? '';
        assert.ok(ts.length <= 512, 'bounded tracestate');
      }
      const bag = propagation.getBaggage(ctx);
      if (bag) assert.ok(bag.getAllEntries().length <= 180, 'bounded baggage');
      // The helpers accept whatever came out.
      startSpan('x', {}, ctx).end();
    }),
    { numRuns: 3000 },
  );
  void context;
});
