/**
 * startSdk: the configuration in, a running SDK out. Each signal's pipeline
 * lives in its own module (traces.ts, logs.ts, metrics.ts, with otlp.ts and
 * prometheus.ts); this file assembles them, registers the globals and owns
 * the bounded shutdown.
 */
import { context, diag, DiagConsoleLogger, propagation, type TextMapPropagator } from '@opentelemetry/api';
import { diagLogLevelFromString, setGlobalErrorHandler } from '@opentelemetry/core';
import type { WundrOtelConfig } from '../config.ts';
import { EndpointServer, type Route } from '../endpoint/EndpointServer.ts';
import type { Feature, RunningSdk, SdkBuilder } from '../feature.ts';
import { defaultFeatures } from '../defaultFeatures.ts';
import type { BoundedExporter } from './BoundedExporter.ts';
import { createExportErrorHandler } from './exportErrorHandler.ts';
import { finalFlushBegins } from './internals/otlp-exporter-base.ts';
import { installHttpInstrumentation } from './http.ts';
import { addLogPipelines, startLogging } from './logs.ts';
import { startMetrics } from './metrics.ts';
import { metricsRoute } from './prometheus.ts';
import { buildPropagator, buildResource, buildSampler } from './resource.ts';
import { TelemetryDrops } from './TelemetryDrops.ts';
import { addTracePipelines, startTracing } from './traces.ts';
import { WundrContextManager } from './WundrContextManager.ts';

export interface StartOptions {
  /** Parts to assemble; defaults to every part of the package. */
  features?: Feature[];
  /** Extra propagators (after W3C trace-context and baggage). */
  propagators?: TextMapPropagator[];
  /** Install the library instrumentations (http, undici/fetch: src/sdk/instrumentations.ts). Default true. */
  httpInstrumentation?: boolean;
  /** Start the endpoint server (default: when metrics or health are enabled). */
  endpoint?: boolean;
}

/** A started SDK. `shutdown()` is one promise for everything, bounded by the configured timeout. */
export interface WundrSdk extends RunningSdk {
  /** Resolves when the endpoint is listening (or could not be). */
  readonly ready: Promise<void>;
  forceFlush(): Promise<void>;
  /** Flushes and stops everything; resolves `false` when it gave up at the timeout. */
  shutdown(timeoutMs?: number): Promise<boolean>;
  /** Telemetry not delivered, per signal and reason (served as wundr_otel_telemetry_dropped_total). */
  readonly telemetryDrops: TelemetryDrops;
}

let active: WundrSdk | undefined;
/** `active` is shutting down. */
let activeStopping = false;
/** Releases the API globals a stopped SDK registered (run by the next startSdk()). */
const stoppedGlobals: (() => void)[] = [];

/** The SDK started by `startSdk` (or the preload), if any. */
export function getSdk(): WundrSdk | undefined {
  return active;
}

/**
 * Assembles and starts the OpenTelemetry SDK for the orchestrator: resource,
 * propagation, sampler, traces/metrics/logs pipelines, HTTP instrumentation
 * and the endpoint. Registers the global providers.
 *
 * Propagation, the context manager and a tracer provider are installed even
 * when no span is exported (OTEL_TRACES_EXPORTER=none, TRACING_ENABLED=false),
 * so a service in the middle of a trace never breaks it.
 *
 * @example
 * const sdk = startSdk(loadConfig(process.env).config);
 * process.on('SIGTERM', () => sdk.shutdown());
 */
