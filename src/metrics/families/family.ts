/**
 * The family base: one family per catalogue entry, one cell per label
 * combination. Recording goes into the cell (a nested Map lookup on the
 * label values, or nothing at all through a pre-bound handle); the cells
 * hand their state to the SDK's instruments once per collection (see
 * meterBinding.ts), so the SDK does not hash an attribute set per
 * recording.
 */
import { diag, type Attributes, type HrTime, type Meter } from '@opentelemetry/api';
import { DEFAULT_MAX_SERIES, OVERFLOW_VALUE, type MetricDef } from '../catalogue.ts';
import { LabelGuard, SEP } from './labelGuard.ts';

export type LabelValue = string | number | undefined;
export type Labels<L extends string = string> = Partial<Record<L, LabelValue>>;

/** Shared switch: `false` when metrics are disabled (METRICS_ENABLED=false): every recorder returns at once. */
export const runtime = { enabled: true };

export function nowHr(): HrTime {
  const ms = performance.timeOrigin + performance.now();
  const s = Math.floor(ms / 1000);
  return [s, Math.round((ms - s * 1000) * 1e6)];
}

export function isLabels(x: unknown): x is Labels {
  return typeof x === 'object' && x !== null;
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
  /** Set by reset(): the family no longer holds this cell; a handle bound to it looks its series up again. */
  retired = false;
  /** The SDK's hash of `attributes`, computed at the first hand-over (src/sdk/internals/sdk-metrics.ts). */
  hash: string | undefined = undefined;
  readonly attributes: Attributes;
  constructor(attributes: Attributes) {
    this.attributes = attributes;
  }
}

type Node = Map<LabelValue, Node | Cell>;

/**
 * A non-enumerable slot on each series' frozen attribute object, where an
 * exporter may keep what it derives from the series (the Prometheus
 * serializer keeps the label text and the last line). OTel never sees it:
 * hashing, attribute processors and OTLP encoding read enumerable string
 * keys only.
 */
export const SERIES_SLOT = Symbol.for('@wundr/otel.series');

/** A series' attribute object: frozen, with an empty SERIES_SLOT. */
export function seriesAttributes(attrs: Attributes): Attributes {
  Object.defineProperty(attrs, SERIES_SLOT, { value: {} });
  return Object.freeze(attrs);
}

/** Counts a value folded by a guard or a series cap (the counter module installs the self-metric). */
let overflowSink: (metric: string, label: string) => void = () => {};

/** @internal */
export function setOverflowSink(sink: (metric: string, label: string) => void): void {
  overflowSink = sink;
}

let warnedNegative = false;
export function warnNegative(name: string, v: unknown, what = 'a counter'): void {
  if (warnedNegative) return;
  warnedNegative = true;
  diag.warn(`@wundr/otel: ${name}: ${what} takes a number >= 0; ignored ${String(v)}`);
}

export abstract class Family<L extends string = string, C extends Cell = Cell> {
  readonly def: MetricDef;
  readonly keys: readonly string[];
  /** Canonical key -> cell: one entry per series (bounded by the guards and the series cap). */
  readonly cells = new Map<string, C>();
  /** Raw label values -> cell, one Map level per key; only unfolded values are indexed, so it is bounded too. */
  private index: Node = new Map();
  private readonly guards: LabelGuard[];
  /** Cap on this family's series; the SDK's cardinality limit for its instrument is set above it. */
  readonly maxSeries: number;
  private warnedUnknown = false;
  private single: C | undefined;

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

  protected abstract newCell(attributes: Attributes): C;

  /** The cell for a label set; the hot path is one Map lookup per label key, no string building. */
  cell(labels: Labels<L> | undefined): C {
    const keys = this.keys;
    const n = keys.length;
    if (n === 0) return this.single!;
    if (labels === undefined) return this.slowCell(labels);
    let node: Node | Cell | undefined = this.index;
    for (let i = 0; i < n; i++) {
      node = (node as Node).get((labels as Record<string, LabelValue>)[keys[i]]);
      if (node === undefined) return this.slowCell(labels);
    }
    return node as C;
  }

  /** Miss: guard each value, then find or create the canonical cell, and index the raw values when nothing was folded. */
  private slowCell(labels: Labels<L> | undefined): C {
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
        overflowSink(this.def.name, keys[i]);
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
        if (!folded) overflowSink(this.def.name, '*');
        return this.overflowCell();
      }
      cell = this.newCell(seriesAttributes(attrs));
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

  private overflowCell(): C {
    const k = this.keys.map(() => OVERFLOW_VALUE).join(SEP);
    let cell = this.cells.get(k);
    if (!cell) {
      const all: Record<string, string> = {};
      for (const key of this.keys) all[key] = OVERFLOW_VALUE;
      cell = this.newCell(seriesAttributes(all));
      this.cells.set(k, cell);
    }
    return cell;
  }

  /** Resolves positional values (prom-client's `labels('a', 'b')`) or an object to a label object of its own. */
  protected labelObject(args: unknown[]): Labels<L> | undefined {
    if (args.length === 0) return undefined;
    if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null) return { ...(args[0] as Labels<L>) };
    const o: Record<string, LabelValue> = {};
    for (let i = 0; i < this.keys.length && i < args.length; i++) o[this.keys[i]] = args[i] as LabelValue;
    return o as Labels<L>;
  }

  private resetCells(): void {
    this.cells.clear();
    this.index = new Map();
    for (const g of this.guards) g.clear();
    if (this.keys.length === 0) {
      this.single = this.newCell(seriesAttributes({}));
      this.cells.set('', this.single);
    }
  }

  /**
   * Removes every series (prom-client's `reset()`). What the cells recorded
   * since the last collection is handed to the SDK first: OTel has no
   * removal of a series, so the SDK keeps reporting what it was given, and
   * what is recorded afterwards adds to it. Pre-bound handles find their
   * series again on their next recording.
   */
  reset(): void {
    for (const c of this.cells.values()) {
      this.settle(c, false);
      c.retired = true;
    }
    this.resetCells();
  }

  /**
   * Hands what one cell recorded since the last flush to the instrument;
   * `collecting`: the SDK collects its instruments right after (the flush
   * runs inside a collection), so what is handed is reported.
   */
  protected abstract settle(cell: C, collecting: boolean): void;

  /** Creates this family's instrument on `meter`, or drops it (`undefined`: no SDK runs). */
  abstract bind(meter: Meter | undefined): void;

  /** Hands the recordings made since the last flush to the instrument (at collection, unless `collecting` is false). */
  flush(collecting = true): void {
    for (const c of this.cells.values()) this.settle(c, collecting);
  }
}
