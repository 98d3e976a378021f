import { context, isSpanContextValid, propagation, trace, TraceFlags, type Context, type SpanContext } from '@opentelemetry/api';
import { parseTraceParent } from '@opentelemetry/core';
import { legacySpanId, legacyTraceId, randomSpanId } from './LegacyTraceIdPropagator.ts';
import { payloadGetter } from './payloadCarrier.ts';

/**
 * The trace context shape of the old in-house tracer
 * (`@wundr.io/orchestrator-daemon/monitoring`, tracing.ts), kept for callers
 * that still pass it around.
 */
export interface TraceContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly baggage: ReadonlyMap<string, string>;
}

function freeze(traceId: string, spanId: string, baggage: ReadonlyMap<string, string> = new Map(), parentSpanId?: string): TraceContext {
  return Object.freeze(parentSpanId ? { traceId, spanId, parentSpanId, baggage } : { traceId, spanId, baggage });
}

function baggageOf(ctx: Context): Map<string, string> {
  const out = new Map<string, string>();
  const b = propagation.getBaggage(ctx);
  if (b) for (const [k, e] of b.getAllEntries()) out.set(k, e.value);
  return out;
}

/**
 * The old tracer's static helpers, same names and call shapes, now backed by
 * the OTel propagation code and strict about their input: a malformed id
 * gives `undefined` (a fresh trace), where the old code passed it through.
 */
export class LegacyTracing {
  /** `00-{traceId}-{spanId}-01` (the old tracer only sent sampled contexts). */
  static toTraceparent(ctx: Pick<TraceContext, 'traceId' | 'spanId'>): string {
    return `00-${ctx.traceId}-${ctx.spanId}-01`;
  }

  /** Parses a W3C traceparent; `undefined` when malformed (bad length, non-hex, all-zero ids, bad version). */
  static fromTraceparent(header: string): TraceContext | undefined {
    if (typeof header !== 'string' || header.length > 512) return undefined;
    const p = parseTraceParent(header);
    return p && isSpanContextValid(p) ? freeze(p.traceId, p.spanId) : undefined;
  }

  /**
   * Reads a trace context from a WebSocket payload: `traceparent` first, then
   * the old `traceId` / `x-trace-id` / `trace_id` with `spanId` / `x-span-id`
   * / `span_id` keys. A missing span id is replaced by a random one.
   */
  static extractFromPayload(payload: Record<string, unknown>): TraceContext | undefined {
    try {
      const tp = payloadGetter.get(payload, 'traceparent');
      if (typeof tp === 'string') {
        const w3c = LegacyTracing.fromTraceparent(tp);
        if (w3c) return w3c;
      }
      const traceId = legacyTraceId(payloadGetter.get(payload, 'x-trace-id'));
      if (!traceId) return undefined;
      return freeze(traceId, legacySpanId(payloadGetter.get(payload, 'x-span-id')) ?? randomSpanId());
    } catch {
      return undefined;
    }
  }

  /** A copy of `payload` with `traceId`, `spanId`, `parentSpanId` (old readers) and `traceparent` (new readers). */
  static injectIntoPayload(ctx: TraceContext, payload: Record<string, unknown>): Record<string, unknown> {
    return {
      ...payload,
      traceId: ctx.traceId,
      spanId: ctx.spanId,
      parentSpanId: ctx.parentSpanId,
      traceparent: LegacyTracing.toTraceparent(ctx),
    };
  }

  /** The old shape for an OTel context (default: active); `undefined` without a valid span. */
  static fromContext(ctx: Context = context.active()): TraceContext | undefined {
    const sc = trace.getSpanContext(ctx);
    if (!sc || !isSpanContextValid(sc)) return undefined;
    return freeze(sc.traceId, sc.spanId, baggageOf(ctx));
  }

  /** An OTel context whose remote parent is the old-shape context (for `startSpan(..., ctx)`). */
  static toContext(tc: TraceContext, base: Context = context.active()): Context {
    const traceId = legacyTraceId(tc?.traceId);
    const spanId = legacySpanId(tc?.spanId);
    if (!traceId || !spanId) return base;
    const sc: SpanContext = { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true };
    let ctx = trace.setSpanContext(base, sc);
    if (tc.baggage && tc.baggage.size > 0) {
      const entries: Record<string, { value: string }> = {};
      for (const [k, v] of tc.baggage) entries[k] = { value: String(v) };
      ctx = propagation.setBaggage(ctx, propagation.createBaggage(entries));
    }
    return ctx;
  }
}
