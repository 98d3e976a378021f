/** The counter kind, and the overflow self-metric (a counter). */
import { ValueType, type Attributes, type Counter, type Meter } from '@opentelemetry/api';
import { getMetricDef, type MetricDef } from '../catalogue.ts';
import { storageWriter, type StorageWriter } from '../../sdk/internals/sdk-metrics.ts';
import { Cell, Family, runtime, setOverflowSink, warnNegative, type LabelValue, type Labels } from './family.ts';

export function instrumentOptions(def: MetricDef) {
  return { description: def.help, unit: def.unit, valueType: ValueType.DOUBLE };
}

/** A pre-bound counter handle: `inc()` is one addition. */
export interface BoundCounter {
  inc(value?: number): void;
}

/** A monotonic counter (prom-client-compatible call shapes). */
export class CounterFamily<L extends string = string> extends Family<L> {
  private sdk: Counter | undefined;
  /** Set when the SDK's storage takes the cells' increments directly (no attribute hash per hand-over). */
  private writer: StorageWriter | undefined;

  protected newCell(attributes: Attributes): Cell {
    return new Cell(attributes);
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
    // A new SDK gets each series' whole count.
    for (const c of this.cells.values()) c.reported = -1;
  }

  protected settle(c: Cell): void {
    const sdk = this.sdk;
    const v = c.value;
    const r = c.reported;
    if (sdk === undefined || v === r) return;
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
    private c: Cell,
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
