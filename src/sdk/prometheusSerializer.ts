/**
 * The Prometheus exporter's own serializer, with the label text of a series
 * rendered once and kept.
 *
 * The stock serializer sanitizes every label key and escapes every value at
 * every scrape: at 10,000 series that is most of a scrape's time (about
 * 9 ms of 11, bench/metrics.ts). The series of the wundr_ families have one
 * frozen attribute object each for their whole life (the SDK keeps the
 * first object it was given for a series), so their label text is kept in
 * a WeakMap and a data point line is one concatenation. Everything else
 * (family grouping, names, `_total`, HELP/UNIT/TYPE, metadata conflicts,
 * target_info) stays the stock code; the output is the stock output byte
 * for byte (test/metrics/serializer.test.ts compares both over generated
 * data). Attribute objects that are not frozen may change under the SDK's
 * feet, so they are rendered each time, as the stock code does.
 */
import type { Attributes } from '@opentelemetry/api';
import type { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { pointSerializersOf } from './internals/exporter-prometheus.ts';

const labelText = new WeakMap<object, string>();

function sanitizeKey(key: string): string {
  return key.replace(/[^a-z0-9_]/gi, '_').replace(/_{2,}/g, '_');
}

function escapeValue(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function renderLabels(attributes: Attributes): string {
  let out = '';
  for (const key of Object.keys(attributes)) {
    const v = attributes[key];
    out += `${out.length > 0 ? ',' : ''}${sanitizeKey(key)}="${escapeValue(v === undefined ? '' : v)}"`;
  }
  return out;
}

/** `k="v",…` for a series, from the cache when the attribute object cannot change. */
export function labelsOf(attributes: Attributes): string {
  if (!Object.isFrozen(attributes)) return renderLabels(attributes);
  let s = labelText.get(attributes);
  if (s === undefined) {
    s = renderLabels(attributes);
    labelText.set(attributes, s);
  }
  return s;
}

function valueText(v: number): string {
  return v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : `${v}`;
}

/**
 * A PrometheusSerializer (exporter-prometheus) configured as the exporter
 * configures its own, with the per-point methods that render the cached
 * label text. Points with extra labels (scope info, resource constant
 * labels) or timestamps take the stock path.
 */
export function createPrometheusSerializer(options: { withoutScopeInfo: boolean; withoutTargetInfo?: boolean }): PrometheusSerializer {
  const { PrometheusSerializer: Stock } = require('@opentelemetry/exporter-prometheus') as typeof import('@opentelemetry/exporter-prometheus');
  const serializer = new Stock(undefined, false, undefined, options.withoutTargetInfo ?? false, options.withoutScopeInfo);
  const internals = pointSerializersOf(serializer);
  // Another exporter version: the stock code serves, only slower.
  if (!internals) return serializer;
  const stockSingular = internals._serializeSingularDataPoint;
  const stockHistogram = internals._serializeHistogramDataPoint;

  internals._serializeSingularDataPoint = function (name, data, point, additional) {
    if (additional !== undefined || this._appendTimestamp) return stockSingular.call(this, name, data, point, additional);
    const labels = labelsOf(point.attributes);
    return `${labels.length > 0 ? `${name}{${labels}}` : name} ${valueText(point.value)}\n`;
  };

  internals._serializeHistogramDataPoint = function (name, data, point, additional) {
    if (additional !== undefined || this._appendTimestamp) return stockHistogram.call(this, name, data, point, additional);
    const labels = labelsOf(point.attributes);
    const h = point.value;
    const series = labels.length > 0 ? `{${labels}}` : '';
    let out = '';
    if (h.count != null) out += `${name}_count${series} ${valueText(h.count)}\n`;
    if (h.sum != null) out += `${name}_sum${series} ${valueText(h.sum)}\n`;
    const prefix = `${name}_bucket{${labels.length > 0 ? `${labels},` : ''}le="`;
    const { boundaries, counts } = h.buckets;
    let cumulative = 0;
    let infinityBound = false;
    for (let i = 0; i < counts.length; i++) {
      cumulative += counts[i];
      const upper = boundaries[i];
      // Some aggregators list Infinity as a boundary, others leave it implied: one +Inf bucket either way.
      if (upper === undefined && infinityBound) break;
      if (upper === Infinity) infinityBound = true;
      out += `${prefix}${upper === undefined || upper === Infinity ? '+Inf' : String(upper)}"} ${valueText(cumulative)}\n`;
    }
    return out;
  };
  return serializer;
}
