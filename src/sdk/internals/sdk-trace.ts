/**
 * The one reach into @opentelemetry/sdk-trace's SpanImpl (pinned 3.1.1):
 * its attribute bookkeeping, `attributes` (public through ReadableSpan),
 * `_attributesCount`, `_droppedAttributesCount`, `_spanLimits` and
 * `_ended`.
 *
 * Why: every attribute that goes through the SDK is checked by
 * @opentelemetry/core's `isAnyValue`, which allocates a WeakSet per value
 * (it guards nested maps against cycles), and the attributes given to
 * `startSpan` are copied and checked twice (`cleanAttributes` before and
 * after the sampler). For the HTTP server span, 11 attributes whose values
 * are strings and numbers by construction, that was about 2 µs of the
 * request (docs/BENCHMARKS.md). Values here are only primitives, so no
 * check but their type is needed; the span limits are applied exactly as
 * the SDK applies them (count limit with the dropped count and its one
 * warning, strings cut at the value length limit).
 *
 * Detection: the span must carry the five members with their 3.x types;
 * otherwise (another SDK version, a non-recording span, a wrapper) the
 * attributes go through `span.setAttributes`, as before.
 * test/sdk/internals.test.ts gives generated attributes and limits to both
 * paths and fails when they differ.
 */
import { diag, type Attributes, type Span } from '@opentelemetry/api';

interface SpanImplAttributes {
  attributes: Record<string, unknown>;
  _attributesCount: number;
  _droppedAttributesCount: number;
  _spanLimits: { attributeCountLimit?: number; attributeValueLengthLimit?: number };
  _ended: boolean;
}

function isSpanImpl(s: object): s is SpanImplAttributes {
  const x = s as Partial<SpanImplAttributes>;
  return (
    typeof x._attributesCount === 'number' &&
    typeof x._droppedAttributesCount === 'number' &&
    typeof x._ended === 'boolean' &&
    typeof x._spanLimits === 'object' &&
    x._spanLimits !== null &&
    typeof x.attributes === 'object' &&
    x.attributes !== null
  );
}

/** The value length limit as @opentelemetry/core applies it: one that is not positive is ignored (the SDK already warned of it). */
function lengthLimitOf(span: SpanImplAttributes): number {
  const limit = span._spanLimits.attributeValueLengthLimit ?? Infinity;
  return limit > 0 ? limit : Infinity;
}

/** One valid key and primitive value, with the count limit (the dropped count and its one warning) and the length limit. */
function put(span: SpanImplAttributes, key: string, value: string | number | boolean, lengthLimit: number): void {
  const target = span.attributes;
  const isNew = !Object.hasOwn(target, key);
  if (isNew && span._attributesCount >= (span._spanLimits.attributeCountLimit ?? Infinity)) {
    span._droppedAttributesCount++;
    if (span._droppedAttributesCount === 1) diag.warn('Dropping extra attributes.');
    return;
  }
  target[key] = typeof value === 'string' && value.length > lengthLimit ? value.substring(0, lengthLimit) : value;
  if (isNew) span._attributesCount++;
}

function isPrimitive(value: unknown): value is string | number | boolean {
  const t = typeof value;
  return t === 'string' || t === 'number' || t === 'boolean';
}

/**
 * Sets attributes whose values are strings, numbers or booleans (others,
 * and undefined, go through `setAttribute` or are skipped as it skips
 * them) on a recording SDK span, with the SDK's limits and none of its
 * per-value allocations. Returns whether the fast path was taken.
 */
export function setPrimitiveAttributes(span: Span, attributes: Attributes): boolean {
  if (!isSpanImpl(span) || span._ended) {
    span.setAttributes(attributes);
    return false;
  }
  const lengthLimit = lengthLimitOf(span);
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined) continue;
    if (key.length === 0 || !isPrimitive(value)) span.setAttribute(key, value);
    else put(span, key, value, lengthLimit);
  }
  return true;
}

/**
 * As {@link setPrimitiveAttributes}, for a span that has no attribute yet
 * and an object the caller made for it and will not touch again: when
 * every value is a primitive within the limits, the object becomes the
 * span's attributes as it is (no property added one by one to an empty
 * object, no copy); otherwise the values go through
 * {@link setPrimitiveAttributes}.
 */
export function adoptPrimitiveAttributes(span: Span, attributes: Attributes): boolean {
  if (!isSpanImpl(span) || span._ended || span._attributesCount !== 0) return setPrimitiveAttributes(span, attributes);
  const lengthLimit = lengthLimitOf(span);
  let n = 0;
  for (const key in attributes) {
    const value = attributes[key];
    if (key.length === 0 || !isPrimitive(value) || (typeof value === 'string' && value.length > lengthLimit)) return setPrimitiveAttributes(span, attributes);
    n++;
  }
  if (n > (span._spanLimits.attributeCountLimit ?? Infinity)) return setPrimitiveAttributes(span, attributes);
  span.attributes = attributes as Record<string, unknown>;
  span._attributesCount = n;
  return true;
}

/** One primitive attribute (see {@link setPrimitiveAttributes}). */
export function setPrimitiveAttribute(span: Span, key: string, value: string | number | boolean): void {
  if (!isSpanImpl(span) || span._ended || key.length === 0) span.setAttribute(key, value);
  else put(span, key, value, lengthLimitOf(span));
}
