/**
 * The catalogue's recording side: one family per catalogue entry, holding
 * one cell per label combination, reported through OTel Meter instruments
 * of the running SDK (see MeterBinding below).
 *
 * The SDK's instruments hash the attribute set on every recording
 * (counter.add with 2 attributes 0.5–1 µs, bench/metrics.ts). Counters and
 * gauges therefore record into the cell only (a nested Map lookup on the
 * label values, or one addition through a pre-bound handle), and the cells
 * hand their state to the SDK's synchronous instruments once per
 * collection, with one attribute object per cell: a counter adds what it
 * gained since, a gauge records its value. Histograms record into the SDK
 * as they observe (an explicit-bucket state cannot be handed over through
 * the API), with the cell's attribute object. Everything after that (views,
 * aggregation, temporality, cardinality limits, every reader and exporter)
 * is the SDK's.
 *
 * Label values pass a per-key guard (seed §12): an allow-list or a cap on
 * distinct values; past it they are folded into `other` and counted in
 * `wundr_metrics_label_overflow_total`. A cap on series per metric bounds
 * combinations of individually bounded keys.
 */
import { diag, ValueType, type Attributes, type Counter, type Gauge, type Histogram, type HrTime, type Meter, type ObservableGauge } from '@opentelemetry/api';
import { CATALOGUE, DEFAULT_MAX_SERIES, OVERFLOW_VALUE, getMetricDef, labelCap, type MetricDef } from './catalogue.ts';

export type LabelValue = string | number | undefined;
export type Labels<L extends string = string> = Partial<Record<L, LabelValue>>;

/** Shared switch: `false` when metrics are disabled (METRICS_ENABLED=false): every recorder returns at once. */
export const runtime = { enabled: true };

const SEP = '\u0001';

function nowHr(): HrTime {
  const ms = performance.timeOrigin + performance.now();
  const s = Math.floor(ms / 1000);
  return [s, Math.round((ms - s * 1000) * 1e6)];
}

/** Caps set by setLabelCaps(): by `key` (every metric) and by `metric\u0001key`. */
const capOverrides = new Map<string, number>();
const allGuards: LabelGuard[] = [];

/**
 * Longest label value recorded as is; longer ones fold into OVERFLOW_VALUE
 * (and count as overflow). Without it one 1 MB tool name made a 13 MB
 * scrape (issue 9: the cap bounds the number of series, not their size).
 */
export const MAX_LABEL_VALUE_LENGTH = 256;

class LabelGuard {
  private readonly seen = new Set<string>();
  private readonly allowed: ReadonlySet<string> | undefined;
  cap: number;

  constructor(readonly def: MetricDef, readonly key: string) {
    const a = def.values?.[key];
    this.allowed = a ? new Set(a) : undefined;
    this.cap = LabelGuard.capFor(def, key);
    allGuards.push(this);
  }

  static capFor(def: MetricDef, key: string): number {
    if (def.values?.[key]) return labelCap(def, key);
    return capOverrides.get(`${def.name}${SEP}${key}`) ?? capOverrides.get(key) ?? labelCap(def, key);
  }

  /** The value to record: the given one, or OVERFLOW_VALUE. */
  admit(v: string): string {
    if (v === '') return v;
    if (this.allowed) return this.allowed.has(v) ? v : OVERFLOW_VALUE;
    if (v.length > MAX_LABEL_VALUE_LENGTH) return OVERFLOW_VALUE;
    if (this.seen.has(v)) return v;
    if (this.seen.size < this.cap) {
      this.seen.add(v);
      return v;
    }
    return OVERFLOW_VALUE;
  }

  clear(): void {
    this.seen.clear();
  }
}

/** One label combination of one family. Pre-bound handles wrap cells. */
export class Cell {
  value = 0;
  /**
   * What the SDK was last given: for a counter the part of `value` already
   * added (-1: not handed over yet), for a gauge the last value recorded
   * (NaN: not yet).
   */
  reported = -1;
  readonly attributes: Attributes;
  constructor(attributes: Attributes) {
    this.attributes = attributes;
  }
}

