/**
 * The trace pipeline: exporter -> BoundedExporter -> BatchSpanProcessor (over
 * http/protobuf: SpanEncodingProcessor, encoding each span as it ends), and the tracer provider.
 */
import { trace, type TracerProvider as ApiTracerProvider } from '@opentelemetry/api';
import { BatchSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import type { WundrOtelConfig } from '../config.ts';
import type { SdkBuilder } from '../feature.ts';
import { BoundedExporter, waitingBatches } from './BoundedExporter.ts';
import { countEncoded, encodedOtlpExporter, encodesOtlp, load, otlpExporter } from './otlp.ts';
import { SpanEncodingProcessor } from './encoder/SpanEncodingProcessor.ts';
import { RedactingSpanProcessor } from './RedactingSpanProcessor.ts';
import { NonRecordingTracerProvider } from '../tracing/NonRecordingTracerProvider.ts';
import type { TelemetryDrops } from './TelemetryDrops.ts';

/** Adds one processor per configured span exporter (before the features add theirs). */
export function addTracePipelines(config: WundrOtelConfig, builder: SdkBuilder, drops: TelemetryDrops, bounded: BoundedExporter<unknown>[]): void {
  if (!config.tracing.enabled) return;
  if (config.tracing.exporters.length > 0 && config.logging.redactKeys.length > 0) {
    builder.spanProcessors.push(new RedactingSpanProcessor(config.logging.redactKeys));
  }
  for (const name of config.tracing.exporters) {
    if (name === 'otlp' && encodesOtlp(config.otlp.encoder, config.otlp.traces)) {
      // Spans encoded as they end (sdk/encoder/): the same bounded export, of requests instead of span lists.
      const exporter = new BoundedExporter(encodedOtlpExporter('traces', config.otlp.traces), {
        signal: 'traces',
        drops,
        maxWaitingBatches: waitingBatches(config.tracing.batch),
        countItems: countEncoded,
      });
      bounded.push(exporter as BoundedExporter<unknown>);
      builder.spanProcessors.push(new SpanEncodingProcessor({ exporter, drops, ...config.tracing.batch }));
      continue;
    }
    const inner: SpanExporter = name === 'otlp' ? otlpExporter('traces', config.otlp.traces) : new (load('@opentelemetry/sdk-trace').ConsoleSpanExporter)();
    const exporter = new BoundedExporter(inner, { signal: 'traces', drops, maxWaitingBatches: waitingBatches(config.tracing.batch), releaseOnRetryWait: true });
    bounded.push(exporter as BoundedExporter<unknown>);
    builder.spanProcessors.push(
      new BatchSpanProcessor({ exporter, ...config.tracing.batch, selfObsMeterProvider: drops.processorMeterProvider('traces') }),
    );
  }
}

/**
 * The tracer provider, registered globally. Tracing on without a trace
 * exporter: non-recording spans with fresh ids (NonRecordingTracerProvider),
 * so the service still participates in the trace. Tracing off: the API's
 * no-op tracer is left in place; it passes the incoming span context through
 * unchanged, so this service is invisible in the trace instead of a hole.
 */
export function startTracing(
  config: WundrOtelConfig,
  builder: SdkBuilder,
  owned: (() => void)[],
): { tracerProvider: ApiTracerProvider; sdkTracerProvider: TracerProvider | undefined } {
  if (!config.tracing.enabled) return { tracerProvider: trace.getTracerProvider(), sdkTracerProvider: undefined };
  if (config.tracing.exporters.length === 0) {
    const participating = new NonRecordingTracerProvider(builder.sampler);
    if (trace.setGlobalTracerProvider(participating)) owned.push(() => trace.disable());
    return { tracerProvider: participating, sdkTracerProvider: undefined };
  }
  const sdkTracerProvider = new TracerProvider({
    resource: builder.resource,
    sampler: builder.sampler,
    spanProcessors: builder.spanProcessors,
    // The stock provider reads no limits from the environment; config/limits.ts did.
    spanLimits: { ...config.tracing.limits },
  });
  if (trace.setGlobalTracerProvider(sdkTracerProvider)) owned.push(() => trace.disable());
  return { tracerProvider: sdkTracerProvider, sdkTracerProvider };
}