export function startSdk(config: WundrOtelConfig, options: StartOptions = {}): WundrSdk {
  if (active) {
    diag.warn(`@wundr/otel: the SDK is already started${activeStopping ? ' and still shutting down (await its shutdown() first)' : ''}; returning it`);
    return active;
  }
  // A stopped SDK of ours keeps its globals (a host serving on after shutdown keeps propagation);
  // they are released now, the ones it registered and no others, so that this one can register.
  for (const release of stoppedGlobals.splice(0)) release();
  diag.setLogger(new DiagConsoleLogger(), { logLevel: diagLogLevelFromString(config.diagLogLevel), suppressOverrideMessage: true });
  // One warning per kind of export error, then a periodic summary (the stock
  // handler prints a stack per failed batch for as long as a collector is down).
  setGlobalErrorHandler(createExportErrorHandler());
  const drops = new TelemetryDrops();

  const features = options.features ?? defaultFeatures();
  const resource = buildResource(config);
  const builder: SdkBuilder = {
    config,
    resource,
    views: [],
    metricProducers: [],
    metricReaders: [],
    spanProcessors: [],
    logRecordProcessors: [],
    routes: [],
    sampler: buildSampler(config),
  };

  // Export memory is bounded (one batch in flight, a few waiting) and every
  // item not delivered is counted, per signal and reason.
  const bounded: BoundedExporter<unknown>[] = [];
  addTracePipelines(config, builder, drops, bounded);
  addLogPipelines(config, builder, drops, bounded);
  for (const f of features) {
    try {
      f.configure?.(builder);
    } catch (err) {
      diag.error(`@wundr/otel: feature ${f.name} failed to configure: ${(err as Error).message}`);
    }
  }

  const contextManager = new WundrContextManager().enable();
  const ownContext = context.setGlobalContextManager(contextManager);
  const owned: (() => void)[] = [];
  if (ownContext) owned.push(() => context.disable());
  if (propagation.setGlobalPropagator(buildPropagator(config, options.propagators ?? []))) owned.push(() => propagation.disable());

  const { tracerProvider, sdkTracerProvider } = startTracing(config, builder, owned);
  const loggerProvider = startLogging(config, builder, owned);
  const { meterProvider, prometheus, stopDrain } = startMetrics(config, builder, drops, owned);

  const wantEndpoint = options.endpoint ?? (config.metrics.enabled || config.health.enabled);
  const endpoint = wantEndpoint ? endpointServer(config, [...(prometheus ? [metricsRoute(prometheus, meterProvider)] : []), ...builder.routes]) : undefined;

  const stopServerSpans =
    options.httpInstrumentation !== false
      ? installHttpInstrumentation({ config, tracerProvider, meterProvider, contextManager, ownContext, endpoint, owned })
      : undefined;

  const ready = endpoint ? endpoint.start().then(() => undefined) : Promise.resolve();

  const running: RunningSdk = { config, resource, tracerProvider, meterProvider, loggerProvider, endpoint };
  for (const f of features) {
    try {
      f.start?.(running);
    } catch (err) {
      diag.error(`@wundr/otel: feature ${f.name} failed to start: ${(err as Error).message}`);
    }
  }

  let stopping: Promise<boolean> | undefined;
  const sdk: WundrSdk = {
    ...running,
    ready,
    telemetryDrops: drops,
    async forceFlush() {
      // The processors hand their whole queues over at once: let the bounded
      // exporters take them, and wait until they are sent.
      for (const b of bounded) b.openForFlush();
      try {
        await Promise.allSettled([
          ...features.map((f) => f.forceFlush?.()),
          sdkTracerProvider?.forceFlush(),
          loggerProvider.forceFlush(),
          meterProvider?.forceFlush(),
        ]);
        await Promise.allSettled(bounded.map((b) => b.forceFlush()));
      } finally {
        for (const b of bounded) b.closeAfterFlush();
      }
    },
    shutdown(timeoutMs = config.shutdownTimeoutMs) {
      for (const b of bounded) b.openForFlush();
      // The program is ending: a collector that refuses now will not be there for a retry either.
      finalFlushBegins();
      stopping ??= boundedShutdown(timeoutMs, async () => {
        // Features first: they may still emit (last log lines, span TTL sweep).
        await Promise.allSettled(features.map((f) => f.shutdown?.()));
        // Requests still in flight end their spans on 'close'.
        stopServerSpans?.();
        await Promise.allSettled([
          sdkTracerProvider?.shutdown(),
          loggerProvider.shutdown(),
          meterProvider?.shutdown(),
          endpoint?.stop(),
        ]);
        stopDrain?.();
        for (const f of features) {
          try {
            f.stopped?.();
          } catch (err) {
            diag.debug(`@wundr/otel: ${f.name}: ${(err as Error).message}`);
          }
        }
      }).then((finished) => {
        if (active === sdk) {
          active = undefined;
          activeStopping = false;
          stoppedGlobals.push(...owned);
        }
        return finished;
      });
      if (active === sdk) activeStopping = true;
      return stopping;
    },
  };
  active = sdk;
  return sdk;
}

/** The endpoint server with its routes (/metrics first); a route that cannot be added is reported, not fatal. */
function endpointServer(config: WundrOtelConfig, routes: Route[]): EndpointServer {
  const endpoint = new EndpointServer({
    host: config.metrics.host,
    port: config.metrics.port,
    token: config.endpoint.token,
    adminToken: config.endpoint.adminToken,
  });
  for (const r of routes) {
    try {
      endpoint.addRoute(r);
    } catch (err) {
      diag.error((err as Error).message);
    }
  }
  return endpoint;
}

/** Runs `work`, resolving true when it finished and false when the bound ran out first. */
export function boundedShutdown(timeoutMs: number, work: () => Promise<void>): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      // Straight to stderr (one line, whatever OTEL_LOG_LEVEL says): the process is about to end.
      process.stderr.write(`@wundr/otel: shutdown did not finish within ${timeoutMs} ms; unsent telemetry was dropped\n`);
      resolve(false);
    }, timeoutMs);
    // Not unref()ed: the exporters' sockets are (otlp.ts), so this timer is
    // what keeps a finishing process alive for the flush, and never longer
    // than the bound.
    work().then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      (err: unknown) => {
        clearTimeout(timer);
        diag.error(`@wundr/otel: shutdown failed: ${(err as Error)?.message ?? String(err)}`);
        resolve(true);
      },
    );
  });
}