/** A histogram series: per-bucket counts (OTel layout: `bounds.length + 1` buckets, upper bound inclusive). */
export class HistogramCell extends Cell {
  readonly counts: number[];
  sum = 0;
  count = 0;
  min = Infinity;
  max = -Infinity;
  constructor(attributes: Attributes, buckets: number) {
    super(attributes);
    this.counts = new Array<number>(buckets + 1).fill(0);
  }
}

type Node = Map<LabelValue, Node | Cell>;

export abstract class Family<L extends string = string> {
  readonly def: MetricDef;
  readonly keys: readonly string[];
  /** Canonical key -> cell: one entry per series (bounded by the guards and the series cap). */
  readonly cells = new Map<string, Cell>();
  /** Raw label values -> cell, one Map level per key; only unfolded values are indexed, so it is bounded too. */
  private index: Node = new Map();
  private readonly guards: LabelGuard[];
  /** Cap on this family's series; the SDK's cardinality limit for its instrument is set above it. */
  readonly maxSeries: number;
  private warnedUnknown = false;
  private single: Cell | undefined;

  constructor(def: MetricDef, maxSeries = DEFAULT_MAX_SERIES) {
    this.def = def;
    this.keys = def.labels;
    this.guards = def.labels.map((k) => new LabelGuard(def, k));
    this.maxSeries = maxSeries;
    this.resetCells();
  }

  get name(): string {
    return this.def.name;
  }

  protected newCell(attributes: Attributes): Cell {
    return new Cell(attributes);
  }

  /** The cell for a label set; the hot path is one Map lookup per label key, no string building. */
  cell(labels: Labels<L> | undefined): Cell {
    const keys = this.keys;
    const n = keys.length;
    if (n === 0) return this.single!;
    if (labels === undefined) return this.slowCell(labels);
    let node: Node | Cell | undefined = this.index;
    for (let i = 0; i < n; i++) {
      node = (node as Node).get((labels as Record<string, LabelValue>)[keys[i]]);
      if (node === undefined) return this.slowCell(labels);
    }
    return node as Cell;
  }

  /** Miss: guard each value, then find or create the canonical cell, and index the raw values when nothing was folded. */
  private slowCell(labels: Labels<L> | undefined): Cell {
    const keys = this.keys;
    const attrs: Record<string, string> = {};
    let folded = false;
    // Only primitive values are indexed: a fresh object per call would grow the index without bound.
    let indexable = labels !== undefined;
    let canon = '';
    for (let i = 0; i < keys.length; i++) {
      const raw = (labels as Record<string, LabelValue> | undefined)?.[keys[i]];
      if (raw !== null && (typeof raw === 'object' || typeof raw === 'function' || typeof raw === 'symbol')) indexable = false;
      const s = raw === undefined || raw === null ? '' : String(raw);
      const v = this.guards[i].admit(s);
      if (v !== s) {
        folded = true;
        countOverflow(this.def.name, keys[i]);
      }
      attrs[keys[i]] = v;
      canon = i === 0 ? v : `${canon}${SEP}${v}`;
    }
    if (labels !== undefined && !this.warnedUnknown) {
      for (const k of Object.keys(labels)) {
        if (!keys.includes(k)) {
          this.warnedUnknown = true;
          diag.warn(`@wundr/otel: label "${k}" is not a label of ${this.def.name} (labels: ${keys.join(', ')}); ignored`);
          break;
        }
      }
    }
    let cell = this.cells.get(canon);
    if (!cell) {
      if (this.cells.size >= this.maxSeries) {
        // Every key is within its cap, yet the combinations are too many.
        if (!folded) countOverflow(this.def.name, '*');
        return this.overflowCell();
      }
      cell = this.newCell(Object.freeze(attrs));
      this.cells.set(canon, cell);
    }
    if (!folded && indexable) {
      let node = this.index;
      for (let i = 0; i < keys.length - 1; i++) {
        const v = (labels as Record<string, LabelValue>)[keys[i]];
        let next = node.get(v) as Node | undefined;
        if (!next) {
          next = new Map();
          node.set(v, next);
        }
        node = next;
      }
      node.set((labels as Record<string, LabelValue>)[keys[keys.length - 1]], cell);
    }
    return cell;
  }

