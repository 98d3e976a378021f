/**
 * The Prometheus exporter's own serializer, with what a series renders to
 * kept between scrapes.
 *
 * The stock serializer sanitizes every label key and escapes every value
 * of every series at every scrape, builds each metric's text with a
 * map/join and trims it (two more copies of the text): at 10,000 series
 * that is about half of a scrape. The wundr_ series each have one frozen
 * attribute object for their whole life (the SDK keeps the first object it
 * was given for a series) carrying a slot (SERIES_SLOT) where the label
 * text is kept, and with it the last line written: a series whose value
 * did not change since the last scrape costs one comparison. Other frozen
 * attribute objects keep their label text in a WeakMap; objects that are
 * not frozen may change under the SDK's feet, so they are rendered each
 * time, as the stock code does. Family grouping, names, `_total`,
 * HELP/UNIT/TYPE, metadata conflicts and target_info stay the stock code;
 * the output is the stock output byte for byte
 * (test/sdk/serializer.test.ts compares both over generated data).
 */
import type { Attributes } from '@opentelemetry/api';
import type { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { SERIES_SLOT } from '../metrics/families/family.ts';
import { serializerInternalsOf } from './internals/exporter-prometheus.ts';

/** What the serializer keeps in a series' slot. */
interface SeriesText {
  labels?: string;
  /** The metric name, value and text (without its newline) of the last line written. */
  name?: string;
  value?: number;
  line?: string;
}

const labelText = new WeakMap<object, string>();

function sanitizeKey(key: string): string {
  return key.replace(/[^a-z0-9_]/gi, '_').replace(/_{2,}/g, '_');
}

function escapeValue(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function renderLabels(attributes: Attributes): string {
  let out = '';
  for (const key of Object.keys(attributes)) {
    const v = attributes[key];
    out += `${out.length > 0 ? ',' : ''}${sanitizeKey(key)}="${escapeValue(v === undefined ? '' : v)}"`;
  }
  return out;
}

function slotOf(attributes: Attributes): SeriesText | undefined {
  return (attributes as { [SERIES_SLOT]?: SeriesText })[SERIES_SLOT];
}

/** `k="v",…` for a series, from its slot or the cache when the attribute object cannot change. */
export function labelsOf(attributes: Attributes): string {
  const slot = slotOf(attributes);
  if (slot !== undefined) return (slot.labels ??= renderLabels(attributes));
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

/** A counter's or gauge's line, without its newline. */
function singularLine(name: string, point: DataPoint<number>): string {
  const attributes = point.attributes;
  const value = point.value;
  const slot = slotOf(attributes);
  if (slot !== undefined && slot.name === name && slot.value === value) return slot.line!;
  const labels = labelsOf(attributes);
  const line = `${labels.length > 0 ? `${name}{${labels}}` : name} ${valueText(value)}`;
  if (slot !== undefined) {
    slot.name = name;
    slot.value = value;
    slot.line = line;
  }
  return line;
}

/** A histogram's lines, each followed by a newline. */
function histogramLines(name: string, point: DataPoint<Histogram>): string {
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
}

/** sdk-metrics' DataPointType values. */
const HISTOGRAM = 0;
const GAUGE = 2;
const SUM = 3;

/**
 * A PrometheusSerializer (exporter-prometheus) configured as the exporter
 * configures its own, with per-metric and per-point methods that use the
 * kept text. Metrics with extra labels (scope info, resource constant
 * labels), timestamps or an unknown point type take the stock path.
 */
export function createPrometheusSerializer(options: { withoutScopeInfo: boolean; withoutTargetInfo?: boolean }): PrometheusSerializer {
  const { PrometheusSerializer: Stock } = require('@opentelemetry/exporter-prometheus') as typeof import('@opentelemetry/exporter-prometheus');
  const serializer = new Stock(undefined, false, undefined, options.withoutTargetInfo ?? false, options.withoutScopeInfo);
  const internals = serializerInternalsOf(serializer);
  // Another exporter version: the stock code serves, only slower.
  if (!internals) return serializer;
  const stockMetric = internals._serializeMetricData;
  const stockSingular = internals._serializeSingularDataPoint;
  const stockHistogram = internals._serializeHistogramDataPoint;

  internals._serializeSingularDataPoint = function (name, data, point, additional) {
    if (additional !== undefined || this._appendTimestamp) return stockSingular.call(this, name, data, point, additional);
    return `${singularLine(name, point)}\n`;
  };

  internals._serializeHistogramDataPoint = function (name, data, point, additional) {
    if (additional !== undefined || this._appendTimestamp) return stockHistogram.call(this, name, data, point, additional);
    return histogramLines(name, point);
  };

  // The stock method's text, built by appending (no map/join, no trim copying the metric's text
  // again): the lines of a metric joined by newlines, with no newline after the last one.
  internals._serializeMetricData = function (data, scope, name, metadata, writeMetadata = true) {
    const type = data.dataPointType as number;
    if (
      name === undefined ||
      metadata === undefined ||
      !this._withoutScopeInfo ||
      this._additionalAttributes !== undefined ||
      this._appendTimestamp ||
      (type !== SUM && type !== GAUGE && type !== HISTOGRAM)
    ) {
      return stockMetric.call(this, data, scope, name, metadata, writeMetadata);
    }
    let out = writeMetadata
      ? `# HELP ${name} ${escapeText(metadata.help || 'description missing')}${metadata.unit ? `\n# UNIT ${name} ${escapeText(metadata.unit)}` : ''}\n# TYPE ${name} ${metadata.type}`
      : '';
    const points = data.dataPoints;
    if (type === HISTOGRAM) {
      for (let i = 0; i < points.length; i++) {
        const lines = histogramLines(name, points[i] as DataPoint<Histogram>);
        if (lines.length > 0) out += out.length > 0 ? `\n${lines.slice(0, -1)}` : lines.slice(0, -1);
      }
    } else {
      for (let i = 0; i < points.length; i++) {
        const line = singularLine(name, points[i] as DataPoint<number>);
        out = out.length > 0 ? `${out}\n${line}` : line;
      }
    }
    return out;
  };
  return serializer;
}
