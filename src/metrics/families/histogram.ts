/**
 * The histogram kind. An observation counts into its cell (bucket, sum,
 * count, and the min/max since the last collection); at each collection
 * the cells that changed hand what they gained to the SDK's per-series
 * storage (src/sdk/internals/sdk-metrics.ts), one attribute hash per series
 * per collection instead of one per observation. Where that storage is not
 * reachable (another sdk-metrics, a view giving the instrument another
 * aggregation), every observation goes through the API histogram as well.
 */
import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import type { MetricDef } from '../catalogue.ts';
import { histogramWriter, type HistogramDelta, type HistogramWriter } from '../../sdk/internals/sdk-metrics.ts';
import { instrumentOptions } from './counter.ts';
import { Cell, Family, runtime, warnNegative, type LabelValue, type Labels } from './family.ts';

export interface BoundHistogram {
  observe(value: number): void;
  /** Starts a timer; calling the result observes the elapsed seconds and returns them. */
  startTimer(): () => number;
}

/** A histogram series: per-bucket counts (OTel layout: `bounds.length + 1` buckets, upper bound inclusive). */
export class HistogramCell extends Cell implements HistogramDelta {
  /** Since the series was created (what `get()` shows). */
  readonly total: number[];
  totalSum = 0;
  totalCount = 0;
  /** Since the last hand-over to the SDK. */
  readonly counts: number[];
  sum = 0;
  count = 0;
  min = Infinity;
  max = -Infinity;
  startMs = 0;
  constructor(attributes: Attributes, buckets: number) {
    super(attributes);
    this.total = new Array<number>(buckets + 1).fill(0);
    this.counts = new Array<number>(buckets + 1).fill(0);
  }

  /** Forgets what was gained since the last hand-over (it was handed over, or no SDK takes it). */
  clearDelta(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }
}

/**
 * Observations held per family while no SDK runs (before start, between a
 * shutdown and a new start), handed to the SDK histogram when it binds.
 * Past it, an observation is seen by `get()` only.
 */
export const PENDING_OBSERVATIONS = 4096;

/** Counts one observation into a cell; `v` is a number >= 0. */
export function observeInto(c: HistogramCell, bounds: readonly number[], v: number): void {
  let i = 0;
  const n = bounds.length;
  while (i < n && v > bounds[i]) i++;
  c.total[i]++;
  c.totalSum += v;
  c.totalCount++;
  if (c.count === 0) c.startMs = Date.now();
  c.counts[i]++;
  c.sum += v;
  c.count++;
  if (v < c.min) c.min = v;
  if (v > c.max) c.max = v;
}

/** An explicit-bucket histogram with the catalogue's buckets. */
export class HistogramFamily<L extends string = string> extends Family<L, HistogramCell> {
  readonly bounds: readonly number[];
  private sdk: Histogram | undefined;
  /** Set when the SDK's storage takes whole cells; otherwise each observation is recorded through `sdk`. */
  private writer: HistogramWriter | undefined;
  private readonly pendingCells: HistogramCell[] = [];
  private readonly pendingValues: number[] = [];

  constructor(def: MetricDef, maxSeries?: number) {
    // Set before super() creates the label-less cell, which needs the bucket count.
    const bounds = Object.freeze([...(def.buckets ?? [])]);
    HistogramFamily.pending = bounds;
    super(def, maxSeries);
    this.bounds = bounds;
  }

  private static pending: readonly number[] = [];

  protected newCell(attributes: Attributes): HistogramCell {
    return new HistogramCell(attributes, (this.bounds ?? HistogramFamily.pending).length);
  }

  /** `observe(0.3)` or `observe({label: 'v'}, 0.3)`. */
  observe(labelsOrValue: Labels<L> | number, value?: number): void {
    if (!runtime.enabled) return;
    if (typeof labelsOrValue === 'number') this.record(this.cell(undefined), labelsOrValue);
    else if (value !== undefined) this.record(this.cell(labelsOrValue), value);
  }

  /** @internal One observation of one series (the typed API and bound handles). */
  record(c: HistogramCell, v: number): void {
    // Not a number, NaN or negative: the SDK histogram would drop it too; the cell must agree with what is exported.
    if (typeof v !== 'number' || !(v >= 0)) return warnNegative(this.def.name, v, 'a histogram');
    observeInto(c, this.bounds, v);
    if (this.writer !== undefined) return;
    const sdk = this.sdk;
    if (sdk !== undefined) sdk.record(v, c.attributes);
    else if (this.pendingValues.length < PENDING_OBSERVATIONS) {
      this.pendingCells.push(c);
      this.pendingValues.push(v);
    }
  }

  bind(meter: Meter | undefined): void {
    const sdk = meter?.createHistogram(this.def.otelName, {
      ...instrumentOptions(this.def),
      advice: { explicitBucketBoundaries: [...this.bounds] },
    });
    this.sdk = sdk;
    this.writer = sdk === undefined ? undefined : histogramWriter(sdk, this.bounds);
    // A new SDK starts empty; what was observed while none ran is replayed below.
    for (const c of this.cells.values()) c.clearDelta();
    if (sdk === undefined) return;
    const cells = this.pendingCells;
    const values = this.pendingValues;
    for (let i = 0; i < values.length; i++) sdk.record(values[i], cells[i].attributes);
    cells.length = 0;
    values.length = 0;
  }

  protected settle(c: HistogramCell): void {
    if (c.count === 0) return;
    this.writer?.write(c, c);
    c.clearDelta();
  }

  override reset(): void {
    super.reset();
    this.pendingCells.length = 0;
    this.pendingValues.length = 0;
  }

  /** prom-client's `startTimer(labels?)`: the returned function observes elapsed seconds (with extra labels merged). */
  startTimer(labels?: Labels<L>): (more?: Labels<L>) => number {
    const t0 = performance.now();
    return (more?: Labels<L>) => {
      const s = (performance.now() - t0) / 1000;
      this.observe(more ? ({ ...labels, ...more } as Labels<L>) : (labels ?? {}), s);
      return s;
    };
  }

  labels(...values: (LabelValue | Labels<L>)[]): BoundHistogram {
    const labels = this.labelObject(values);
    return new BoundHistogramCell(this, labels, this.cell(labels));
  }

  /** Count, sum and cumulative bucket counts of one series (tests, health). */
  get(labels?: Labels<L>): { count: number; sum: number; buckets: number[] } {
    const c = this.cell(labels);
    let cum = 0;
    return { count: c.totalCount, sum: c.totalSum, buckets: c.total.map((x) => (cum += x)) };
  }
}

class BoundHistogramCell<L extends string> implements BoundHistogram {
  constructor(
    private readonly family: HistogramFamily<L>,
    private readonly labels: Labels<L> | undefined,
    private c: HistogramCell,
  ) {}

  observe(v: number): void {
    if (!runtime.enabled) return;
    let c = this.c;
    if (c.retired) c = this.c = this.family.cell(this.labels);
    this.family.record(c, v);
  }

  startTimer(): () => number {
    const t0 = performance.now();
    return () => {
      const s = (performance.now() - t0) / 1000;
      this.observe(s);
      return s;
    };
  }
}
