import { diag } from '@opentelemetry/api';
import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import type { Feature, RunningSdk } from '../feature.ts';
import { CATALOGUE, DEFAULT_MAX_SERIES } from './catalogue.ts';
import { CatalogueProducer, METER_NAME } from './CatalogueProducer.ts';
import { HistogramFamily, runtime } from './instruments.ts';
import { EXPLICIT_BUCKET_HISTOGRAM } from './otelConstants.ts';
import { PromClientBridge } from './PromClientBridge.ts';
import { SystemMetrics } from './SystemMetrics.ts';
import { resetWundrMetrics, systemMetrics, wundrFamilies } from './wundrMetrics.ts';
import { PACKAGE_VERSION } from '../version.ts';

/**
 * Views for the catalogue's histograms: the catalogue's buckets (the SDK's
 * default 0..10000 buckets are wrong for seconds) and a cardinality limit
 * above the guard's own series cap, so the guard (which folds into `other`
 * and counts) acts before the SDK (which folds into `otel.metric.overflow`).
 */
export function catalogueViews(): ViewOptions[] {
  return CATALOGUE.filter((d) => d.kind === 'histogram' && d.via !== 'prom-client').map((d) => ({
    instrumentName: d.otelName,
    meterName: METER_NAME,
    aggregation: { type: EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [...(d.buckets ?? [])] } },
    aggregationCardinalityLimit: DEFAULT_MAX_SERIES + 2,
  }));
}

let system: SystemMetrics | undefined;
let running: RunningSdk | undefined;

function bindHistograms(sdk: RunningSdk): void {
  const meter = sdk.meterProvider!.getMeter(METER_NAME, PACKAGE_VERSION);
  for (const f of wundrFamilies().values()) {
    if (!(f instanceof HistogramFamily)) continue;
    f.instrument = meter.createHistogram(f.def.otelName, {
      description: f.def.help,
      unit: f.def.unit,
      advice: { explicitBucketBoundaries: [...(f.def.buckets ?? [])] },
    });
  }
}

function unbindHistograms(): void {
  for (const f of wundrFamilies().values()) if (f instanceof HistogramFamily) f.instrument = undefined;
  systemMetrics.eventLoopLag.instrument = undefined;
}

/**
 * Starts the system metrics on the running SDK's meter (a no-op when they
 * run, or when metrics are off). The old API's interval is not needed: the
 * values are read at each collection.
 */
export function startSystemMetricsCollection(_intervalMs?: number): void {
  if (system || !running?.meterProvider) return;
  try {
    system = new SystemMetrics(running.meterProvider.getMeter(METER_NAME, PACKAGE_VERSION));
    systemMetrics.eventLoopLag.instrument = system.lag;
  } catch (err) {
    diag.warn(`@wundr/otel: system metrics could not start: ${(err as Error).message}`);
  }
}

/** Stops the system metrics (their instruments stop reporting new values). */
export function stopSystemMetricsCollection(): void {
  system?.stop();
  system = undefined;
  systemMetrics.eventLoopLag.instrument = undefined;
}

/**
 * The metrics part of the SDK: the catalogue producer and the prom-client
 * bridge go to every metric reader, histogram views to the meter provider;
 * on start the histograms are bound to the SDK's meter (never to the global
 * one: an OTel meter taken before the provider is set stays a no-op) and
 * the system metrics start when METRICS_COLLECT_DEFAULT is on. With
 * metrics disabled every recorder returns at once.
 */
export function metricsFeature(): Feature {
  return {
    name: 'metrics',
    configure(builder) {
      if (!builder.config.metrics.enabled) return;
      builder.metricProducers.push(new CatalogueProducer(() => wundrFamilies().values()), new PromClientBridge());
      builder.views.push(...catalogueViews());
    },
    start(sdk) {
      if (!sdk.meterProvider) {
        runtime.enabled = false;
        resetWundrMetrics();
        return;
      }
      runtime.enabled = true;
      running = sdk;
      bindHistograms(sdk);
      if (sdk.config.metrics.collectDefault) startSystemMetricsCollection();
    },
    async shutdown() {
      stopSystemMetricsCollection();
      unbindHistograms();
      running = undefined;
    },
  };
}
