import { TraceFlags, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { EncodedBatch } from './BatchBuilder.ts';
import { encodeSpan } from './encodeSpan.ts';
import { EncodingBatcher, type EncodingBatcherOptions } from './EncodingBatcher.ts';

/**
 * A batch span processor that encodes each sampled span into OTLP protobuf
 * the moment it ends, into the current request, instead of holding the
 * span object until its batch is exported: the span becomes garbage while
 * young, and the encoding cost is spread over the requests instead of
 * stalling the event loop for a whole batch. The exporter receives
 * finished requests ({@link EncodedBatch}); the bytes decode to what the
 * stock ProtobufTraceSerializer makes of the same spans.
 *
 * @example
 * new TracerProvider({ spanProcessors: [new SpanEncodingProcessor({ exporter, signal: 'traces', drops, ...config.tracing.batch })] });
 */
export class SpanEncodingProcessor implements SpanProcessor {
  private readonly batcher: EncodingBatcher<ReadableSpan>;

  constructor(options: Omit<EncodingBatcherOptions, 'signal'>) {
    this.batcher = new EncodingBatcher<ReadableSpan>(encodeSpan, { ...options, signal: 'traces' });
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.batcher.add(span);
  }

  forceFlush(): Promise<void> {
    return this.batcher.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.batcher.shutdown();
  }
}

export type { EncodedBatch };
