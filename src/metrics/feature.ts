import { diag } from '@opentelemetry/api';
import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import type { Feature, RunningSdk } from '../feature.ts';
import { CATALOGUE } from './catalogue.ts';
import { MeterBinding, runtime } from './families/index.ts';
import { EXPLICIT_BUCKET_HISTOGRAM } from './otelConstants.ts';
import { PromClientBridge } from './PromClientBridge.ts';
import { SystemMetrics } from './SystemMetrics.ts';
import { resetWundrMetrics, wundrFamilies } from './wundrMetrics.ts';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version.ts';

export const METER_NAME = PACKAGE_NAME;

/**
 * The package's views: the event-loop lag histogram (a system metric
 * recorded by the SDK) gets the catalogue's buckets, as the SDK default
 * 0..10000 is wrong for seconds (the typed-API histograms carry theirs as
 * instrument advice); each typed-API instrument gets a cardinality limit
 * above its family's series cap, so the SDK never folds a series the guard
 * admitted (the SDK's default limit, 2,000, is the guard's cap).
 */
export function catalogueViews(): ViewOptions[] {
  const views: ViewOptions[] = CATALOGUE.filter((d) => d.kind === 'histogram' && d.via === 'system').map((d) => ({
    instrumentName: d.otelName,
    meterName: METER_NAME,
    aggregation: { type: EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [...(d.buckets ?? [])] } },
  }));
  for (const f of wundrFamilies().values()) {
    views.push({ instrumentName: f.def.otelName, meterName: METER_NAME, aggregationCardinalityLimit: f.maxSeries + 2 });
  }
  return views;
}

let system: SystemMetrics | undefined;
let running: RunningSdk | undefined;
let binding: MeterBinding | undefined;
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
    system = new SystemMetrics(running.meterProvider.getMeter(METER_NAME, PACKAGE_VERSION), { gcPauses: running.config.metrics.gcPauses });
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
 * The metrics part of the SDK: on start the wundr_ families get their
 * instruments on the SDK's meter (never the global one: an OTel meter taken
 * before the provider is set stays a no-op), and so do the system metrics
 * when METRICS_COLLECT_DEFAULT is on; the prom-client bridge goes to every
 * metric reader. With metrics disabled every recorder returns at once.
 */
export function metricsFeature(): Feature {
  return {
    name: 'metrics',
    configure(builder) {
      if (!builder.config.metrics.enabled) return;
      builder.metricProducers.push(new PromClientBridge());
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
      binding?.close();
      binding = new MeterBinding(sdk.meterProvider.getMeter(METER_NAME, PACKAGE_VERSION), () => wundrFamilies().values());
      if (sdk.config.metrics.collectDefault || wanted) startSystem();
    },
    async shutdown() {
      system?.stop();
      system = undefined;
      running = undefined;
    },
    // Not at shutdown(): the providers' last collection (the final OTLP export) runs the flush.
    stopped() {
      binding?.close();
      binding = undefined;
    },
  };
}
