import type { TextMapPropagator } from '@opentelemetry/api';
import { W3CBaggagePropagator } from '@opentelemetry/core';
import type { WundrOtelConfig } from '../config.ts';
import type { Feature } from '../feature.ts';
import { LegacyTraceIdPropagator } from './LegacyTraceIdPropagator.ts';
import { configureSpanHelpers, resetSpanHelpers } from './spans.ts';
import { configureGenAiContent, resetGenAiContent } from './genaiContent.ts';
import { SpanTtlTracker } from './SpanTtlTracker.ts';
import { StrictTraceContextPropagator } from './StrictTraceContextPropagator.ts';

/**
 * The propagators for OTEL_PROPAGATORS, in extraction order: the legacy
 * `x-trace-id` first (accepted on input whenever trace context is, written
 * only with `xtraceid`), then strict W3C trace context (wins when valid),
 * then baggage.
 */
export function buildPropagators(config: Pick<WundrOtelConfig, 'propagators'>): TextMapPropagator[] {
  const names = config.propagators;
  const list: TextMapPropagator[] = [];
  if (names.includes('tracecontext') || names.includes('xtraceid')) {
    list.push(new LegacyTraceIdPropagator({ inject: names.includes('xtraceid') }));
  }
  if (names.includes('tracecontext')) list.push(new StrictTraceContextPropagator());
  if (names.includes('baggage')) list.push(new W3CBaggagePropagator());
  return list;
}

/** True when a child of an unsampled parent can never be sampled (parent-based samplers). */
export function respectsUnsampledParent(config: WundrOtelConfig): boolean {
  return config.tracing.sampler.startsWith('parentbased_');
}

/**
 * Whether spans are recorded at all. When not (TRACING_ENABLED=false or no
 * trace exporter), src/sdk/traces.ts leaves the API's pass-through tracer in place and
 * the helpers return views of the caller's context without any work.
 */
export function recordsSpans(config: WundrOtelConfig): boolean {
  return config.tracing.enabled && config.tracing.exporters.length > 0;
}

/** The tracing part of the SDK: span TTL sweep and the span helpers' settings. */
export function tracingFeature(): Feature {
  let tracker: SpanTtlTracker | undefined;
  return {
    name: 'tracing',
    configure(b) {
      // Not a span processor: watching is one push per helper span, and no
      // callback runs for the process's other spans.
      if (recordsSpans(b.config)) tracker = new SpanTtlTracker({ ttlMs: b.config.tracing.spanTtlMs });
    },
    start(sdk) {
      configureSpanHelpers({
        tracerProvider: sdk.tracerProvider,
        shortCircuitUnsampled: respectsUnsampledParent(sdk.config),
        // Exporter none still participates with fresh non-recording ids; only TRACING_ENABLED=false forwards unchanged.
        disabled: !sdk.config.tracing.enabled,
        ttl: tracker,
      });
      configureGenAiContent({
        capture: recordsSpans(sdk.config) && sdk.config.tracing.genAiCaptureContent,
        redactKeys: sdk.config.logging.redactKeys,
        maxStringLength: sdk.config.logging.maxStringLength,
      });
      tracker?.start();
    },
    async shutdown() {
      await tracker?.shutdown();
      resetSpanHelpers();
      resetGenAiContent();
    },
  };
}
