/**
 * In-process computation of the rule expressions over a history of metric
 * snapshots, with PromQL's semantics where they matter: rates per series
 * (counter resets handled) summed afterwards, vector division matched on the
 * grouping labels (x/0 = +Inf, 0/0 = NaN), histogram_quantile's bucket
 * interpolation, and rate()'s extrapolation and division by the whole range
 * (so a rate over [5m] is small during a counter's first minutes, in
 * Prometheus and here alike). A test feeds the same samples to promtool and
 * to this code and checks that both fire at the same step.
 */
import type { Labels, MetricSnapshot, Sample } from '../metrics/MetricSnapshot.ts';
import type { AlertRule } from './types.ts';

export interface VectorElement {
  labels: Labels;
  value: number;
}
/** Result vector keyed by the grouping label set. */
export type Vector = Map<string, VectorElement>;

export function labelKey(labels: Labels): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

function pickLabels(labels: Labels, keys: readonly string[]): Labels {
  const out: Labels = {};
  for (const k of keys) out[k] = labels[k] ?? '';
  return out;
}

/** Snapshots indexed for rate lookups: series name -> label key -> sample. */
export interface IndexedSnapshot {
  time: number;
  series: Map<string, Map<string, Sample>>;
}

/**
 * Indexes a snapshot. With `keep`, only those names are kept, and each of
 * them gets an entry even when empty: a series missing from a good
 * collection did not exist yet, i.e. counts from 0.
 */
export function indexSnapshot(s: MetricSnapshot, keep?: ReadonlySet<string>): IndexedSnapshot {
  const series = new Map<string, Map<string, Sample>>();
  if (keep) for (const n of keep) series.set(n, new Map());
  for (const [name, list] of s.series) {
    if (keep && !keep.has(name)) continue;
    const m = new Map<string, Sample>();
    for (const x of list) m.set(labelKey(x.labels), x);
    series.set(name, m);
  }
  return { time: s.time, series };
}

/**
 * Prometheus's extrapolatedRate for a counter (promql/functions.go, 2.x): the
 * increase between the first and last sample in the range (resets
 * corrected), extrapolated towards the range edges (by at most half a sample
 * interval when the samples stop short, never below the counter's zero
 * point), divided by the whole range. Undefined with fewer than two samples.
 */
export function extrapolatedRate(samples: readonly { t: number; v: number }[], rangeStart: number, rangeEnd: number): number | undefined {
  if (samples.length < 2) return undefined;
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  let result = last.v - first.v;
  for (let i = 1; i < samples.length; i++) if (samples[i]!.v < samples[i - 1]!.v) result += samples[i - 1]!.v;
  const sampled = (last.t - first.t) / 1000;
  if (!(sampled > 0)) return undefined;
  let toStart = (first.t - rangeStart) / 1000;
  const toEnd = (rangeEnd - last.t) / 1000;
  const avgStep = sampled / (samples.length - 1);
  if (result > 0 && first.v >= 0) {
    const toZero = sampled * (first.v / result);
    if (toZero < toStart) toStart = toZero;
  }
  const threshold = avgStep * 1.1;
  let interval = sampled;
  interval += toStart < threshold ? toStart : avgStep / 2;
  interval += toEnd < threshold ? toEnd : avgStep / 2;
  return (result * (interval / sampled)) / ((rangeEnd - rangeStart) / 1000);
}

/** Per-series `rate(name[windowS])` at the newest snapshot of `history` (oldest first), as PromQL computes it. */
export function seriesRates(history: readonly IndexedSnapshot[], name: string, windowS: number): VectorElement[] {
  const now = history[history.length - 1];
  if (!now) return [];
  const from = now.time - windowS * 1000;
  // Prometheus 2.x range selectors include both ends.
  const inWindow = history.filter((h) => h.time >= from);
  const out: VectorElement[] = [];
  const current = now.series.get(name);
  if (!current) return out;
  for (const [key, sample] of current) {
    const samples: { t: number; v: number }[] = [];
    for (const h of inWindow) {
      const s = h.series.get(name);
      // A snapshot that read this metric but not this series: the series did not exist yet (OTel
      // creates a series on its first recording), so it was 0 there.
      const v = s ? (s.get(key)?.value ?? 0) : undefined;
      if (v !== undefined) samples.push({ t: h.time, v });
    }
    const r = extrapolatedRate(samples, from, now.time);
    if (r !== undefined) out.push({ labels: sample.labels, value: r });
  }
  return out;
}

