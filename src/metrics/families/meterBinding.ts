/** Binds the families to one SDK meter, and hands their cells over at each collection. */
import type { Meter, ObservableGauge } from '@opentelemetry/api';
import type { MetricDef } from '../catalogue.ts';
import { CounterFamily } from './counter.ts';
import type { Family } from './family.ts';
import { GaugeFamily } from './gauge.ts';
import { HistogramFamily } from './histogram.ts';

/**
 * Name of the observable instrument that carries the flush. sdk-metrics
 * runs every observable callback of a meter before it reads the meter's
 * synchronous storages (MeterSharedState.collect), so the cells' recordings
 * reach the instruments in the collection that follows. The instrument
 * itself never observes anything, so it never shows in an export.
 */
export const FLUSH_INSTRUMENT = 'wundr.otel.cells';

/** Families bound to one SDK meter. */
export class MeterBinding {
  private readonly meter: Meter;
  private readonly families: () => Iterable<Family>;
  private readonly carrier: ObservableGauge;
  private readonly bound = new Set<Family>();
  private readonly callback = (): void => this.flush();

  /** `families` is read at each collection, so a family created later is bound then. */
  constructor(meter: Meter, families: () => Iterable<Family>) {
    this.meter = meter;
    this.families = families;
    for (const f of families()) this.bindOne(f);
    this.carrier = meter.createObservableGauge(FLUSH_INSTRUMENT, {
      description: 'Carries the wundr_ metrics recorded in cells into their instruments at each collection; reports nothing itself',
    });
    meter.addBatchObservableCallback(this.callback, [this.carrier]);
  }

  private bindOne(f: Family): void {
    f.bind(this.meter);
    this.bound.add(f);
  }

  /** Runs at every collection of every reader; what was handed over is not handed again. */
  flush(collecting = true): void {
    for (const f of this.families()) {
      if (!this.bound.has(f)) this.bindOne(f);
      f.flush(collecting);
    }
  }

  /**
   * A last flush, then the families stop feeding this meter (the SDK is
   * shutting down). The SDK runs this after its last collection, so what
   * this flush hands over counts as not reported: the next SDK reports it.
   */
  close(): void {
    this.flush(false);
    this.meter.removeBatchObservableCallback(this.callback, [this.carrier]);
    for (const f of this.bound) f.bind(undefined);
    this.bound.clear();
  }
}

/** Creates the family for a catalogue entry. */
export function createFamily(def: MetricDef): Family {
  switch (def.kind) {
    case 'counter':
      return new CounterFamily(def);
    case 'gauge':
      return new GaugeFamily(def);
    case 'histogram':
      return new HistogramFamily(def);
  }
}
