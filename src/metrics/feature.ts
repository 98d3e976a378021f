import { diag } from '@opentelemetry/api';
import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import type { Feature, RunningSdk } from '../feature.ts';
import { CATALOGUE } from './catalogue.ts';
import { CatalogueProducer, METER_NAME } from './CatalogueProducer.ts';
import { runtime } from './instruments.ts';
import { EXPLICIT_BUCKET_HISTOGRAM } from './otelConstants.ts';
import { PromClientBridge } from './PromClientBridge.ts';
import { SystemMetrics } from './SystemMetrics.ts';
import { resetWundrMetrics, wundrFamilies } from './wundrMetrics.ts';
import { PACKAGE_VERSION } from '../version.ts';

/**
 * The view for the one SDK histogram of the package (event-loop lag, a
 * system metric): the catalogue's buckets (the SDK default 0..10000 is
 * wrong for seconds). The typed-API histograms are cells with their own
 * buckets (see instruments.ts) and need no view.
 */
export function catalogueViews(): ViewOptions[] {
  return CATALOGUE.filter((d) => d.kind === 'histogram' && d.via === 'system').map((d) => ({
    instrumentName: d.otelName,
    meterName: METER_NAME,
    aggregation: { type: EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [...(d.buckets ?? [])] } },
  }));
}

let system: SystemMetrics | undefined;
let running: RunningSdk | undefined;
/** An explicit start before the SDK runs is honoured when it starts (even with METRICS_COLLECT_DEFAULT=false). */
let wanted = false;

/** The running system metrics (for `systemMetrics.eventLoopLag.read()`). */
export function runningSystemMetrics(): SystemMetrics | undefined {
  return system;
}

/**
 * Starts the system metrics on the running SDK's meter (a no-op when they
 * run, or when metrics are off). The old API's interval is not needed: the
 * values are read at each collection.
 */
export function startSystemMetricsCollection(_intervalMs?: number): void {
  wanted = true;
  startSystem();
}

function startSystem(): void {
  if (system || !running?.meterProvider) return;
  try {
    system = new SystemMetrics(running.meterProvider.getMeter(METER_NAME, PACKAGE_VERSION));
  } catch (err) {
    diag.warn(`@wundr/otel: system metrics could not start: ${(err as Error).message}`);
  }
}

/** Stops the system metrics (their instruments stop reporting new values). */
export function stopSystemMetricsCollection(): void {
  wanted = false;
  system?.stop();
  system = undefined;
}

/**
 * The metrics part of the SDK: the catalogue producer and the prom-client
 * bridge go to every metric reader; on start the system metrics are created
 * on the SDK's meter (never the global one: an OTel meter taken before the
 * provider is set stays a no-op) when METRICS_COLLECT_DEFAULT is on. With
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
      if (sdk.config.metrics.collectDefault || wanted) startSystem();
    },
    async shutdown() {
      system?.stop();
      system = undefined;
      running = undefined;
    },
  };
}
