/**
 * /metrics text: the serializer with cached label text writes exactly what
 * the exporter's own serializer writes, over generated metric data (odd
 * names, keys and values, non-finite numbers, frozen and unfrozen attribute
 * objects, histograms with and without an Infinity boundary), on the first
 * scrape and on the cached second one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ValueType, type Attributes } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { createPrometheusSerializer } from '../../src/sdk/prometheusSerializer.ts';
import { seriesAttributes } from '../../src/metrics/families/index.ts';

const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', 'a"b', 'back\\slash', 'new\nline', 'tab\tx', 'ünï', '{}', '"', '\\"', '\\n'),
);
const attrValue = fc.oneof(text, fc.integer(), fc.double({ noNaN: false }), fc.boolean(), fc.array(text, { maxLength: 3 }));
const attributes = fc
  .tuple(fc.dictionary(fc.oneof(text, fc.constantFrom('a.b', 'a-b', '9x', 'x__y', '__')), attrValue, { maxKeys: 4 }), fc.boolean())
  .map(([a, frozen]) => (frozen ? Object.freeze(a) : a) as Attributes);
const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(Infinity, -Infinity, Number.NaN, 0, -0));
const time: [number, number] = [1_700_000_000, 0];
const point = <T>(attrs: Attributes, value: T) => ({ startTime: time, endTime: time, attributes: attrs, value });
const descriptor = fc.record({
  name: fc.constantFrom('wundr_a', 'wundr_a_total', 'wundr.b-c', '9lives', 'x__y', 'wundr_h_seconds'),
  description: fc.oneof(text, fc.constant('')),
  unit: fc.constantFrom('', 's', 'By', '{call}'),
  valueType: fc.constant(ValueType.DOUBLE),
});

const singular = fc
  .tuple(descriptor, fc.constantFrom(DataPointType.SUM, DataPointType.GAUGE), fc.boolean(), fc.array(fc.tuple(attributes, number), { maxLength: 4 }))
  .map(([d, type, monotonic, pts]): MetricData =>
    type === DataPointType.SUM
      ? { descriptor: d, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: type, isMonotonic: monotonic, dataPoints: pts.map(([a, v]) => point(a, v)) }
      : { descriptor: d, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: type, dataPoints: pts.map(([a, v]) => point(a, v)) },
  );

const histogramValue = fc
  .tuple(fc.uniqueArray(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 5 }), fc.boolean(), fc.boolean())
  .chain(([raw, withInf, implied]) => {
    const boundaries = [...raw].sort((a, b) => a - b);
    if (withInf) boundaries.push(Infinity);
    // The SDK gives boundaries.length + 1 counts; some producers give one count per listed boundary.
    const n = implied && withInf ? boundaries.length : boundaries.length + 1;
    return fc.tuple(fc.constant(boundaries), fc.array(fc.nat(50), { minLength: n, maxLength: n }), number, fc.option(fc.nat(1000), { nil: undefined }));
  })
  .map(([boundaries, counts, sum, count]) => ({ buckets: { boundaries, counts }, sum, count: count as number, min: 0, max: 1 }));

const histogram = fc
  .tuple(descriptor, fc.array(fc.tuple(attributes, histogramValue), { maxLength: 3 }))
  .map(([d, pts]): MetricData => ({
    descriptor: d,
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.HISTOGRAM,
    dataPoints: pts.map(([a, v]) => point(a, v)),
  }));

const resourceMetrics = fc
  .tuple(fc.array(fc.oneof(singular, histogram), { maxLength: 6 }), fc.dictionary(text, text, { maxKeys: 3 }))
  .map(([metrics, res]): ResourceMetrics => ({ resource: resourceFromAttributes(res), scopeMetrics: [{ scope: { name: 'scope', version: '1' }, metrics }] }));

for (const withoutScopeInfo of [true, false]) {
  test(`output equals the exporter's serializer, byte for byte (withoutScopeInfo: ${withoutScopeInfo})`, () => {
    const stock = new PrometheusSerializer(undefined, false, undefined, false, withoutScopeInfo);
    const ours = createPrometheusSerializer({ withoutScopeInfo });
    fc.assert(
      fc.property(resourceMetrics, (rm) => {
        const expected = stock.serialize(rm);
        assert.equal(ours.serialize(rm), expected);
        assert.equal(ours.serialize(rm), expected, 'second scrape, from the cache');
      }),
      { numRuns: 500 },
    );
  });
}

test('the cached per-point path is installed on this exporter version', () => {
  const ours = createPrometheusSerializer({ withoutScopeInfo: true }) as unknown as Record<string, unknown>;
  const proto = PrometheusSerializer.prototype as unknown as Record<string, unknown>;
  assert.equal(typeof proto._serializeSingularDataPoint, 'function');
  assert.notEqual(ours._serializeSingularDataPoint, proto._serializeSingularDataPoint);
  assert.notEqual(ours._serializeHistogramDataPoint, proto._serializeHistogramDataPoint);
});

test("series attribute objects (the families' own, with their slot): the stock output, on every scrape, as values change", () => {
  const stock = new PrometheusSerializer(undefined, false, undefined, false, true);
  const ours = createPrometheusSerializer({ withoutScopeInfo: true });
  const labelSets = fc.array(fc.dictionary(fc.oneof(text, fc.constantFrom('a.b', 'x__y')), text, { maxKeys: 3 }), { minLength: 1, maxLength: 4 });
  fc.assert(
    fc.property(labelSets, fc.array(fc.array(number, { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 4 }), fc.boolean(), (sets, scrapes, twoNames) => {
      // One attribute object per series for its whole life, as a family keeps it; the same object may be
      // exported under two names (a renaming view beside the original).
      const series = sets.map((l) => seriesAttributes({ ...l }));
      for (const values of scrapes) {
        const metric = (name: string): MetricData => ({
          descriptor: { name, description: 'd', unit: '', valueType: ValueType.DOUBLE },
          aggregationTemporality: AggregationTemporality.CUMULATIVE,
          dataPointType: DataPointType.SUM,
          isMonotonic: true,
          dataPoints: series.map((a, i) => point(a, values[i])),
        });
        const rm: ResourceMetrics = {
          resource: resourceFromAttributes({}),
          scopeMetrics: [{ scope: { name: 's' }, metrics: twoNames ? [metric('wundr_a'), metric('wundr_b')] : [metric('wundr_a')] }],
        };
        assert.equal(ours.serialize(rm), stock.serialize(rm));
      }
    }),
    { numRuns: 300 },
  );
});