  private overflowCell(): Cell {
    const k = this.keys.map(() => OVERFLOW_VALUE).join(SEP);
    let cell = this.cells.get(k);
    if (!cell) {
      const all: Record<string, string> = {};
      for (const key of this.keys) all[key] = OVERFLOW_VALUE;
      cell = this.newCell(Object.freeze(all));
      this.cells.set(k, cell);
    }
    return cell;
  }

  /** Resolves positional values (prom-client's `labels('a', 'b')`) or an object to a label object. */
  protected labelObject(args: unknown[]): Labels<L> | undefined {
    if (args.length === 0) return undefined;
    if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null) return args[0] as Labels<L>;
    const o: Record<string, LabelValue> = {};
    for (let i = 0; i < this.keys.length && i < args.length; i++) o[this.keys[i]] = args[i] as LabelValue;
    return o as Labels<L>;
  }

  private resetCells(): void {
    this.cells.clear();
    this.index = new Map();
    for (const g of this.guards) g.clear();
    if (this.keys.length === 0) {
      this.single = this.newCell(Object.freeze({}));
      this.cells.set('', this.single);
    }
  }

  /**
   * Removes every series (prom-client's `reset()`); handles bound before
   * keep their old cells. OTel has no removal of a series: the SDK keeps
   * reporting what it was given, and what is recorded afterwards adds to it.
   */
  reset(): void {
    this.resetCells();
  }

  /** Creates this family's instrument on `meter`, or drops it (`undefined`: no SDK runs). */
  abstract bind(meter: Meter | undefined): void;

  /** Hands the recordings made since the last flush to the instrument (at collection). */
  abstract flush(): void;
}

function instrumentOptions(def: MetricDef) {
  return { description: def.help, unit: def.unit, valueType: ValueType.DOUBLE };
}

function isLabels(x: unknown): x is Labels {
  return typeof x === 'object' && x !== null;
}

/** A pre-bound counter handle: `inc()` is one addition. */
export interface BoundCounter {
  inc(value?: number): void;
}

/** A monotonic counter (prom-client-compatible call shapes). */
export class CounterFamily<L extends string = string> extends Family<L> {
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
    return new BoundCounterCell(this.cell(this.labelObject(values)));
  }

  /** Current value of one series (0 when absent). */
  get(labels?: Labels<L>): number {
    return this.cell(labels).value;
  }

  private sdk: Counter | undefined;

  bind(meter: Meter | undefined): void {
    this.sdk = meter?.createCounter(this.def.otelName, instrumentOptions(this.def));
    // A new SDK gets each series' whole count.
    for (const c of this.cells.values()) c.reported = -1;
  }

  flush(): void {
    const sdk = this.sdk;
    if (sdk === undefined) return;
    for (const c of this.cells.values()) {
      const v = c.value;
      const r = c.reported;
      if (v !== r) {
        // A series is handed over even at 0 (a label-less counter exists from the start, as in prom-client).
        sdk.add(r < 0 ? v : v - r, c.attributes);
        c.reported = v;
      }
    }
  }
}

class BoundCounterCell implements BoundCounter {
  constructor(private readonly c: Cell) {}
  inc(value = 1): void {
    if (runtime.enabled && typeof value === 'number' && value >= 0) this.c.value += value;
  }
}

export interface BoundGauge {
  set(value: number): void;
  inc(value?: number): void;
  dec(value?: number): void;
}

/** A gauge (prom-client-compatible call shapes). */
export class GaugeFamily<L extends string = string> extends Family<L> {
  /** `set(3)` or `set({label: 'v'}, 3)`. */
  set(labelsOrValue: Labels<L> | number, value?: number): void {
    if (!runtime.enabled) return;
    if (typeof labelsOrValue === 'number') this.cell(undefined).value = labelsOrValue;
    else if (typeof value === 'number') this.cell(labelsOrValue).value = value;
  }

  inc(labelsOrValue?: Labels<L> | number, value?: number): void {
    if (!runtime.enabled) return;
    if (typeof labelsOrValue === 'number' || labelsOrValue === undefined) this.cell(undefined).value += labelsOrValue ?? 1;
    else if (value === undefined || typeof value === 'number') this.cell(labelsOrValue).value += value ?? 1;
  }

