/**
 * The reach into sdk-metrics' per-series storage
 * (src/sdk/internals/sdk-metrics.ts) against the library installed: what
 * is handed over through it must export exactly what the same recordings
 * made through the API export, under cumulative and delta readers and the
 * views users write (rename, attribute filter, cardinality limit, another
 * aggregation for counters and gauges); anything else must be refused, so
 * that the caller takes the API path. A change of sdk-metrics underneath
 * fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Attributes } from '@opentelemetry/api';
import {
  AggregationTemporality,
  AggregationType,
  MeterProvider,
  MetricReader,
  createAllowListAttributesProcessor,
  type DataPoint,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { histogramWriter, storageWriter, type Series } from '../../src/sdk/internals/sdk-metrics.ts';
import { TestReader } from '../support/testReader.ts';

const BOUNDS = [0.1, 1, 10];
const NAME = 'h';

/** One provider: a cumulative and a delta reader, the given views, one histogram. */
function setup(views: ViewOptions[] = []) {
  const cumulative = new TestReader();
  const delta = new TestReader({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  const mp = new MeterProvider({ readers: [cumulative, delta], views });
  const meter = mp.getMeter('m');
  const h = meter.createHistogram(NAME, { advice: { explicitBucketBoundaries: BOUNDS } });
  const c = meter.createCounter('c');
  const g = meter.createGauge('g');
  return { cumulative, delta, mp, h, c, g };
}

/** One Series per attribute set, as a family keeps one cell per series (the hash slot is filled once). */
const seriesCache = new Map<string, Series>();
function series(attributes: Attributes): Series {
  const k = JSON.stringify(attributes);
  let s = seriesCache.get(k);
  if (!s) seriesCache.set(k, (s = { attributes: Object.freeze({ ...attributes }), hash: undefined }));
  return s;
}

/** A series' observations as the writer takes them. */
function deltaOf(values: number[]) {
  const counts = new Array(BOUNDS.length + 1).fill(0);
  for (const v of values) {
    let i = 0;
    while (i < BOUNDS.length && v > BOUNDS[i]) i++;
    counts[i]++;
  }
  return { counts, sum: values.reduce((a, b) => a + b, 0), count: values.length, min: Math.min(...values), max: Math.max(...values), startMs: Date.now() };
}

async function points(reader: MetricReader) {
  const { resourceMetrics } = await reader.collect();
  const ms = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
  return ms.map((m) => ({
    name: m.descriptor.name,
    temporality: (m as { aggregationTemporality?: number }).aggregationTemporality,
    points: (m.dataPoints as DataPoint<unknown>[])
      .map((p) => ({ attributes: p.attributes, value: p.value }))
      .sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes))),
  }));
}

// Three intervals of observations for three series; the same for both paths.
const INTERVALS: [Attributes, number[]][][] = [
  [
    [{ a: 'x', b: '1' }, [0.05, 0.1, 3]],
    [{ a: 'y', b: '1' }, [20]],
  ],
  [],
  [
    [{ a: 'x', b: '1' }, [1, 1, 0.5]],
    [{ a: 'x', b: '2' }, [0]],
  ],
];

async function compare(views: ViewOptions[]) {
  const api = setup(views);
  const ours = setup(views);
  const writer = histogramWriter(ours.h, BOUNDS);
  assert.ok(writer, 'the installed sdk-metrics histogram storage is reachable');
  const counter = storageWriter(ours.c);
  const gauge = storageWriter(ours.g);
  assert.ok(counter && gauge, 'the installed sdk-metrics counter and gauge storages are reachable');
  seriesCache.clear();
  for (const interval of INTERVALS) {
    for (const [attrs, values] of interval) {
      for (const v of values) api.h.record(v, attrs);
      writer.write(series(attrs), deltaOf(values));
      // A family hands a counter its gain since the last collection in one add, a gauge its last value.
      api.c.add(values.reduce((a, b) => a + b, 0), attrs);
      api.g.record(values.at(-1)!, attrs);
      counter.record(series(attrs), values.reduce((a, b) => a + b, 0));
      gauge.record(series(attrs), values.at(-1)!);
    }
    for (const r of ['cumulative', 'delta'] as const) {
      assert.deepEqual(await points(ours[r]), await points(api[r]), `${r} reader`);
    }
  }
  await api.mp.shutdown();
  await ours.mp.shutdown();
}

test('a written delta exports what the same observations recorded through the API export (cumulative and delta readers)', async () => {
  await compare([]);
});

test('views still apply: rename, attribute allow-list, cardinality limit, another aggregation for counters and gauges', async () => {
  await compare([{ instrumentName: '*', name: undefined, attributesProcessors: [createAllowListAttributesProcessor(['a'])] }]);
  await compare([{ instrumentName: NAME, name: 'renamed' }, { instrumentName: 'c', name: 'c_renamed' }]);
  await compare([{ instrumentName: '*', aggregationCardinalityLimit: 2 }]);
  await compare([
    { instrumentName: 'c', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [1, 5] } } },
    { instrumentName: 'g', aggregation: { type: AggregationType.SUM } },
  ]);
});

test('a dropped histogram takes writes and exports nothing', async () => {
  const s = setup([{ instrumentName: NAME, aggregation: { type: AggregationType.DROP } }]);
  const writer = histogramWriter(s.h, BOUNDS);
  assert.ok(writer);
  writer.write(series({ a: 'x' }), deltaOf([1]));
  assert.deepEqual(await points(s.cumulative), []);
  await s.mp.shutdown();
});

test('anything else is refused, so the API path serves: other buckets, another aggregation, a custom processor, not an instrument', async () => {
  const refused: ViewOptions[][] = [
    [{ instrumentName: NAME, aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [1, 2] } } }],
    [{ instrumentName: NAME, aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
    [{ instrumentName: NAME, aggregation: { type: AggregationType.SUM } }],
  ];
  for (const views of refused) {
    const s = setup(views);
    assert.equal(histogramWriter(s.h, BOUNDS), undefined, JSON.stringify(views));
    await s.mp.shutdown();
  }
  // A processor of the user's own may read the context of the recording: the API path keeps it.
  const custom = setup([{ instrumentName: '*', attributesProcessors: [{ process: (a) => a }] }]);
  assert.equal(histogramWriter(custom.h, BOUNDS), undefined);
  assert.equal(storageWriter(custom.c), undefined);
  await custom.mp.shutdown();
  const s = setup();
  assert.equal(histogramWriter(s.h, [0.1, 1]), undefined, 'other boundaries than the instrument has');
  await s.mp.shutdown();
  for (const x of [undefined, null, {}, { _writableMetricStorage: {} }, 42]) {
    assert.equal(histogramWriter(x, BOUNDS), undefined);
    assert.equal(storageWriter(x), undefined);
  }
});
