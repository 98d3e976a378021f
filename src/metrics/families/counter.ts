/** The counter kind, and the overflow self-metric (a counter). */
import { ValueType, type Attributes, type Counter, type Meter } from '@opentelemetry/api';
import { getMetricDef, type MetricDef } from '../catalogue.ts';
import { storageWriter, type StorageWriter } from '../../sdk/internals/sdk-metrics.ts';
import { attributesKey, setCarried } from './carried.ts';
import { Cell, Family, runtime, setOverflowSink, warnNegative, type LabelValue, type Labels } from './family.ts';

export function instrumentOptions(def: MetricDef) {
  return { description: def.help, unit: def.unit, valueType: ValueType.DOUBLE };
}

/** A pre-bound counter handle: `inc()` is one addition. */
export interface BoundCounter {
  inc(value?: number): void;
}

/** A counter's series. */
export class CounterCell extends Cell {
  /**
   * The part of `value` an SDK was handed inside one of its collections:
   * its readers reported it (a delta reader exported it, or tried to).
   * What was handed outside a collection (the last flush after the SDK's
   * final one) is not in it.
   */
  collected = 0;
}

/** A monotonic counter (prom-client-compatible call shapes). */
export class CounterFamily<L extends string = string> extends Family<L, CounterCell> {
  private sdk: Counter | undefined;
  /** Set when the SDK's storage takes the cells' increments directly (no attribute hash per hand-over). */
  private writer: StorageWriter | undefined;

  protected newCell(attributes: Attributes): CounterCell {
    return new CounterCell(attributes);
  }

  /** `inc()`, `inc(5)`, `inc({label: 'v'})`, `inc({label: 'v'}, 5)`. */
  inc(labelsOrValue?: Labels<L> | number, value?: number): void {
    if (!runtime.enabled) return;
    let labels: Labels<L> | undefined;
    let v = 1;
    if (typeof labelsOrValue === 'number') v = labelsOrValue;
    else {
      labels = labelsOrValue;
      if (value !== undefined) v = value;
    }
    if (typeof v !== 'number' || !(v >= 0)) return warnNegative(this.def.name, v);
    this.cell(labels).value += v;
  }

  /** A pre-bound handle: `labels('o1', 'claude-code')` or `labels({orchestrator_id: 'o1', …})`. */
  labels(...values: (LabelValue | Labels<L>)[]): BoundCounter {
    const labels = this.labelObject(values);
    return new BoundCounterCell(this, labels, this.cell(labels));
  }

  /** Current value of one series (0 when absent). */
  get(labels?: Labels<L>): number {
    return this.cell(labels).value;
  }

  bind(meter: Meter | undefined): void {
    this.sdk = meter?.createCounter(this.def.otelName, instrumentOptions(this.def));
    this.writer = this.sdk === undefined ? undefined : storageWriter(this.sdk);
    // A new SDK gets each series' whole count, so that its cumulative readers show the process
    // total; its delta exports leave out what an earlier SDK collected (see carried.ts).
    const carried = new Map<string, number>();
    for (const c of this.cells.values()) {
      if (this.sdk !== undefined && c.collected > 0) carried.set(attributesKey(c.attributes), c.collected);
      c.reported = -1;
    }
    if (this.sdk !== undefined) setCarried(this.def.otelName, carried);
  }

  protected settle(c: CounterCell, collecting: boolean): void {
    const sdk = this.sdk;
    const v = c.value;
    const r = c.reported;
    if (sdk === undefined) return;
    // Everything up to `v` is in this SDK's storage once this returns, and a collection reads it now.
    if (collecting) c.collected = v;
    if (v === r) return;
    // A series is handed over even at 0 (a label-less counter exists from the start, as in prom-client).
    const d = r < 0 ? v : v - r;
    if (this.writer !== undefined) this.writer.record(c, d);
    else sdk.add(d, c.attributes);
    c.reported = v;
  }
}

class BoundCounterCell<L extends string> implements BoundCounter {
  constructor(
    private readonly family: CounterFamily<L>,
    private readonly labels: Labels<L> | undefined,
    private c: CounterCell,
  ) {}

  inc(value = 1): void {
    if (!runtime.enabled || typeof value !== 'number' || !(value >= 0)) return;
    let c = this.c;
    if (c.retired) c = this.c = this.family.cell(this.labels);
    c.value += value;
  }
}

// --- the overflow self-metric -------------------------------------------------

let overflowFamily: CounterFamily<'metric' | 'label'> | undefined;

/** The self-metric family (created on first overflow). */
export function overflowMetric(): CounterFamily<'metric' | 'label'> {
  if (overflowFamily === undefined) {
    const def = getMetricDef('wundr_metrics_label_overflow_total')!;
    overflowFamily = new CounterFamily(def, 100_000);
  }
  return overflowFamily;
}

// The family's own lookup (nested maps) is the cache: nothing here outlives a reset().
setOverflowSink((metric, label) => {
  overflowMetric().cell({ metric, label }).value += 1;
});
