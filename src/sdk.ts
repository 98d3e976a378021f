import { randomUUID } from 'node:crypto';
import {
  context,
  diag,
  DiagConsoleLogger,
  metrics,
  propagation,
  trace,
  type TextMapPropagator,
  type TracerProvider as ApiTracerProvider,
} from '@opentelemetry/api';
import { logs } from '@opentelemetry/api';
import { logs as legacyLogs } from '@opentelemetry/api-logs';
import {
  CompositePropagator,
  diagLogLevelFromString,
  setGlobalErrorHandler,
} from '@opentelemetry/core';
import { hostname, arch } from 'node:os';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { InstrumentType, MeterProvider, MetricReader, PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { CUMULATIVE, GAUGE_INSTRUMENT } from './metrics/otelConstants.ts';
import type { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { createPrometheusSerializer } from './metrics/prometheusSerializer.ts';
import { drainIdleReaders } from './metrics/idleReaders.ts';
import type { WundrOtelConfig, OtlpSignalConfig, MetricsTemporality } from './config.ts';
import { EndpointServer } from './endpoint/EndpointServer.ts';
import { BoundedExporter } from './export/BoundedExporter.ts';
import { createExportErrorHandler } from './export/exportErrorHandler.ts';
import { TelemetryDrops } from './export/TelemetryDrops.ts';
import { RedactingSpanProcessor } from './tracing/RedactingSpanProcessor.ts';
import { WundrContextManager } from './tracing/WundrContextManager.ts';
import { startHttpServerSpans } from './instrument/httpServerSpans.ts';
import type { Feature, RunningSdk, SdkBuilder } from './feature.ts';
import { defaultFeatures } from './features.ts';
import { buildPropagators } from './tracing/feature.ts';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.ts';

export interface StartOptions {
  /** Parts to assemble; defaults to every part of the package. */
  features?: Feature[];
  /** Extra propagators (after W3C trace-context and baggage). */
  propagators?: TextMapPropagator[];
  /** Install HTTP instrumentation (@opentelemetry/instrumentation-http). Default true. */
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

// Loaded on demand: each of these pulls in its own transport stack, and the
// start-up budget (issue: preload <= 0.35 s) has no room for unused ones.
type Req = (id: string) => any;
const load: Req = (id) => require(id);

/**
 * The OTLP/HTTP exporters' agent, with every socket unref()ed: an export in
 * flight (a collector that accepts and never answers holds one for the
 * whole OTLP timeout, 10 s, and the next batch after it) must not keep a
 * finished app alive. The final flush is held open by the shutdown's own,
 * bounded timer instead. Loaded lazily, after the HTTP instrumentation.
 */
function unrefAgentFactory(protocol: string): import('node:http').Agent {
  const mod = (protocol === 'https:' ? load('node:https') : load('node:http')) as typeof import('node:http');
  const agent = new mod.Agent({ keepAlive: true });
  const create = agent.createConnection.bind(agent) as (...a: unknown[]) => import('node:net').Socket | undefined;
  (agent as unknown as { createConnection: (...a: unknown[]) => unknown }).createConnection = (...a: unknown[]) => {
    const socket = create(...a);
    socket?.unref?.();
    return socket;
  };
  return agent;
}

/** The transport inside an OTLP/HTTP exporter that waits between attempts (otlp-exporter-base RetryingTransport). */
interface RetryingTransport {
  _transport: { send(data: Uint8Array, timeoutMillis: number): Promise<unknown> };
  retry(data: Uint8Array, timeoutMillis: number, inMillis: number): Promise<unknown>;
}

/**
 * Makes an OTLP/HTTP exporter wait between retries on an unref()ed timer.
 * Its backoff timer is the one handle of an export that the socket agent
 * above cannot reach: with the collector refusing connections, a finished
 * program was held 15 s by the retries of its last batches before its final
 * flush could even start. The retries themselves are unchanged (same
 * schedule, same deadline). Returns false (and the exporter is used as it
 * is) when the exporter is not built the way otlp-exporter-base 0.301 builds
 * it; test/reliability checks that it is.
 */
export function unrefRetryTimers(exporter: unknown): boolean {
  const retrying = (exporter as { _delegate?: { _transport?: Partial<RetryingTransport> } })?._delegate?._transport;
  if (typeof retrying?.retry !== 'function' || typeof retrying._transport?.send !== 'function') return false;
  const inner = retrying._transport;
  retrying.retry = (data, timeoutMillis, inMillis) =>
    new Promise((resolve, reject) => {
      setTimeout(() => inner.send(data, timeoutMillis).then(resolve, reject), inMillis).unref();
    });
  return true;
}

function httpExporter<T>(exporter: T): T {
  if (!unrefRetryTimers(exporter)) diag.debug('@wundr/otel: the OTLP exporter has no retrying transport to adjust; its retry timers keep the process alive');
  return exporter;
}

function httpOpts(c: OtlpSignalConfig) {
  return { url: c.url, headers: c.headers, timeoutMillis: c.timeoutMs, httpAgentOptions: unrefAgentFactory };
}

function traceExporter(c: OtlpSignalConfig): SpanExporter {
  const opts = httpOpts(c);
  switch (c.protocol) {
    case 'http/json':
      return httpExporter(new (load('@opentelemetry/exporter-trace-otlp-http').OTLPTraceExporter)(opts));
    case 'grpc':
      return new (load('@opentelemetry/exporter-trace-otlp-grpc').OTLPTraceExporter)(grpcOpts(c));
    default:
      return httpExporter(new (load('@opentelemetry/exporter-trace-otlp-proto').OTLPTraceExporter)(opts));
  }
}

function logExporter(c: OtlpSignalConfig): LogRecordExporter {
  const opts = httpOpts(c);
  switch (c.protocol) {
    case 'http/json':
      return httpExporter(new (load('@opentelemetry/exporter-logs-otlp-http').OTLPLogExporter)(opts));
    case 'grpc':
      return new (load('@opentelemetry/exporter-logs-otlp-grpc').OTLPLogExporter)(grpcOpts(c));
    default:
      return httpExporter(new (load('@opentelemetry/exporter-logs-otlp-proto').OTLPLogExporter)(opts));
  }
}

/** The OTLP exporters' AggregationTemporalityPreference values (exporter-metrics-otlp-http). */
const TEMPORALITY_PREFERENCE = { delta: 0, cumulative: 1, lowmemory: 2 } as const;

function metricExporter(c: OtlpSignalConfig, temporality: MetricsTemporality): PushMetricExporter {
  const opts = { ...httpOpts(c), temporalityPreference: TEMPORALITY_PREFERENCE[temporality] };
  switch (c.protocol) {
    case 'http/json':
      return httpExporter(new (load('@opentelemetry/exporter-metrics-otlp-http').OTLPMetricExporter)(opts));
    case 'grpc':
      return new (load('@opentelemetry/exporter-metrics-otlp-grpc').OTLPMetricExporter)({ ...grpcOpts(c), temporalityPreference: TEMPORALITY_PREFERENCE[temporality] });
    default:
      return httpExporter(new (load('@opentelemetry/exporter-metrics-otlp-proto').OTLPMetricExporter)(opts));
  }
}

function grpcOpts(c: OtlpSignalConfig): Record<string, unknown> {
  // gRPC takes the bare authority, not the HTTP signal path.
  const u = new URL(c.url);
  return { url: `${u.protocol}//${u.host}`, timeoutMillis: c.timeoutMs, headers: c.headers };
}

export function buildSampler(config: WundrOtelConfig): Sampler {
  if (!config.tracing.enabled) return new AlwaysOffSampler();
  const ratio = () => new TraceIdRatioBasedSampler(config.tracing.samplerArg);
  switch (config.tracing.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * Host and process attributes, read synchronously. The stock detectors add
 * the command line (which can carry secrets) and settle some attributes
 * asynchronously; neither suits a preload.
 */
export function buildResource(config: WundrOtelConfig): Resource {
  return resourceFromAttributes({
    'telemetry.sdk.name': 'opentelemetry',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.distro.name': PACKAGE_NAME,
    'telemetry.distro.version': PACKAGE_VERSION,
    'host.name': hostname(),
    'host.arch': arch() === 'x64' ? 'amd64' : arch(),
    'process.pid': process.pid,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    'process.executable.name': process.title,
    ...config.resourceAttributes,
    'service.name': config.serviceName,
    ...(config.serviceVersion ? { 'service.version': config.serviceVersion } : {}),
    'service.instance.id': config.serviceInstanceId ?? randomUUID(),
  });
}

function buildPropagator(config: WundrOtelConfig, extra: TextMapPropagator[]): TextMapPropagator {
  // Legacy x-trace-id (input always, output with `xtraceid`), strict W3C
  // trace context (Level 2 tracestate rules), baggage: see tracing/feature.ts.
  const list: TextMapPropagator[] = buildPropagators(config);
  list.push(...extra);
  return new CompositePropagator({ propagators: list });
}

const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

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

  // Export memory is bounded (BoundedExporter: one batch in flight, a few
  // waiting) and every item not delivered is counted, per signal and reason.
  const waitingBatches = (b: { maxQueueSize: number; maxExportBatchSize: number }) =>
    Math.max(1, Math.ceil(b.maxQueueSize / b.maxExportBatchSize));
  const bounded: BoundedExporter<unknown>[] = [];
  if (config.tracing.enabled) {
    if (config.tracing.exporters.length > 0 && config.logging.redactKeys.length > 0) {
      builder.spanProcessors.push(new RedactingSpanProcessor(config.logging.redactKeys));
    }
    for (const name of config.tracing.exporters) {
      const inner: SpanExporter = name === 'otlp' ? traceExporter(config.otlp.traces) : new (load('@opentelemetry/sdk-trace').ConsoleSpanExporter)();
      const exporter = new BoundedExporter(inner, { signal: 'traces', drops, maxWaitingBatches: waitingBatches(config.tracing.batch) });
      bounded.push(exporter as BoundedExporter<unknown>);
      builder.spanProcessors.push(
        new BatchSpanProcessor({ exporter, ...config.tracing.batch, selfObsMeterProvider: drops.processorMeterProvider('traces') }),
      );
    }
  }
  for (const name of config.logging.exporters) {
    const inner: LogRecordExporter = name === 'otlp' ? logExporter(config.otlp.logs) : new (load('@opentelemetry/sdk-logs').ConsoleLogRecordExporter)();
    const exporter = new BoundedExporter(inner, { signal: 'logs', drops, maxWaitingBatches: waitingBatches(config.logging.batch) });
    bounded.push(exporter as BoundedExporter<unknown>);
    builder.logRecordProcessors.push(
      new BatchLogRecordProcessor({ exporter, ...config.logging.batch, selfObsMeterProvider: drops.processorMeterProvider('logs') }),
    );
  }

  for (const f of features) {
    try {
      f.configure?.(builder);
    } catch (err) {
      diag.error(`@wundr/otel: feature ${f.name} failed to configure: ${(err as Error).message}`);
    }
  }

  const contextManager = new WundrContextManager().enable();
  // The HTTP server spans enter their context in this manager's ALS: only when it is the global one.
  const ownContext = context.setGlobalContextManager(contextManager);
  const owned: (() => void)[] = [];
  if (ownContext) owned.push(() => context.disable());
  if (propagation.setGlobalPropagator(buildPropagator(config, options.propagators ?? []))) owned.push(() => propagation.disable());

  // With no span recorded anywhere, the API's no-op tracer is left in place:
  // it passes the incoming span context (ids and sampled flag) through
  // unchanged, so this service is invisible in the trace instead of a hole.
  const recording = config.tracing.enabled && config.tracing.exporters.length > 0;
  let tracerProvider: ApiTracerProvider = trace.getTracerProvider();
  let sdkTracerProvider: TracerProvider | undefined;
  if (recording) {
    sdkTracerProvider = new TracerProvider({
      resource,
      sampler: builder.sampler,
      spanProcessors: builder.spanProcessors,
    });
    if (trace.setGlobalTracerProvider(sdkTracerProvider)) owned.push(() => trace.disable());
    tracerProvider = sdkTracerProvider;
  }

  const loggerProvider = new LoggerProvider({ resource, processors: builder.logRecordProcessors });
  if (logs.setGlobalLoggerProvider(loggerProvider)) owned.push(() => logs.disable());
  // Bridges and instrumentations that still emit through the older
  // @opentelemetry/api-logs global reach the same provider (it answers with the provider it keeps).
  if (legacyLogs.setGlobalLoggerProvider(loggerProvider as never) === (loggerProvider as never)) owned.push(() => legacyLogs.disable());

  let meterProvider: MeterProvider | undefined;
  let stopDrain: (() => void) | undefined;
  let prometheus: { reader: MetricReader; serializer: PrometheusSerializer } | undefined;
  if (config.metrics.enabled) {
    const sm = load('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
    const readers: MetricReader[] = [];
    for (const name of config.metrics.exporters) {
      if (name === 'prometheus') {
        const { PrometheusExporter } = load('@opentelemetry/exporter-prometheus') as typeof import('@opentelemetry/exporter-prometheus');
        // Seed §3.1 lists each metric's labels exactly: no otel_scope_* labels.
        const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, metricProducers: builder.metricProducers });
        prometheus = { reader: exporter, serializer: createPrometheusSerializer({ withoutScopeInfo: true }) };
        readers.push(exporter);
      } else {
        const exporter = countingMetricExporter(name === 'otlp' ? metricExporter(config.otlp.metrics, config.metrics.temporality) : new sm.ConsoleMetricExporter(), drops);
        readers.push(
          new sm.PeriodicExportingMetricReader({
            exporter,
            exportIntervalMillis: config.metrics.exportIntervalMs,
            exportTimeoutMillis: config.metrics.exportTimeoutMs,
            metricProducers: builder.metricProducers,
          }),
        );
      }
    }
    readers.push(...builder.metricReaders);
    meterProvider = new sm.MeterProvider({ resource, readers, views: builder.views });
    const pull = readers.filter((r) => !(r instanceof sm.PeriodicExportingMetricReader));
    if (readers.length > 1 && pull.length > 0) stopDrain = drainIdleReaders(pull);
    if (metrics.setGlobalMeterProvider(meterProvider)) owned.push(() => metrics.disable());
    drops.register(meterProvider);
  }

  let endpoint: EndpointServer | undefined;
  const wantEndpoint = options.endpoint ?? (config.metrics.enabled || config.health.enabled);
  if (wantEndpoint) {
    endpoint = new EndpointServer({
      host: config.metrics.host,
      port: config.metrics.port,
      token: config.endpoint.token,
      adminToken: config.endpoint.adminToken,
    });
    if (prometheus) {
      const { reader, serializer } = prometheus;
      endpoint.addRoute({
        method: 'GET',
        path: '/metrics',
        // The exporter's collection and serializer (see prometheusSerializer.ts), answered here: with
        // the text format's version in the content type, and a 500 when the collection fails, so that
        // Prometheus marks the target down instead of storing an empty scrape.
        handler: (_req, res) => {
          reader.collect().then(
            ({ resourceMetrics, errors }) => {
              if (errors.length > 0) diag.error('@wundr/otel: /metrics: collection errors', ...errors);
              const body = serializer.serialize(resourceMetrics);
              res.statusCode = 200;
              res.setHeader('content-type', PROMETHEUS_CONTENT_TYPE);
              res.end(body);
            },
          ).catch((err: unknown) => {
            if (res.headersSent) return void res.destroy();
            res.statusCode = 500;
            res.setHeader('content-type', 'text/plain; charset=utf-8');
            res.end(`# failed to export metrics: ${(err as Error)?.message ?? String(err)}\n`);
          });
          return 'handled';
        },
      });
    }
    for (const r of builder.routes) {
      try {
        endpoint.addRoute(r);
      } catch (err) {
        diag.error((err as Error).message);
      }
    }
  }

  let stopServerSpans: (() => void) | undefined;
  if (options.httpInstrumentation !== false) {
    let serverSpans = config.tracing.httpServerSpans === 'diagnostics_channel';
    if (serverSpans && !(ownContext && contextManager.canEnter)) {
      diag.warn(
        `@wundr/otel: ${ownContext ? 'the context manager does not expose its AsyncLocalStorage' : 'another context manager is registered'}; incoming HTTP requests are traced by instrumentation-http`,
      );
      serverSpans = false;
    }
    if (serverSpans) {
      try {
        // Incoming requests from Node's diagnostics_channel events (cheaper than the emit patch; see the module).
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
  }

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

/** Counts the data points of metric exports that fail (OTLP push). */
function countingMetricExporter(inner: PushMetricExporter, drops: TelemetryDrops): PushMetricExporter {
  const points = (rm: Parameters<PushMetricExporter['export']>[0]): number => {
    let n = 0;
    for (const sm of rm.scopeMetrics) for (const m of sm.metrics) n += m.dataPoints.length;
    return n;
  };
  return {
    export(rm, cb) {
      inner.export(rm, (r) => {
        if (r.code !== 0) drops.add('metrics', 'export_failed', points(rm));
        cb(r);
      });
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
    // A synchronous gauge under a delta preference would only be exported in the intervals it
    // changed in; a gauge has no temporality in OTLP, so it stays cumulative: every export
    // carries every gauge's last value (as the exporters' lowmemory preference does).
    ...(inner.selectAggregationTemporality
      ? { selectAggregationTemporality: (t: InstrumentType) => (t === GAUGE_INSTRUMENT ? CUMULATIVE : inner.selectAggregationTemporality!(t)) }
      : {}),
    ...(inner.selectAggregation ? { selectAggregation: inner.selectAggregation.bind(inner) } : {}),
  };
}

/** Runs `work`, resolving true when it finished and false when the bound ran out first. */
export function boundedShutdown(timeoutMs: number, work: () => Promise<void>): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      // Straight to stderr (one line, whatever OTEL_LOG_LEVEL says): the process is about to end.
      process.stderr.write(`@wundr/otel: shutdown did not finish within ${timeoutMs} ms; unsent telemetry was dropped\n`);
      resolve(false);
    }, timeoutMs);
    // Not unref()ed: the exporters' sockets are (see unrefAgentFactory), so
    // this timer is what keeps a finishing process alive for the flush, and
    // never longer than the bound.
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
