import { createNoopMeter, type Attributes, type Counter, type Meter, type MeterProvider } from '@opentelemetry/api';
import { getMetricDef } from '../metrics/catalogue.ts';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version.ts';

export type TelemetrySignal = 'traces' | 'logs' | 'metrics';
/**
 * Why an item was not delivered:
 * - `queue_full`: the batch processor's queue (OTEL_BSP/BLRP_MAX_QUEUE_SIZE)
 *   or the bounded export queue was full;
 * - `export_failed`: the exporter gave up on the batch (collector down,
 *   refusing, hanging, non-retryable status, retries exhausted).
 */
export type DropReason = 'queue_full' | 'export_failed';

export const TELEMETRY_DROPPED_METRIC = 'wundr_otel_telemetry_dropped_total';

const SIGNALS: readonly TelemetrySignal[] = ['traces', 'logs', 'metrics'];
const REASONS: readonly DropReason[] = ['queue_full', 'export_failed'];

/**
 * Counts the telemetry the package could not deliver, per signal and
 * reason, and serves the counts as `wundr_otel_telemetry_dropped_total`
 * (catalogue entry, reported once something was dropped). Counting is a
 * plain integer add: it sits on the export failure path, never on the hot
 * path of the app.
 */
export class TelemetryDrops {
  private readonly counts = new Map<string, number>();

  add(signal: TelemetrySignal, reason: DropReason, n: number): void {
    if (!(n > 0)) return;
    const k = `${signal}|${reason}`;
    this.counts.set(k, (this.counts.get(k) ?? 0) + n);
  }

  get(signal: TelemetrySignal, reason?: DropReason): number {
    if (reason) return this.counts.get(`${signal}|${reason}`) ?? 0;
    let n = 0;
    for (const r of REASONS) n += this.counts.get(`${signal}|${r}`) ?? 0;
    return n;
  }

  /** Every non-zero count. */
  snapshot(): { signal: TelemetrySignal; reason: DropReason; count: number }[] {
    const out: { signal: TelemetrySignal; reason: DropReason; count: number }[] = [];
    for (const signal of SIGNALS) {
      for (const reason of REASONS) {
        const count = this.counts.get(`${signal}|${reason}`) ?? 0;
        if (count > 0) out.push({ signal, reason, count });
      }
    }
    return out;
  }

  /** Registers the observable counter on the SDK's meter provider. */
  register(meterProvider: MeterProvider): void {
    const def = getMetricDef(TELEMETRY_DROPPED_METRIC);
    const meter = meterProvider.getMeter(PACKAGE_NAME, PACKAGE_VERSION);
    const c = meter.createObservableCounter(def?.otelName ?? 'wundr_otel_telemetry_dropped', {
      description: def?.help ?? 'Telemetry items the package could not deliver',
      unit: def?.unit ?? '{item}',
    });
    c.addCallback((r) => {
      for (const { signal, reason, count } of this.snapshot()) r.observe(count, { signal, reason });
    });
  }

  /**
   * A meter provider for the batch processors' `selfObsMeterProvider`
   * option: of the SDK's own self-observability instruments it keeps only
   * the queue-full drops (`otel.sdk.processor.{span,log}.processed` with
   * `error.type=queue_full`) and counts them here; everything else is a
   * no-op. Export failures are counted by {@link BoundedExporter}, which
   * sees every batch, so they are not counted twice.
   */
  processorMeterProvider(signal: TelemetrySignal): MeterProvider {
    const noop = createNoopMeter();
    const drops = this;
    const meter: Meter = Object.create(noop, {
      createCounter: {
        value(name: string, options?: object): Counter {
          const inner = noop.createCounter(name, options);
          if (!/^otel\.sdk\.processor\.\w+\.processed$/.test(name)) return inner;
          return {
            add(n: number, attrs?: Attributes) {
              if (attrs?.['error.type'] === 'queue_full') drops.add(signal, 'queue_full', n);
            },
          };
        },
      },
    });
    return { getMeter: () => meter };
  }
}