function group(elems: readonly VectorElement[], by: readonly string[], op: 'sum' | 'max' | 'min' | 'avg'): Vector {
  const acc = new Map<string, { labels: Labels; values: number[] }>();
  for (const e of elems) {
    const labels = pickLabels(e.labels, by);
    const k = labelKey(labels);
    let g = acc.get(k);
    if (!g) acc.set(k, (g = { labels, values: [] }));
    g.values.push(e.value);
  }
  const out: Vector = new Map();
  for (const [k, g] of acc) {
    let v: number;
    switch (op) {
      case 'max':
        v = Math.max(...g.values);
        break;
      case 'min':
        v = Math.min(...g.values);
        break;
      case 'avg':
        v = g.values.reduce((a, b) => a + b, 0) / g.values.length;
        break;
      default:
        v = g.values.reduce((a, b) => a + b, 0);
    }
    out.set(k, { labels: g.labels, value: v });
  }
  return out;
}

/** Prometheus's bucketQuantile: linear interpolation within the bucket holding the rank. */
export function bucketQuantile(q: number, buckets: { le: number; count: number }[]): number {
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const b = [...buckets].sort((x, y) => x.le - y.le);
  if (b.length < 2 || b[b.length - 1]!.le !== Infinity) return NaN;
  // Counts must be monotonic; rate noise can break that.
  for (let i = 1; i < b.length; i++) if (b[i]!.count < b[i - 1]!.count) b[i] = { le: b[i]!.le, count: b[i - 1]!.count };
  const total = b[b.length - 1]!.count;
  if (!(total > 0)) return NaN;
  const rank = q * total;
  let i = b.findIndex((x) => x.count >= rank);
  if (i === b.length - 1) return b[b.length - 2]!.le;
  if (i === 0 && b[0]!.le <= 0) return b[0]!.le;
  let start = 0;
  let prevCount = 0;
  if (i > 0) {
    start = b[i - 1]!.le;
    prevCount = b[i - 1]!.count;
  }
  const end = b[i]!.le;
  const inBucket = b[i]!.count - prevCount;
  if (inBucket <= 0) return end;
  return start + (end - start) * ((rank - prevCount) / inBucket);
}

/** The rule's query (left of the comparison) at the newest snapshot of `history`. */
export function evaluateQuery(rule: AlertRule, history: readonly IndexedSnapshot[]): Vector {
  const e = rule.expr ?? { kind: 'value' as const };
  const now = history[history.length - 1];
  if (!now) return new Map();
  const by = e.by ?? [];
  switch (e.kind) {
    case 'value': {
      let cur = [...(now.series.get(rule.metric)?.values() ?? [])];
      if (e.divisorMetric !== undefined) {
        // PromQL `a / b`: series with the same labels are divided; a series without its match drops out.
        const den = now.series.get(e.divisorMetric);
        cur = cur.flatMap((s) => {
          const d = den?.get(labelKey(s.labels));
          return d !== undefined ? [{ labels: s.labels, value: s.value / d.value }] : [];
        });
      }
      const v = group(cur, by, e.aggregate ?? 'max');
      if (e.divisor !== undefined) for (const x of v.values()) x.value /= e.divisor;
      return v;
    }
    case 'rate': {
      const v = group(seriesRates(history, rule.metric, e.window), by, 'sum');
      if (e.per === 'minute') for (const x of v.values()) x.value *= 60;
      return v;
    }
    case 'ratio': {
      const num = group(seriesRates(history, rule.metric, e.window), by, 'sum');
      const den = group(seriesRates(history, e.denominator, e.window), by, 'sum');
      const out: Vector = new Map();
      for (const [k, n] of num) {
        const d = den.get(k);
        if (!d) continue;
        out.set(k, { labels: n.labels, value: n.value / d.value });
      }
      return out;
    }
    case 'quantile': {
      const rates = seriesRates(history, `${rule.metric}_bucket`, e.window);
      const groups = new Map<string, { labels: Labels; buckets: Map<number, number> }>();
      for (const r of rates) {
        const labels = pickLabels(r.labels, by);
        const k = labelKey(labels);
        let g = groups.get(k);
        if (!g) groups.set(k, (g = { labels, buckets: new Map() }));
        const le = r.labels.le === '+Inf' ? Infinity : Number(r.labels.le);
        if (Number.isNaN(le)) continue;
        g.buckets.set(le, (g.buckets.get(le) ?? 0) + r.value);
      }
      const out: Vector = new Map();
      for (const [k, g] of groups) {
        out.set(k, { labels: g.labels, value: bucketQuantile(e.quantile, [...g.buckets].map(([le, count]) => ({ le, count }))) });
      }
      return out;
    }
  }
}

export function compare(value: number, condition: AlertRule['condition'], threshold: number): boolean {
  switch (condition) {
    case 'gt':
      return value > threshold;
    case 'gte':
      return value >= threshold;
    case 'lt':
      return value < threshold;
    case 'lte':
      return value <= threshold;
    case 'eq':
      return value === threshold;
  }
}
