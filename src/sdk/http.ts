/**
 * HTTP instrumentation: incoming requests from Node's diagnostics_channel
 * (httpServerSpans.ts, cheaper than instrumentation-http's emit patch),
 * outgoing ones (spans and propagation) from instrumentation-http.
 */
import { diag, type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import type { WundrOtelConfig } from '../config.ts';
import type { EndpointServer } from '../endpoint/EndpointServer.ts';
import { startHttpServerSpans } from './httpServerSpans.ts';
import { load } from './otlp.ts';
import type { WundrContextManager } from './WundrContextManager.ts';

export interface HttpInstrumentationOptions {
  config: WundrOtelConfig;
  tracerProvider: TracerProvider;
  meterProvider: MeterProvider | undefined;
  contextManager: WundrContextManager;
  /** The context manager is the global one (the server spans enter their context in its ALS). */
  ownContext: boolean;
  endpoint: EndpointServer | undefined;
}

/** Installs both; returns the function that stops the server spans, if they were started. */
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
    const { HttpInstrumentation } = load('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
    const { registerInstrumentations } = load('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
    registerInstrumentations({
      instrumentations: [
        new HttpInstrumentation({
          // Outgoing requests (spans and propagation) always; incoming ones only with the escape hatch.
          disableIncomingRequestInstrumentation: serverSpans,
          // The endpoint traces its own requests; the instrumentation would add a duplicate.
          ignoreIncomingRequestHook: (req) => endpoint !== undefined && req.socket?.localPort === endpoint.port,
        }),
      ],
      tracerProvider,
      meterProvider,
    });
  } catch (err) {
    diag.error(`@wundr/otel: HTTP instrumentation could not be installed: ${(err as Error).message}`);
  }
  return stopServerSpans;
}
