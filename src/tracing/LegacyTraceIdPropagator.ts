import { randomBytes } from 'node:crypto';
import { trace, isSpanContextValid, TraceFlags, type Context, type TextMapGetter, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';

export const LEGACY_TRACE_ID_FIELD = 'x-trace-id';
export const LEGACY_SPAN_ID_FIELD = 'x-span-id';

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';

/** A lower-cased 32-hex non-zero trace id, or undefined. Accepts upper-case hex (old senders). */
export function legacyTraceId(v: unknown): string | undefined {
  if (Array.isArray(v)) v = v[0];
  if (typeof v !== 'string' || v.length !== 32) return undefined;
  const l = v.toLowerCase();
  return TRACE_ID.test(l) && l !== ZERO_TRACE ? l : undefined;
}

/** A lower-cased 16-hex non-zero span id, or undefined. */
export function legacySpanId(v: unknown): string | undefined {
  if (Array.isArray(v)) v = v[0];
  if (typeof v !== 'string' || v.length !== 16) return undefined;
  const l = v.toLowerCase();
  return SPAN_ID.test(l) && l !== ZERO_SPAN ? l : undefined;
}

export function randomSpanId(): string {
  let id: string;
  do id = randomBytes(8).toString('hex');
  while (id === ZERO_SPAN);
  return id;
}

/**
 * The old wundr tracer's `x-trace-id` (+ optional `x-span-id`) header/field
 * (docs/TRACING.md. Put it BEFORE the W3C propagator in a composite, so a valid
 * `traceparent` in the same carrier wins. A valid id joins its trace; anything
 * else is ignored, so the next span starts a fresh trace. The old tracer sent
 * all-zero ids for unsampled traces, so a non-zero id means sampled. With
 * only a trace id, a random parent span id stands in for the unknown sender
 * span. Injection writes both fields, and is off unless `inject` is set
 * (OTEL_PROPAGATORS=…,xtraceid) so new peers are not sent duplicate context.
 */
export class LegacyTraceIdPropagator implements TextMapPropagator {
  private readonly injects: boolean;

  constructor(options: { inject?: boolean } = {}) {
    this.injects = options.inject ?? true;
  }

  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    if (!this.injects) return;
    const sc = trace.getSpanContext(ctx);
    if (!sc || !isSpanContextValid(sc) || isTracingSuppressed(ctx)) return;
    setter.set(carrier, LEGACY_TRACE_ID_FIELD, sc.traceId);
    setter.set(carrier, LEGACY_SPAN_ID_FIELD, sc.spanId);
  }

  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    try {
      const traceId = legacyTraceId(getter.get(carrier, LEGACY_TRACE_ID_FIELD));
      if (!traceId) return ctx;
      const spanId = legacySpanId(getter.get(carrier, LEGACY_SPAN_ID_FIELD)) ?? randomSpanId();
      return trace.setSpanContext(ctx, { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    } catch {
      return ctx;
    }
  }

  fields(): string[] {
    return this.injects ? [LEGACY_TRACE_ID_FIELD, LEGACY_SPAN_ID_FIELD] : [];
  }
}
