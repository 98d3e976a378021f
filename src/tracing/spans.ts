/**
 * Generic span helpers on the OTel tracer (the domain spans of the
 * orchestrator are in agentSpans.ts).
 *
 * Hot path: when the parent is not sampled and the sampler is parent-based,
 * a child can never be sampled, so the helpers skip the SDK (id generation,
 * attribute cleaning, sampler) and return a non-recording span over the
 * parent's context; attributes are not even built. Spans that are recorded
 * are watched by the span TTL tracker.
 */
import {
  context,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version.ts';
import { ATTR } from './genai.ts';
import type { SpanTtlTracker } from './SpanTtlTracker.ts';

export interface SpanHelperSettings {
  /** Where spans come from; default: the global tracer provider. */
  tracerProvider?: TracerProvider;
  /**
   * Children of an unsampled parent become a non-recording view of the
   * parent without asking the SDK. True only when the sampler is
   * parent-based (the default); the tracing feature sets it from the config.
   */
  shortCircuitUnsampled?: boolean;
  /** Tracing is off (TRACING_ENABLED=false): every helper span is a view of its parent. */
  disabled?: boolean;
  /** Watches helper spans that are never ended. */
  ttl?: SpanTtlTracker | undefined;
}

const INVALID_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
/** The API's NonRecordingSpan class (not exported by name). */
const NonRecordingSpan = INVALID_SPAN.constructor as new (...args: never[]) => Span;

let tracer: Tracer | undefined;
let provider: TracerProvider | undefined;
let shortCircuit = true;
let disabled = false;
let ttl: SpanTtlTracker | undefined;

/** Sets where and how the helpers make spans (the tracing feature calls it at start). */
export function configureSpanHelpers(settings: SpanHelperSettings): void {
  provider = settings.tracerProvider;
  tracer = undefined;
  shortCircuit = settings.shortCircuitUnsampled ?? true;
  disabled = settings.disabled ?? false;
  ttl = settings.ttl;
}

/** Back to defaults (global provider, short-circuit on, no TTL). */
export function resetSpanHelpers(): void {
  configureSpanHelpers({});
}

/** The TTL tracker in use, if any (for its stats). */
export function spanTtlTracker(): SpanTtlTracker | undefined {
  return ttl;
}

function getTracer(): Tracer {
  return (tracer ??= (provider ?? trace.getTracerProvider()).getTracer(PACKAGE_NAME, PACKAGE_VERSION));
}

/**
 * The span to return without asking the SDK, or undefined to go on: a
 * non-recording view of an unsampled parent, or (tracing off) of any parent.
 */
export function skip(ctx: Context, root: boolean | undefined): Span | undefined {
  if (disabled) {
    if (root) return INVALID_SPAN;
    const p = trace.getSpan(ctx);
    return p === undefined ? INVALID_SPAN : trace.wrapSpanContext(p.spanContext());
  }
  if (!shortCircuit || root) return undefined;
  const p = trace.getSpan(ctx);
  if (p === undefined) return undefined;
  const sc = p.spanContext();
  if ((sc.traceFlags & TraceFlags.SAMPLED) !== 0 || !isSpanContextValid(sc)) return undefined;
  // The parent is itself a non-recording view (a remote or unsampled
  // context): hand it back, nothing to allocate; ending it is a no-op.
  return p instanceof NonRecordingSpan ? p : trace.wrapSpanContext(sc);
}

/** Starts a span through the SDK and has the TTL tracker watch it. */
export function begin(name: string, options: SpanOptions, ctx: Context): Span {
  const span = getTracer().startSpan(name, options, ctx);
  if (ttl !== undefined && span.isRecording()) ttl.track(span);
  return span;
}

/**
 * Starts a span as a child of `ctx` (default: the active context), through
 * the fast path described above. End it yourself, or use {@link runInSpan}.
 *
 * @example
 * const span = startSpan('queue.process', { attributes: { 'wundr.queue.name': 'tasks' } });
 * try { work(); } finally { span.end(); }
 */
export function startSpan(name: string, options: SpanOptions = {}, ctx: Context = context.active()): Span {
  return skip(ctx, options.root) ?? begin(name, options, ctx);
}

/** Marks a span failed: ERROR status with the message, `error.type`, and an exception event. Never throws. */
export function failSpan(span: Span, err: unknown, errorType?: string): void {
  if (!span.isRecording()) return;
  try {
    const e = err instanceof Error ? err : new Error(String(err));
    span.recordException(e);
    span.setAttribute(ATTR.ERROR_TYPE, errorType ?? errorTypeOf(e));
    span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
  } catch {
    // A hostile error object (throwing getters): the span stays as it is.
  }
}

/** A low-cardinality error type: the error's `code` when it is a short identifier, else its class name. */
export function errorTypeOf(err: unknown): string {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code)) return code;
    if (typeof code === 'number' && Number.isInteger(code)) return String(code);
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && /^[A-Za-z0-9_.$-]{1,64}$/.test(name)) return name;
  }
  return 'Error';
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Runs `fn` with `span` active, and ends the span when `fn` returns or its
 * promise settles; a throw or rejection fails the span and is rethrown.
 *
 * @example
 * const answer = await runInSpan(startChatSpan({ provider: 'openai', model: 'gpt-4o' }), () => client.chat(req));
 */
export function runInSpan<T>(span: Span, fn: (span: Span) => T, ctx: Context = context.active()): T {
  let out: T;
  try {
    out = context.with(trace.setSpan(ctx, span), fn, undefined, span);
  } catch (err) {
    failSpan(span, err);
    span.end();
    throw err;
  }
  if (isThenable(out)) {
    return (out as PromiseLike<unknown>).then(
      (v) => {
        span.end();
        return v;
      },
      (err: unknown) => {
        failSpan(span, err);
        span.end();
        throw err;
      },
    ) as T;
  }
  span.end();
  return out;
}

/** startSpan + runInSpan. */
export function withSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => T, ctx: Context = context.active()): T {
  return runInSpan(startSpan(name, options, ctx), fn, ctx);
}
