/**
 * The one reach into @opentelemetry/sdk-metrics' private members: handing
 * what a series recorded to the SDK's per-series storage directly.
 *
 * A recording through the API costs an attribute hash (`hashAttributes`:
 * sorted keys, JSON.stringify) and a map lookup per call: for a histogram
 * observation that is most of its cost, and for the package's counters and
 * gauges (handed over once per collection) most of a collection's
 * hand-over. Here the hash of a series is computed once, with the SDK's own
 * function, and kept by the caller; at each hand-over the series'
 * accumulation in the interval being collected (DeltaMetricProcessor's
 * active storage) is found by that hash, created by the SDK's aggregator
 * when missing, and given the value (`record`, the aggregation's own code)
 * or a histogram's buckets, sum, count, min and max since the last
 * hand-over (`write`). What happens after (views' renames, cardinality
 * limits, per-reader temporality, every exporter) is the SDK's own code on
 * the SDK's own accumulations.
 *
 * Detection: the instrument's storages must be laid out as sdk-metrics 2.x
 * and 3.x lay them out, with no attribute processor other than the stock
 * allow and deny lists (which ignore the context, so filtering at hand-over
 * gives what filtering at recording gives); for `write`, every storage
 * must aggregate into an explicit-bucket histogram with the same
 * boundaries (or drop). Otherwise the functions below return undefined and
 * the caller records through the API, as before.
 * test/sdk/sdkMetricsInternals.test.ts compares both paths' output, so a
 * change of the library underneath fails a test instead of a scrape.
 */
import { diag, ROOT_CONTEXT, type Attributes, type Context, type HrTime } from '@opentelemetry/api';

/** What one series recorded since it was last written, in the OTel bucket layout (`bounds.length + 1` counts). */
export interface HistogramDelta {
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
  /** When the first of these observations was made (ms since the epoch). */
  readonly startMs: number;
}

/** A series as the caller keeps it: its attribute object (never changed) and a slot for the SDK's hash of it. */
export interface Series {
  readonly attributes: Attributes;
  hash: string | undefined;
}

/** Hands values of a series to the SDK's accumulation for that series, in every storage of the instrument. */
export interface StorageWriter {
  /** What the API's add()/record() would do with `value`, without the hash. */
  record(series: Series, value: number): void;
}

/** Adds a histogram series' delta to the SDK's accumulation for that series. */
export interface HistogramWriter {
  write(series: Series, delta: HistogramDelta): void;
}

interface PointValue {
  buckets: { boundaries: number[]; counts: number[] };
  sum: number;
  count: number;
  hasMinMax: boolean;
  min: number;
  max: number;
}
interface Accumulation {
  record(value: number): void;
  toPointValue(): unknown;
}
interface AttributeMap {
  get(key: Attributes, hash?: string): Accumulation | undefined;
  set(key: Attributes, value: Accumulation, hash?: string): void;
  _hash(key: Attributes): string;
  readonly size: number;
}
interface Aggregator {
  kind: number;
  _boundaries?: number[];
  _recordMinMax?: boolean;
  createAccumulation(startTime: HrTime): Accumulation | undefined;
}
interface DeltaProcessor {
  _activeCollectionStorage: AttributeMap;
  _aggregator: Aggregator;
  _cardinalityLimit: number;
  _overflowAttributes: Attributes;
}
interface SyncStorage {
  _deltaMetricStorage?: DeltaProcessor;
  _attributesProcessor?: { process(a: Attributes, c: Context): Attributes; _processors?: unknown[] };
}

/** sdk-metrics' AggregatorKind values. */
const DROP = 0;
const HISTOGRAM = 3;

let contextFreeProcessors: Set<unknown> | undefined;
/** The stock processors that never look at the context. */
function isContextFree(p: unknown): boolean {
  if (contextFreeProcessors === undefined) {
    // Loaded here, not at import: the families load this module whether or not an SDK ever runs.
    const sm = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
    contextFreeProcessors = new Set([sm.createAllowListAttributesProcessor([]).constructor, sm.createDenyListAttributesProcessor([]).constructor]);
  }
  return typeof p === 'object' && p !== null && contextFreeProcessors.has(p.constructor);
}

interface Target {
  dp: DeltaProcessor;
  /** The view's attribute filter, when it has one. */
  process: ((a: Attributes) => Attributes) | undefined;
  minMax: boolean;
}

function targetOf(storage: SyncStorage): Target | undefined {
  const dp = storage?._deltaMetricStorage;
  const agg = dp?._aggregator;
  const map = dp?._activeCollectionStorage;
  if (typeof agg?.createAccumulation !== 'function' || typeof agg.kind !== 'number') return undefined;
  if (typeof map?.get !== 'function' || typeof map.set !== 'function' || typeof map._hash !== 'function') return undefined;
  if (typeof dp!._cardinalityLimit !== 'number' || typeof dp!._overflowAttributes !== 'object') return undefined;
  let process: Target['process'];
  const ap = storage._attributesProcessor;
  if (ap !== undefined) {
    // A view's processors come wrapped in one MultiAttributesProcessor (or a no-op without any).
    const list = Array.isArray(ap._processors) ? ap._processors : [ap];
    const noop = list.every((p) => (p as { constructor?: { name?: string } })?.constructor?.name === 'NoopAttributesProcessor');
    if (!noop) {
      if (!list.every(isContextFree) || typeof ap.process !== 'function') return undefined;
      process = (a) => ap.process(a, ROOT_CONTEXT);
    }
  }
  return { dp: dp!, process, minMax: agg._recordMinMax === true };
}

