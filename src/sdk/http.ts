/**
 * HTTP instrumentation: incoming requests from Node's diagnostics_channel
 * (httpServerSpans.ts, cheaper than instrumentation-http's emit patch),
 * outgoing ones (spans and propagation) from the library instrumentations
 * of instrumentations.ts (instrumentation-http, instrumentation-undici for fetch).
 */
import { diag, type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import type { WundrOtelConfig } from '../config.ts';
import type { EndpointServer } from '../endpoint/EndpointServer.ts';
import { startHttpServerSpans } from './httpServerSpans.ts';
import { load } from './otlp.ts';
import { buildInstrumentations, isInstrumentationEnabled } from './instrumentations.ts';
import type { WundrContextManager } from './WundrContextManager.ts';

export interface HttpInstrumentationOptions {
  config: WundrOtelConfig;
  tracerProvider: TracerProvider;
  meterProvider: MeterProvider | undefined;
  contextManager: WundrContextManager;
  /** The context manager is the global one (the server spans enter their context in its ALS). */
  ownContext: boolean;
  endpoint: EndpointServer | undefined;
  /** Globals to release when the next SDK starts (the instrumentations are added). */
  owned?: (() => void)[];
}

/** Installs both (and the other instrumentations of the table); returns the function that stops the server spans, if they were started. */
export function installHttpInstrumentation(o: HttpInstrumentationOptions): (() => void) | undefined {
  const { tracerProvider, meterProvider, contextManager, endpoint } = o;
  let stopServerSpans: (() => void) | undefined;
  let serverSpans = o.config.tracing.httpServerSpans === 'diagnostics_channel';
  if (serverSpans && !(o.ownContext && contextManager.canEnter)) {
    diag.warn(
      `@wundr/otel: ${o.ownContext ? 'the context manager does not expose its AsyncLocalStorage' : 'another context manager is registered'}; incoming HTTP requests are traced by instrumentation-http`,
    );
    serverSpans = false;
  }
  if (serverSpans) {
    try {
      stopServerSpans = startHttpServerSpans({ tracerProvider, meterProvider, contextManager, skipServer: () => endpoint?.httpServer });
    } catch (err) {
      diag.error(`@wundr/otel: HTTP server spans could not be started: ${(err as Error).message}`);
      serverSpans = false;
    }
  }
  try {
    const { registerInstrumentations } = load('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
    const ctx = { config: o.config, serverSpansFromChannels: serverSpans, endpointPort: () => endpoint?.port };
    const unregister = registerInstrumentations({
      instrumentations: buildInstrumentations(ctx, (name, entry) => isInstrumentationEnabled(o.config.instrumentations, name, entry.defaultOn)),
      tracerProvider,
      meterProvider,
    });
    // Kept after shutdown like the other globals (outgoing requests still propagate), released by the next start.
    o.owned?.push(unregister);
  } catch (err) {
    diag.error(`@wundr/otel: instrumentations could not be installed: ${(err as Error).message}`);
  }
  return stopServerSpans;
}
