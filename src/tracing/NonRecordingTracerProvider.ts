/**
 * A tracer provider for tracing without a trace exporter
 * (OTEL_TRACES_EXPORTER=none): every span is non-recording, but it has fresh
 * ids, so the service participates in the trace as the W3C processing model
 * asks (w3c/trace-context spec/30-processing-model.md): a request without a
 * valid traceparent starts a new trace, and every outgoing call carries the
 * current operation's span id as its parent-id. Logs then carry trace ids,
 * and downstream services see a valid, fresh context.
 *
 * The API's no-op tracer would pass the incoming context through unchanged
 * and send nothing when none came in; the SDK's tracer without processors
 * would build full recording spans nobody reads. This one does the least
 * that gives the ids: two random ids and the sampler's decision for the
 * sampled flag (so a downstream service samples as it would with export on).
 */
import {
  context as apiContext,
  isSpanContextValid,
  trace,
  TraceFlags,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { RandomIdGenerator, SamplingDecision, type Sampler } from '@opentelemetry/sdk-trace';

export class NonRecordingTracer implements Tracer {
  private readonly ids = new RandomIdGenerator();

  constructor(private readonly sampler: Sampler) {}

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = apiContext.active()): Span {
    const parent = options.root ? undefined : trace.getSpanContext(ctx);
    const valid = parent !== undefined && isSpanContextValid(parent);
    const traceId = valid ? parent.traceId : this.ids.generateTraceId();
    const parentCtx = options.root ? trace.deleteSpan(ctx) : ctx;
    let flags = TraceFlags.NONE;
    let traceState = valid ? parent.traceState : undefined;
    try {
      const r = this.sampler.shouldSample(parentCtx, traceId, name, options.kind ?? 0, options.attributes ?? {}, options.links ?? []);
      if (r.decision === SamplingDecision.RECORD_AND_SAMPLED) flags = TraceFlags.SAMPLED;
      if (r.traceState) traceState = r.traceState;
    } catch {
      // A sampler that throws leaves the span unsampled, as the SDK's tracer would not start it at all.
    }
    return trace.wrapSpanContext({
      traceId,
      spanId: this.ids.generateSpanId(),
      traceFlags: flags,
      ...(traceState ? { traceState } : {}),
    });
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, ctx: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, a?: SpanOptions | F, b?: Context | F, c?: F): ReturnType<F> {
    let options: SpanOptions = {};
    let ctx = apiContext.active();
    let fn: F;
    if (typeof a === 'function') fn = a;
    else if (typeof b === 'function') {
      options = a ?? {};
      fn = b;
    } else {
      options = a ?? {};
      ctx = b ?? ctx;
      fn = c as F;
    }
    const span = this.startSpan(name, options, ctx);
    return apiContext.with(trace.setSpan(ctx, span), fn as (s: Span) => ReturnType<F>, undefined, span);
  }
}

/** One tracer for every scope: nothing is recorded, so scopes need no separate state. */
export class NonRecordingTracerProvider implements TracerProvider {
  private readonly tracer: NonRecordingTracer;

  constructor(sampler: Sampler) {
    this.tracer = new NonRecordingTracer(sampler);
  }

  getTracer(): Tracer {
    return this.tracer;
  }
}
