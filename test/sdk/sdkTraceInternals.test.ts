/**
 * src/sdk/internals/sdk-trace.ts against the SDK's own attribute path: for
 * generated attributes (strings, numbers, booleans, undefined, empty keys,
 * a few non-primitives) and span limits, a span given them through
 * setPrimitiveAttributes/setPrimitiveAttribute ends with exactly the
 * attributes and dropped count of a span given them through
 * setAttributes/setAttribute. An upgrade that moves SpanImpl's bookkeeping
 * fails the detection test below instead of a trace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { trace, type Attributes, type AttributeValue } from '@opentelemetry/api';
import { AlwaysOnSampler, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { adoptPrimitiveAttributes, setPrimitiveAttribute, setPrimitiveAttributes } from '../../src/sdk/internals/sdk-trace.ts';

function tracerWith(limits: { attributeCountLimit?: number; attributeValueLengthLimit?: number }) {
  return new TracerProvider({ sampler: new AlwaysOnSampler(), spanLimits: limits }).getTracer('t');
}

const key = fc.oneof(fc.constantFrom('http.route', 'a', 'b', 'url.path', ''), fc.string({ maxLength: 6 }));
const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(undefined),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
);

test('sdk-trace: setPrimitiveAttributes and adoptPrimitiveAttributes give a span what setAttributes gives it, limits and dropped count included', () => {
  fc.assert(
    fc.property(
      fc.dictionary(key, value, { maxKeys: 14 }),
      fc.array(fc.tuple(key, fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.boolean())), { maxLength: 5 }),
      fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
      fc.option(fc.integer({ min: -1, max: 30 }), { nil: undefined }),
      fc.boolean(),
      (first, later, countLimit, lengthLimit, adopt) => {
        const tracer = tracerWith({ attributeCountLimit: countLimit, attributeValueLengthLimit: lengthLimit });
        const ours = tracer.startSpan('s');
        const stock = tracer.startSpan('s');
        const given = { ...first } as Attributes;
        assert.equal(adopt ? adoptPrimitiveAttributes(ours, given) : setPrimitiveAttributes(ours, given), true, 'the fast path is taken on an SDK span');
        stock.setAttributes(first as Attributes);
        for (const [k, v] of later) {
          setPrimitiveAttribute(ours, k, v);
          stock.setAttribute(k, v as AttributeValue);
        }
        ours.end();
        stock.end();
        const a = ours as unknown as ReadableSpan;
        const b = stock as unknown as ReadableSpan;
        assert.deepEqual(a.attributes, b.attributes);
        assert.deepEqual(Object.keys(a.attributes), Object.keys(b.attributes), 'same key order (the encoder writes them in it)');
        assert.equal(a.droppedAttributesCount, b.droppedAttributesCount);
      },
    ),
    { numRuns: 500 },
  );
});

test('sdk-trace: an ended span, a non-recording span and a foreign object take the API path', () => {
  const tracer = tracerWith({});
  const ended = tracer.startSpan('e');
  ended.end();
  assert.equal(setPrimitiveAttributes(ended, { a: 1 }), false);
  assert.deepEqual((ended as unknown as ReadableSpan).attributes, {});
  const nonRecording = trace.wrapSpanContext({ traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 0 });
  assert.equal(setPrimitiveAttributes(nonRecording, { a: 1 }), false);
  const calls: unknown[] = [];
  const foreign = { setAttributes: (x: unknown) => calls.push(x), setAttribute: () => undefined } as never;
  assert.equal(setPrimitiveAttributes(foreign, { a: 1 }), false);
  assert.deepEqual(calls, [{ a: 1 }]);
});

test('sdk-trace: SpanImpl keeps its attribute bookkeeping where the fast path looks', () => {
  const span = tracerWith({}).startSpan('s') as unknown as Record<string, unknown>;
  assert.equal(typeof span._attributesCount, 'number');
  assert.equal(typeof span._droppedAttributesCount, 'number');
  assert.equal(typeof span._ended, 'boolean');
  assert.equal(typeof span._spanLimits, 'object');
  assert.equal(typeof span.attributes, 'object');
});