function storagesOf(instrument: unknown): SyncStorage[] | undefined {
  const ws = (instrument as { _writableMetricStorage?: { _backingStorages?: SyncStorage[] } & SyncStorage })?._writableMetricStorage;
  if (typeof ws !== 'object' || ws === null) return undefined;
  return Array.isArray(ws._backingStorages) ? ws._backingStorages : [ws];
}

function hrTime(ms: number): HrTime {
  const s = Math.floor(ms / 1000);
  return [s, Math.round((ms - s * 1000) * 1e6)];
}

/**
 * The series' accumulation in the interval being collected, created as the SDK creates it (overflow included);
 * `startMs` only matters when it is created (undefined: now).
 */
function accumulationOf(t: Target, series: Series, startMs: number | undefined): Accumulation | undefined {
  const dp = t.dp;
  const map = dp._activeCollectionStorage;
  let attrs: Attributes;
  let hash: string;
  if (t.process === undefined) {
    attrs = series.attributes;
    hash = series.hash ??= map._hash(attrs);
  } else {
    attrs = t.process(series.attributes);
    hash = map._hash(attrs);
  }
  let acc = map.get(attrs, hash);
  if (acc !== undefined) return acc;
  // The SDK's own rule: past its cardinality limit a new series goes to the overflow series.
  if (map.size >= dp._cardinalityLimit) {
    attrs = dp._overflowAttributes;
    hash = map._hash(attrs);
    acc = map.get(attrs, hash);
    if (acc !== undefined) return acc;
  }
  acc = dp._aggregator.createAccumulation(hrTime(startMs ?? Date.now()));
  if (acc !== undefined) map.set(attrs, acc, hash);
  return acc;
}

function targetsOf(instrument: unknown, accept: (agg: Aggregator) => boolean): Target[] | undefined {
  try {
    const storages = storagesOf(instrument);
    if (storages === undefined) return undefined;
    const targets: Target[] = [];
    for (const s of storages) {
      const t = targetOf(s);
      if (t === undefined || !accept(t.dp._aggregator)) {
        diag.debug('@wundr/otel: an instrument is not laid out as sdk-metrics 3.x lays it out, or a view filters it by context; it is recorded through the API');
        return undefined;
      }
      if (t.dp._aggregator.kind !== DROP) targets.push(t);
    }
    return targets;
  } catch (err) {
    diag.debug(`@wundr/otel: metric storage not reachable (${(err as Error)?.message}); recorded through the API`);
    return undefined;
  }
}

/**
 * The writer for an SDK counter or gauge (any aggregation a view gives it:
 * each value goes to the aggregation's own `record`), or undefined when
 * its storage is not laid out as expected: the caller then uses the API.
 */
export function storageWriter(instrument: unknown): StorageWriter | undefined {
  const targets = targetsOf(instrument, () => true);
  if (targets === undefined) return undefined;
  return {
    record(series, value) {
      for (let i = 0; i < targets.length; i++) accumulationOf(targets[i], series, undefined)?.record(value);
    },
  };
}

/**
 * The writer for an SDK histogram instrument created with explicit bucket
 * boundaries `bounds`, or undefined when the instrument is not laid out as
 * expected or a view gives it another aggregation or other boundaries: the
 * caller then records every observation through the API.
 */
export function histogramWriter(instrument: unknown, bounds: readonly number[]): HistogramWriter | undefined {
  const sameBounds = (agg: Aggregator) =>
    agg.kind === DROP ||
    (agg.kind === HISTOGRAM &&
      typeof agg._recordMinMax === 'boolean' &&
      Array.isArray(agg._boundaries) &&
      agg._boundaries.length === bounds.length &&
      agg._boundaries.every((b, i) => b === bounds[i]));
  const targets = targetsOf(instrument, sameBounds);
  if (targets === undefined) return undefined;
  return {
    write(series, d) {
      for (let i = 0; i < targets.length; i++) {
        const t = targets[i];
        const acc = accumulationOf(t, series, d.startMs);
        if (acc === undefined) continue;
        const p = acc.toPointValue() as PointValue;
        const counts = p.buckets.counts;
        for (let j = 0; j < counts.length; j++) counts[j] += d.counts[j];
        p.sum += d.sum;
        p.count += d.count;
        if (t.minMax && d.count > 0) {
          if (d.min < p.min) p.min = d.min;
          if (d.max > p.max) p.max = d.max;
          p.hasMinMax = true;
        }
      }
    },
  };
}
