/** In-process tracing harness: an SDK tracer provider with an in-memory exporter, and the package's propagators. */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator } from '@opentelemetry/core';
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { buildPropagators } from '../../src/tracing/feature.ts';
import { configureSpanHelpers, resetSpanHelpers } from '../../src/tracing/spans.ts';
import type { SpanTtlTracker } from '../../src/tracing/SpanTtlTracker.ts';
import type { PropagatorName } from '../../src/config.ts';

export interface Harness {
  provider: TracerProvider;
  exporter: InMemorySpanExporter;
  spans(): ReadableSpan[];
  close(): Promise<void>;
}

export function setupTracing(
  opts: { sampler?: Sampler; ttl?: SpanTtlTracker; propagators?: PropagatorName[]; processors?: SpanProcessor[]; shortCircuit?: boolean } = {},
): Harness {
  const exporter = new InMemorySpanExporter();
  const processors: SpanProcessor[] = [new SimpleSpanProcessor({ exporter }), ...(opts.processors ?? [])];
  const provider = new TracerProvider({
    sampler: opts.sampler ?? new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: processors,
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: buildPropagators({ propagators: opts.propagators ?? ['tracecontext', 'baggage'] }) }),
  );
  trace.setGlobalTracerProvider(provider);
  configureSpanHelpers({ tracerProvider: provider, ttl: opts.ttl, shortCircuitUnsampled: opts.shortCircuit ?? true });
  return {
    provider,
    exporter,
    spans: () => exporter.getFinishedSpans(),
    async close() {
      await provider.shutdown();
      resetSpanHelpers();
      await resetGlobals();
    },
  };
}

/** Shuts an in-process SDK down (if any) and clears the API's globals, so that the next test can register its own. */
export async function resetGlobals(sdk?: { shutdown(timeoutMs?: number): Promise<unknown> }): Promise<void> {
  await sdk?.shutdown(5000);
  trace.disable();
  propagation.disable();
  context.disable();
}

export const spanId = (s: ReadableSpan) => s.spanContext().spanId;
export const parentId = (s: ReadableSpan) => s.parentSpanContext?.spanId;