  dec(labelsOrValue?: Labels<L> | number, value?: number): void {
    if (!runtime.enabled) return;
    if (typeof labelsOrValue === 'number' || labelsOrValue === undefined) this.cell(undefined).value -= labelsOrValue ?? 1;
    else if (value === undefined || typeof value === 'number') this.cell(labelsOrValue).value -= value ?? 1;
  }

  labels(...values: (LabelValue | Labels<L>)[]): BoundGauge {
    return new BoundGaugeCell(this.cell(this.labelObject(values)));
  }

  get(labels?: Labels<L>): number {
    return this.cell(labels).value;
  }

  private sdk: Gauge | undefined;

  protected override newCell(attributes: Attributes): Cell {
    const c = new Cell(attributes);
    c.reported = NaN;
    return c;
  }

  bind(meter: Meter | undefined): void {
    this.sdk = meter?.createGauge(this.def.otelName, instrumentOptions(this.def));
    for (const c of this.cells.values()) c.reported = NaN;
  }

  /**
   * The series whose value changed since the last collection (and new ones),
   * as a synchronous OTel gauge records: a cumulative reader keeps reporting
   * the last value of the others; a delta reader reports what was measured
   * in its interval. Recording every series at every collection cost
   * 1.4 µs per series per scrape.
   */
  flush(): void {
    const sdk = this.sdk;
    if (sdk === undefined) return;
    for (const c of this.cells.values()) {
      const v = c.value;
      if (v !== c.reported) {
        sdk.record(v, c.attributes);
        c.reported = v;
      }
    }
  }
}

class BoundGaugeCell implements BoundGauge {
  constructor(private readonly c: Cell) {}
  set(value: number): void {
    if (runtime.enabled && typeof value === 'number') this.c.value = value;
  }
  inc(value = 1): void {
    if (runtime.enabled && typeof value === 'number') this.c.value += value;
  }
  dec(value = 1): void {
    if (runtime.enabled && typeof value === 'number') this.c.value -= value;
  }
}

export interface BoundHistogram {
  observe(value: number): void;
  /** Starts a timer; calling the result observes the elapsed seconds and returns them. */
  startTimer(): () => number;
}

function observeInto(c: HistogramCell, bounds: readonly number[], v: number): void {
  let i = 0;
  const n = bounds.length;
  while (i < n && v > bounds[i]) i++;
  c.counts[i]++;
  c.sum += v;
  c.count++;
  if (v < c.min) c.min = v;
  if (v > c.max) c.max = v;
}

/**
 * Observations held per family while no SDK runs (before start, between a
 * shutdown and a new start), handed to the SDK histogram when it binds.
 * Past it, an observation is seen by `get()` only.
 */
export const PENDING_OBSERVATIONS = 4096;

/** An explicit-bucket histogram with the catalogue's buckets. */
export class HistogramFamily<L extends string = string> extends Family<L> {
  readonly bounds: readonly number[];
  private sdk: Histogram | undefined;
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

  protected override newCell(attributes: Attributes): Cell {
    return new HistogramCell(attributes, (this.bounds ?? HistogramFamily.pending).length);
  }

  /** `observe(0.3)` or `observe({label: 'v'}, 0.3)`. */
  observe(labelsOrValue: Labels<L> | number, value?: number): void {
    if (!runtime.enabled) return;
    if (typeof labelsOrValue === 'number') this.record(this.cell(undefined) as HistogramCell, labelsOrValue);
    else if (value !== undefined) this.record(this.cell(labelsOrValue) as HistogramCell, value);
  }

  /** @internal One observation of one series (the typed API and bound handles). */
  record(c: HistogramCell, v: number): void {
    // Not a number, NaN or negative: the SDK histogram would drop it too; the cell must agree with what is exported.
    if (typeof v !== 'number' || !(v >= 0)) return warnNegative(this.def.name, v, 'a histogram');
    observeInto(c, this.bounds, v);
    // A histogram's state cannot be handed to the SDK in aggregate (the API takes single
    // observations), so each one goes to the SDK as it is made, with the cell's attribute object.
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
    if (sdk === undefined) return;
    const cells = this.pendingCells;
    const values = this.pendingValues;
    for (let i = 0; i < values.length; i++) sdk.record(values[i], cells[i].attributes);
    cells.length = 0;
    values.length = 0;
  }

