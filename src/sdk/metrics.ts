/**
 * The metric pipelines: Prometheus (pull, served on /metrics) and OTLP or
 * console (push: exporter -> failure count -> PeriodicExportingMetricReader),
 * the features' own readers, and the meter provider.
 */
import { metrics } from '@opentelemetry/api';
import { globalErrorHandler } from '@opentelemetry/core';
import { ExportQueueFullError } from './BoundedExporter.ts';
import { exportError } from './exportErrorHandler.ts';
import type { InstrumentType, MeterProvider, MetricReader, PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { WundrOtelConfig } from '../config.ts';
import type { SdkBuilder } from '../feature.ts';
import { CUMULATIVE, GAUGE_INSTRUMENT } from '../metrics/otelConstants.ts';
import { drainIdleReaders } from './idleReaders.ts';
import { load, otlpExporter } from './otlp.ts';
import { prometheusPull, type PrometheusPull } from './prometheus.ts';
import type { TelemetryDrops } from './TelemetryDrops.ts';
import { deltaProducer, withoutCarried } from './DeltaProducer.ts';

/** The OTLP exporters' AggregationTemporalityPreference values (exporter-metrics-otlp-http). */
const TEMPORALITY_PREFERENCE = { delta: 0, cumulative: 1, lowmemory: 2 } as const;

export interface MetricsPipelines {
  meterProvider: MeterProvider | undefined;
  prometheus: PrometheusPull | undefined;
  /** Stops the idle-reader drain. */
  stopDrain: (() => void) | undefined;
}

export function startMetrics(config: WundrOtelConfig, builder: SdkBuilder, drops: TelemetryDrops, owned: (() => void)[]): MetricsPipelines {
  if (!config.metrics.enabled) return { meterProvider: undefined, prometheus: undefined, stopDrain: undefined };
  const sm = load('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  let prometheus: PrometheusPull | undefined;
  const readers: MetricReader[] = [];
  for (const name of config.metrics.exporters) {
    if (name === 'prometheus') {
      prometheus = prometheusPull(builder);
      readers.push(prometheus.reader);
    } else {
      const inner: PushMetricExporter =
        name === 'otlp'
          ? otlpExporter('metrics', config.otlp.metrics, { temporalityPreference: TEMPORALITY_PREFERENCE[config.metrics.temporality] })
          : new sm.ConsoleMetricExporter();
      readers.push(
        new sm.PeriodicExportingMetricReader({
          exporter: countingMetricExporter(inner, drops, { delta: name === 'otlp' && config.metrics.temporality === 'delta', timeoutMs: config.metrics.exportTimeoutMs }),
          exportIntervalMillis: config.metrics.exportIntervalMs,
          exportTimeoutMillis: config.metrics.exportTimeoutMs,
          // Bridged (cumulative) producers report deltas too when the exporter prefers deltas.
          metricProducers: name === 'otlp' && config.metrics.temporality === 'delta' ? builder.metricProducers.map(deltaProducer) : builder.metricProducers,
        }),
      );
    }
  }
  readers.push(...builder.metricReaders);
  const meterProvider = new sm.MeterProvider({ resource: builder.resource, readers, views: builder.views });
  // A pull reader holds every collection's points until it is read itself (see idleReaders.ts).
  const pull = readers.filter((r) => !(r instanceof sm.PeriodicExportingMetricReader));
  const stopDrain = readers.length > 1 && pull.length > 0 ? drainIdleReaders(pull) : undefined;
  if (metrics.setGlobalMeterProvider(meterProvider)) owned.push(() => metrics.disable());
  drops.register(meterProvider);
  return { meterProvider, prometheus, stopDrain };
}

let queueFullError: ExportQueueFullError | undefined;

/**
 * Counts the data points of metric pushes that fail, and answers the reader
 * at once while the push goes on. sdk-metrics bounds each export with a
 * timer it does not unref(): a push to a collector that accepts and never
 * answers kept a finished app alive for the OTLP timeout (up to the export
 * timeout) before the bounded final flush could even start. The OTLP/HTTP
 * sockets and retry timers are unref()ed (otlp.ts), and so is the export
 * timeout kept here; the final flush is held by the shutdown's own bounded
 * timer (start.ts). One push in flight and the newest waiting behind it: a
 * waiting one it replaces loses nothing under cumulative temporality (the
 * newer carries the totals) and is counted and reported under delta.
 * forceFlush and shutdown wait for the pushes queued when they are called.
 */
function countingMetricExporter(inner: PushMetricExporter, drops: TelemetryDrops, o: { delta: boolean; timeoutMs: number }): PushMetricExporter {
  type Metrics = Parameters<PushMetricExporter['export']>[0];
  const points = (rm: Metrics): number => {
    let n = 0;
    for (const sm of rm.scopeMetrics) for (const m of sm.metrics) n += m.dataPoints.length;
    return n;
  };
  interface Queued {
    rm: Metrics;
    /** Resolves once this push (or the one that replaced it) is over. */
    done: Promise<void>;
    over: () => void;
  }
  const queued = (rm: Metrics): Queued => {
    let over!: () => void;
    const done = new Promise<void>((r) => (over = r));
    return { rm, done, over };
  };
  let inFlight: Queued | undefined;
  let waiting: Queued | undefined;
  const failed = (rm: Metrics, err: unknown): void => {
    drops.add('metrics', 'export_failed', points(rm));
    globalErrorHandler(exportError('metrics', err ?? new Error('metrics export failed')) as Error);
  };
  const send = (q: Queued): void => {
    inFlight = q;
    let finished = false;
    const finish = (err?: unknown, failedPush = false): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      try {
        if (failedPush) failed(q.rm, err);
      } finally {
        inFlight = undefined;
        q.over();
        const next = waiting;
        waiting = undefined;
        if (next) send(next);
      }
    };
    const timer = setTimeout(() => finish(new Error(`metrics export timed out after ${o.timeoutMs} ms`), true), o.timeoutMs);
    timer.unref();
    try {
      inner.export(withoutCarried(q.rm), (r) => finish(r.error, r.code !== 0));
    } catch (err) {
      finish(err, true);
    }
  };
  const settled = async (): Promise<void> => {
    await (waiting ?? inFlight)?.done;
  };
  return {
    export(rm, cb) {
      if (!inFlight) send(queued(rm));
      else {
        const next = queued(rm);
        if (waiting) {
          const replaced = waiting;
          void next.done.then(replaced.over);
          if (o.delta) {
            drops.add('metrics', 'queue_full', points(replaced.rm));
            globalErrorHandler(exportError('metrics', (queueFullError ??= new ExportQueueFullError('metrics'))) as Error);
          }
        }
        waiting = next;
      }
      cb({ code: 0 });
    },
    forceFlush: async () => {
      await settled();
      await inner.forceFlush();
    },
    shutdown: async () => {
      await settled();
      await inner.shutdown();
    },
    // A synchronous gauge under a delta preference would only be exported in the intervals it
    // changed in; a gauge has no temporality in OTLP, so it stays cumulative: every export
    // carries every gauge's last value (as the exporters' lowmemory preference does).
    ...(inner.selectAggregationTemporality
      ? { selectAggregationTemporality: (t: InstrumentType) => (t === GAUGE_INSTRUMENT ? CUMULATIVE : inner.selectAggregationTemporality!(t)) }
      : {}),
    ...(inner.selectAggregation ? { selectAggregation: inner.selectAggregation.bind(inner) } : {}),
  };
}
