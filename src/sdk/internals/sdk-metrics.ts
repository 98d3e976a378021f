/**
 * The one reach into @opentelemetry/sdk-metrics' private members: handing
 * a histogram's state, aggregated per series, to the SDK's per-series
 * storage.
 *
 * A histogram recorded through the API costs an attribute hash per
 * observation (`hashAttributes`: sorted keys, JSON.stringify), which is
 * most of the cost of an observation. The package's histograms count into
 * their own cells instead, and at each collection each series' buckets,
 * sum, count, min and max since the last collection are added into the
 * accumulation the SDK keeps for that series in the interval being
 * collected (DeltaMetricProcessor's active storage): one hash per series
 * per collection instead of one per observation. What happens after (views'
 * renames, cardinality limits, per-reader temporality, every exporter) is
 * the SDK's own code on the SDK's own accumulations.
 *
 * Detection: the instrument's storages must be laid out as sdk-metrics 2.x
 * and 3.x lay them out, and every storage must aggregate into an explicit
 * bucket histogram with the same boundaries (or drop), with no attribute
 * processor other than the stock allow and deny lists (which ignore the
 * context). Otherwise `histogramWriter` returns undefined and the caller
 * records each observation through the API, as before.
 * test/sdk/sdkMetricsInternals.test.ts compares both paths' output, so a change of
 * the library underneath fails a test instead of a scrape.
 */
import { diag, ROOT_CONTEXT, type Attributes, type Context, type HrTime } from '@opentelemetry/api';
import { createAllowListAttributesProcessor, createDenyListAttributesProcessor } from '@opentelemetry/sdk-metrics';

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

/** Adds a series' delta to the SDK's accumulation for that series, in every storage of the instrument. */
export interface HistogramWriter {
  write(attributes: Attributes, delta: HistogramDelta): void;
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
  toPointValue(): PointValue;
}
interface AttributeMap {
  get(key: Attributes): Accumulation | undefined;
  set(key: Attributes, value: Accumulation): void;
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
/** The stock processors that never look at the context: filtering at collection gives what filtering at recording gives. */
function isContextFree(p: unknown): boolean {
  contextFreeProcessors ??= new Set([createAllowListAttributesProcessor([]).constructor, createDenyListAttributesProcessor([]).constructor]);
  return typeof p === 'object' && p !== null && contextFreeProcessors.has(p.constructor);
}

interface Target {
  dp: DeltaProcessor;
  process: ((a: Attributes) => Attributes) | undefined;
  minMax: boolean;
}

function targetOf(storage: SyncStorage, bounds: readonly number[]): Target | null | undefined {
  const dp = storage?._deltaMetricStorage;
  const agg = dp?._aggregator;
  if (typeof agg?.createAccumulation !== 'function' || typeof dp!._activeCollectionStorage?.get !== 'function') return undefined;
  if (typeof dp!._cardinalityLimit !== 'number' || typeof dp!._overflowAttributes !== 'object') return undefined;
  if (agg.kind === DROP) return null;
  if (agg.kind !== HISTOGRAM || typeof agg._recordMinMax !== 'boolean' || !Array.isArray(agg._boundaries)) return undefined;
  if (agg._boundaries.length !== bounds.length || agg._boundaries.some((b, i) => b !== bounds[i])) return undefined;
  let process: Target['process'];
  const ap = storage._attributesProcessor;
  if (ap !== undefined) {
    // A view's processors come wrapped in one MultiAttributesProcessor (or alone, or a no-op).
    const list = Array.isArray(ap._processors) ? ap._processors : [ap];
    const noop = list.every((p) => (p as { constructor?: { name?: string } })?.constructor?.name === 'NoopAttributesProcessor');
    if (!noop) {
      if (!list.every(isContextFree) || typeof ap.process !== 'function') return undefined;
      process = (a) => ap.process(a, ROOT_CONTEXT);
    }
  }
  return { dp: dp!, process, minMax: agg._recordMinMax };
}

function hrTime(ms: number): HrTime {
  const s = Math.floor(ms / 1000);
  return [s, Math.round((ms - s * 1000) * 1e6)];
}

function addInto(p: PointValue, d: HistogramDelta, minMax: boolean): void {
  const counts = p.buckets.counts;
  for (let j = 0; j < counts.length; j++) counts[j] += d.counts[j];
  p.sum += d.sum;
  p.count += d.count;
  if (minMax && d.count > 0) {
    if (d.min < p.min) p.min = d.min;
    if (d.max > p.max) p.max = d.max;
    p.hasMinMax = true;
  }
}

/**
 * The writer for an SDK histogram instrument created with explicit bucket
 * boundaries `bounds`, or undefined when the instrument is not laid out as
 * expected (another sdk-metrics version, a view with another aggregation
 * or a context-dependent attribute processor): the caller then records
 * every observation through the API.
 */
export function histogramWriter(instrument: unknown, bounds: readonly number[]): HistogramWriter | undefined {
  try {
    const ws = (instrument as { _writableMetricStorage?: { _backingStorages?: SyncStorage[] } & SyncStorage })?._writableMetricStorage;
    if (ws === undefined || ws === null) return undefined;
    const storages: SyncStorage[] = Array.isArray(ws._backingStorages) ? ws._backingStorages : [ws];
    const targets: Target[] = [];
    for (const s of storages) {
      const t = targetOf(s, bounds);
      if (t === undefined) {
        diag.debug('@wundr/otel: a histogram is not laid out as sdk-metrics 3.x lays it out; its observations go through the API');
        return undefined;
      }
      if (t !== null) targets.push(t);
    }
    return {
      write(attributes, delta) {
        for (const t of targets) {
          let attrs = t.process === undefined ? attributes : t.process(attributes);
          const dp = t.dp;
          const map = dp._activeCollectionStorage;
          let acc = map.get(attrs);
          if (acc === undefined) {
            // The SDK's own rule: past its cardinality limit a new series goes to the overflow series.
            if (map.size >= dp._cardinalityLimit) {
              attrs = dp._overflowAttributes;
              acc = map.get(attrs);
            }
            if (acc === undefined) {
              acc = dp._aggregator.createAccumulation(hrTime(delta.startMs));
              if (acc === undefined) continue;
              map.set(attrs, acc);
            }
          }
          addInto(acc.toPointValue(), delta, t.minMax);
        }
      },
    };
  } catch (err) {
    diag.debug(`@wundr/otel: histogram storage not reachable (${(err as Error)?.message}); observations go through the API`);
    return undefined;
  }
}
