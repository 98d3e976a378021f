/**
 * A histogram outside the catalogue (the HTTP server duration) recorded as
 * the catalogue's histograms are: into one cell per attribute set, found by
 * a string key the caller builds from its attribute values, and handed to
 * the SDK's per-series storage at each collection (one attribute hash per
 * series per collection instead of one per observation). Where that
 * storage is not reachable, or past `maxSeries` distinct keys, observations
 * go through the API histogram and its own cardinality limit.
 */
import type { Attributes, Histogram, Meter, MetricOptions } from '@opentelemetry/api';
import { histogramWriter, type HistogramWriter } from '../../sdk/internals/sdk-metrics.ts';
import { seriesAttributes } from './family.ts';
import { HistogramCell, observeInto } from './histogram.ts';

export class KeyedHistogram {
  private readonly api: Histogram;
  private readonly writer: HistogramWriter | undefined;
  private readonly bounds: readonly number[];
  private readonly cells = new Map<string, HistogramCell>();

  constructor(
    meter: Meter,
    name: string,
    options: MetricOptions & { advice: { explicitBucketBoundaries: number[] } },
    private readonly maxSeries = 2000,
  ) {
    this.bounds = Object.freeze([...options.advice.explicitBucketBoundaries]);
    this.api = meter.createHistogram(name, options);
    this.writer = histogramWriter(this.api, this.bounds);
    if (this.writer !== undefined) {
      // A carrier that never observes: sdk-metrics runs a meter's observable callbacks before it reads the meter's storages.
      const carrier = meter.createObservableGauge(`${name}.cells`, { description: `Carries ${name} from its cells at each collection; reports nothing itself` });
      meter.addBatchObservableCallback(() => this.flush(), [carrier]);
    }
  }

  /**
   * One observation (a number >= 0) of the series named `key`; `attributes`
   * builds the series' attributes the first time the key is seen.
   */
  record(key: string, attributes: () => Attributes, value: number): void {
    // Not a number >= 0: the API histogram says why, once, and drops it.
    if (this.writer === undefined || !(value >= 0)) return this.api.record(value, attributes());
    let c = this.cells.get(key);
    if (c === undefined) {
      if (this.cells.size >= this.maxSeries) return this.api.record(value, attributes());
      c = new HistogramCell(seriesAttributes({ ...attributes() }), this.bounds.length);
      this.cells.set(key, c);
    }
    observeInto(c, this.bounds, value);
  }

  /** Hands what each series gained since the last collection to the SDK. */
  flush(): void {
    const w = this.writer!;
    for (const c of this.cells.values()) {
      if (c.count === 0) continue;
      w.write(c, c);
      c.clearDelta();
    }
  }
}
