import { trace, isSpanContextValid, type Context, type TextMapGetter, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';
import { parseTraceParent, W3CTraceContextPropagator } from '@opentelemetry/core';
import { parseTraceState } from './parseTraceState.ts';

/**
 * Longest traceparent worth looking at. Version 00 is exactly 55 chars; a
 * future version may append fields, but nothing legitimate is kilobytes long.
 */
const MAX_TRACEPARENT_LENGTH = 512;

/**
 * W3C Trace Context propagator with the current tracestate rules
 * (see parseTraceState.ts). `traceparent` is parsed by the OTel core parser
 * (version, lengths, lower-case hex, all-zero ids); an invalid traceparent
 * leaves the context untouched, so the next span starts a fresh trace, and
 * its tracestate is then not even read. Never throws on input.
 */
export class StrictTraceContextPropagator implements TextMapPropagator {
  private readonly core = new W3CTraceContextPropagator();

  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    this.core.inject(ctx, carrier, setter);
  }

  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    let header: unknown;
    try {
      header = getter.get(carrier, 'traceparent');
    } catch {
      return ctx;
    }
    // Several traceparent values cannot be told apart: the spec's test suite expects a new trace.
    if (Array.isArray(header) && header.length !== 1) return ctx;
    const value = Array.isArray(header) ? header[0] : header;
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TRACEPARENT_LENGTH) return ctx;
    const parsed = parseTraceParent(value);
    if (!parsed || !isSpanContextValid(parsed)) return ctx;
    let traceState;
    try {
      traceState = parseTraceState(getter.get(carrier, 'tracestate'));
    } catch {
      traceState = undefined;
    }
    return trace.setSpanContext(ctx, {
      traceId: parsed.traceId,
      spanId: parsed.spanId,
      traceFlags: parsed.traceFlags,
      isRemote: true,
      ...(traceState ? { traceState } : {}),
    });
  }

  fields(): string[] {
    return ['traceparent', 'tracestate'];
  }
}
