/**
 * The HTTP server duration histogram's recorder: observations kept in cells
 * by key export what the same observations recorded through the API
 * export, for every reader and temporality; past its series cap it records
 * through the API (and the SDK's own cardinality limit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Attributes } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { KeyedHistogram } from '../../src/metrics/families/index.ts';
import { TestReader } from '../support/testReader.ts';

const OPTIONS = { unit: 's', advice: { explicitBucketBoundaries: [0.01, 0.1, 1] } };

async function points(reader: MetricReader) {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics
    .flatMap((s) => s.metrics)
    .filter((m) => m.descriptor.name === 'd')
    .flatMap((m) => m.dataPoints.map((p) => ({ attributes: { ...p.attributes }, value: p.value })))
    .sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes)));
}

test('cells by key export what the API histogram exports, cumulative and delta, across collections', async () => {
  const make = () => {
    const cumulative = new TestReader();
    const delta = new TestReader({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
    const mp = new MeterProvider({ readers: [cumulative, delta] });
    return { cumulative, delta, mp, meter: mp.getMeter('m') };
  };
  const api = make();
  const ours = make();
  const h = api.meter.createHistogram('d', OPTIONS);
  const k = new KeyedHistogram(ours.meter, 'd', OPTIONS);
  const series: Attributes[] = [{ method: 'GET', status: 200 }, { method: 'POST', status: 500, 'error.type': '500' }, { method: 'GET', status: 404 }];
  const rounds = [
    [0.005, 0.2, 3, 0.01],
    [],
    [0.5, 0.05, 0.05, 12, 0],
  ];
  for (const values of rounds) {
    values.forEach((v, i) => {
      const a = series[i % series.length];
      h.record(v, a);
      k.record(JSON.stringify(a), () => a, v);
    });
    for (const r of ['cumulative', 'delta'] as const) assert.deepEqual(await points(ours[r]), await points(api[r]), r);
  }
  // The carrier instrument never shows.
  const { resourceMetrics } = await ours.cumulative.collect();
  assert.deepEqual(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name)), ['d']);
  await api.mp.shutdown();
  await ours.mp.shutdown();
});

test('past the series cap, and for values that are not a number >= 0, the API histogram records', async () => {
  const reader = new TestReader();
  const mp = new MeterProvider({ readers: [reader] });
  const k = new KeyedHistogram(mp.getMeter('m'), 'd', OPTIONS, 2);
  for (let i = 0; i < 4; i++) k.record(`k${i}`, () => ({ i }), 0.5);
  k.record('k0', () => ({ i: 0 }), -1);
  k.record('k0', () => ({ i: 0 }), Number.NaN);
  const ps = await points(reader);
  assert.deepEqual(
    ps.map((p) => [p.attributes.i, (p.value as { count: number }).count]),
    [[0, 1], [1, 1], [2, 1], [3, 1]],
  );
  await mp.shutdown();
});