  /** Nothing waits: observations reach the SDK as they are made. */
  flush(): void {}

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
    const c = this.cell(this.labelObject(values)) as HistogramCell;
    return {
      observe: (v: number) => {
        if (runtime.enabled) this.record(c, v);
      },
      startTimer: () => {
        const t0 = performance.now();
        return () => {
          const s = (performance.now() - t0) / 1000;
          if (runtime.enabled) this.record(c, s);
          return s;
        };
      },
    };
  }

  /** Count, sum and cumulative bucket counts of one series (tests, health). */
  get(labels?: Labels<L>): { count: number; sum: number; buckets: number[] } {
    const c = this.cell(labels) as HistogramCell;
    let cum = 0;
    return { count: c.count, sum: c.sum, buckets: c.counts.map((x) => (cum += x)) };
  }
}

let warnedNegative = false;
function warnNegative(name: string, v: unknown, what = 'a counter'): void {
  if (warnedNegative) return;
  warnedNegative = true;
  diag.warn(`@wundr/otel: ${name}: ${what} takes a number >= 0; ignored ${String(v)}`);
}

/**
 * Raises or lowers the cap on distinct values of label keys (seed §12),
 * for every metric or for one. Values already admitted stay; past a lowered
 * cap new values fold into `other`. Allow-listed keys (status, direction,
 * token_type, period, severity) have no cap to set.
 *
 * @example
 * setLabelCaps({ tool_name: 500 });                                // every metric with tool_name
 * setLabelCaps({ model: 20 }, 'wundr_model_request_tokens_total'); // one metric
 */
export function setLabelCaps(caps: Readonly<Record<string, number>>, metric?: string): void {
  const def = metric === undefined ? undefined : getMetricDef(metric);
  if (metric !== undefined && !def) throw new Error(`@wundr/otel: setLabelCaps: ${metric} is not a catalogue metric`);
  for (const [key, cap] of Object.entries(caps)) {
    if (!Number.isInteger(cap) || cap < 1 || cap > 100_000) {
      throw new Error(`@wundr/otel: setLabelCaps: the cap for "${key}" must be an integer from 1 to 100000 (got ${String(cap)})`);
    }
    if (def ? !def.labels.includes(key) : !CATALOGUE.some((d) => d.labels.includes(key))) {
      throw new Error(`@wundr/otel: setLabelCaps: "${key}" is not a label of ${def ? def.name : 'any catalogue metric'}`);
    }
    if (def?.values?.[key]) throw new Error(`@wundr/otel: setLabelCaps: "${key}" of ${def.name} has a fixed value set (${def.values[key].join('|')})`);
    capOverrides.set(def ? `${def.name}${SEP}${key}` : key, cap);
  }
  for (const g of allGuards) g.cap = LabelGuard.capFor(g.def, g.key);
}

// --- the overflow self-metric -------------------------------------------------

let overflowFamily: CounterFamily<'metric' | 'label'> | undefined;

function countOverflow(metric: string, label: string): void {
  // The family's own lookup (nested maps) is the cache: nothing here outlives a reset().
  overflowMetric().cell({ metric, label }).value += 1;
}

/** The self-metric family (created on first overflow). */
export function overflowMetric(): CounterFamily<'metric' | 'label'> {
  if (overflowFamily === undefined) {
    const def = getMetricDef('wundr_metrics_label_overflow_total')!;
    overflowFamily = new CounterFamily(def, 100_000);
  }
  return overflowFamily;
}

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
  flush(): void {
    for (const f of this.families()) {
      if (!this.bound.has(f)) this.bindOne(f);
      f.flush();
    }
  }

  /** A last flush, then the families stop feeding this meter (the SDK is shutting down). */
  close(): void {
    this.flush();
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

export { isLabels, nowHr };
