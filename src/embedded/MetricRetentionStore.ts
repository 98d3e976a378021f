/**
 * In-process time series with rollups, the old monitoring module's
 * `MetricRetentionStore` API (record, queryRaw/queryMinute/queryHour,
 * getMetricKeys, compact, exportForDashboard, start/stop/clear/destroy),
 * bounded as it was: raw points for 5 minutes, per-minute rollups for an
 * hour, per-hour rollups for a day, and a cap on points per series. It adds
 * a cap on the number of series (a flood of label values cannot grow it) and
 * an injectable clock.
 */

export interface DataPoint {
  timestamp: number;
  value: number;
  labels?: Record<string, string>;
}

export interface RollupPoint {
  timestamp: number;
  endTimestamp: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  avg: number;
}

export interface RetentionConfig {
  rawRetentionMs?: number;
  minuteRetentionMs?: number;
  hourRetentionMs?: number;
  compactionIntervalMs?: number;
  maxRawPointsPerMetric?: number;
  /** Distinct metric+labels series kept; points of further series are dropped and counted (default 1000). */
  maxSeries?: number;
  /** The clock (epoch ms); tests move it instead of waiting. */
  now?: () => number;
}

export interface MetricTimeSeries {
  metric: string;
  labels?: Record<string, string>;
  resolution: 'raw' | 'minute' | 'hour';
  points: { timestamp: number; value: number; min?: number; max?: number; count?: number }[];
}

export interface DashboardExport {
  exportedAt: string;
  retentionConfig: { rawRetentionMs: number; minuteRetentionMs: number; hourRetentionMs: number };
  metrics: MetricTimeSeries[];
  summary: { totalMetrics: number; totalRawPoints: number; totalMinuteRollups: number; totalHourRollups: number };
}

export interface ExportOptions {
  includeRaw?: boolean;
  includeMinute?: boolean;
  includeHour?: boolean;
  sinceMs?: number;
  /** Only these metric names (all when absent). */
  metrics?: readonly string[];
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

/**
 * Rollups as parallel arrays of plain numbers (V8 keeps them unboxed, 8 bytes
 * each): a day of rollups per series costs a fifth of what objects would.
 */
class Rollups {
  readonly ts: number[] = [];
  private readonly count: number[] = [];
  private readonly sum: number[] = [];
  private readonly min: number[] = [];
  private readonly max: number[] = [];
  readonly width: number;

  constructor(width: number) {
    this.width = width;
  }

  get length(): number {
    return this.ts.length;
  }

  push(r: RollupPoint): void {
    this.ts.push(r.timestamp);
    this.count.push(r.count);
    this.sum.push(r.sum);
    this.min.push(r.min);
    this.max.push(r.max);
  }

  at(i: number): RollupPoint {
    const count = this.count[i]!;
    const sum = this.sum[i]!;
    return { timestamp: this.ts[i]!, endTimestamp: this.ts[i]! + this.width, count, sum, min: this.min[i]!, max: this.max[i]!, avg: sum / count };
  }

  /** Drops the first n. */
  shift(n: number): void {
    if (n <= 0) return;
    for (const a of [this.ts, this.count, this.sum, this.min, this.max]) a.splice(0, n);
  }

  since(t: number): RollupPoint[] {
    const out: RollupPoint[] = [];
    for (let i = 0; i < this.ts.length; i++) if (this.ts[i]! >= t) out.push(this.at(i));
    return out;
  }
}

interface Series {
  metric: string;
  labels: Record<string, string> | undefined;
  /** Raw points as two packed number arrays. */
  ts: number[];
  vs: number[];
  /** Raw points before this time are already in a minute rollup. */
  rolledUntil: number;
  minutes: Rollups;
  minutesRolledUntil: number;
  hours: Rollups;
}

function keyOf(metric: string, labels: Record<string, string> | undefined): string {
  if (!labels) return metric;
  const ks = Object.keys(labels);
  if (ks.length === 0) return metric;
  ks.sort();
  let k = metric + '{';
  for (const l of ks) k += `${l}=${JSON.stringify(labels[l])},`;
  return k + '}';
}

function rollup(timestamp: number, width: number, values: Iterable<{ count: number; sum: number; min: number; max: number }>): RollupPoint | undefined {
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    count += v.count;
    sum += v.sum;
    if (v.min < min) min = v.min;
    if (v.max > max) max = v.max;
  }
  if (count === 0) return undefined;
  return { timestamp, endTimestamp: timestamp + width, count, sum, min, max, avg: sum / count };
}

/**
 * @example
 * const store = new MetricRetentionStore();
 * store.start();
 * store.record('wundr_model_request_duration_seconds', 1.23, { provider: 'openai' });
 * store.queryRaw('wundr_model_request_duration_seconds', Date.now() - 60_000, { provider: 'openai' });
 * store.exportForDashboard({ includeHour: false });
 */
export class MetricRetentionStore {
  readonly config: Required<Omit<RetentionConfig, 'now'>>;
  private readonly now: () => number;
  private readonly series = new Map<string, Series>();
  private timer: NodeJS.Timeout | undefined;
  /** Points refused because the series cap was reached. */
  droppedPoints = 0;

  constructor(config: RetentionConfig = {}) {
    this.config = {
      rawRetentionMs: config.rawRetentionMs ?? 5 * MINUTE,
      minuteRetentionMs: config.minuteRetentionMs ?? HOUR,
      hourRetentionMs: config.hourRetentionMs ?? 24 * HOUR,
      compactionIntervalMs: config.compactionIntervalMs ?? MINUTE,
      maxRawPointsPerMetric: config.maxRawPointsPerMetric ?? 10_000,
      maxSeries: config.maxSeries ?? 1000,
    };
    this.now = config.now ?? Date.now;
  }

  /** Compacts every compactionIntervalMs on an unref()ed timer. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.compact(), this.config.compactionIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  clear(): void {
    this.series.clear();
  }

  destroy(): void {
    this.stop();
    this.clear();
  }

  /** Records one point now. */
  record(metric: string, value: number, labels?: Record<string, string>): void {
    this.recordAt(this.now(), metric, value, labels);
  }

  /** Records one point at `timestamp` (one collection records all its series at the same time). */
  recordAt(timestamp: number, metric: string, value: number, labels?: Record<string, string>): void {
    if (!Number.isFinite(value)) return;
    const key = keyOf(metric, labels);
    let s = this.series.get(key);
    if (!s) {
      if (this.series.size >= this.config.maxSeries) {
        this.droppedPoints++;
        return;
      }
      s = { metric, labels: labels && Object.keys(labels).length > 0 ? { ...labels } : undefined, ts: [], vs: [], rolledUntil: 0, minutes: new Rollups(MINUTE), minutesRolledUntil: 0, hours: new Rollups(HOUR) };
      this.series.set(key, s);
    }
    s.ts.push(timestamp);
    s.vs.push(value);
    const over = s.ts.length - this.config.maxRawPointsPerMetric;
    if (over > 0) {
      s.ts.splice(0, over);
      s.vs.splice(0, over);
    }
  }

  queryRaw(metric: string, sinceMs: number, labels?: Record<string, string>): DataPoint[] {
    const s = this.series.get(keyOf(metric, labels));
    if (!s) return [];
    const out: DataPoint[] = [];
    for (let i = 0; i < s.ts.length; i++) {
      if (s.ts[i]! >= sinceMs) out.push(s.labels ? { timestamp: s.ts[i]!, value: s.vs[i]!, labels: { ...s.labels } } : { timestamp: s.ts[i]!, value: s.vs[i]! });
    }
    return out;
  }

  queryMinute(metric: string, sinceMs: number, labels?: Record<string, string>): RollupPoint[] {
    return this.series.get(keyOf(metric, labels))?.minutes.since(sinceMs) ?? [];
  }

  queryHour(metric: string, sinceMs: number, labels?: Record<string, string>): RollupPoint[] {
    return this.series.get(keyOf(metric, labels))?.hours.since(sinceMs) ?? [];
  }

  getMetricKeys(): string[] {
    return [...this.series.keys()];
  }

  /** Rolls complete minutes of raw points into minute rollups and complete hours into hour rollups, then drops what is past retention. */
  compact(): void {
    const now = this.now();
    const minuteCutoff = Math.floor(now / MINUTE) * MINUTE;
    const hourCutoff = Math.floor(now / HOUR) * HOUR;
    const rawFrom = now - this.config.rawRetentionMs;
    const minFrom = now - this.config.minuteRetentionMs;
    const hourFrom = now - this.config.hourRetentionMs;
    for (const [key, s] of this.series) {
      // Raw -> minute: every complete minute not rolled yet.
      let i = 0;
      while (i < s.ts.length && s.ts[i]! < s.rolledUntil) i++;
      while (i < s.ts.length && s.ts[i]! < minuteCutoff) {
        const m = Math.floor(s.ts[i]! / MINUTE) * MINUTE;
        const group: { count: number; sum: number; min: number; max: number }[] = [];
        while (i < s.ts.length && s.ts[i]! < m + MINUTE) {
          const v = s.vs[i++]!;
          group.push({ count: 1, sum: v, min: v, max: v });
        }
        const r = rollup(m, MINUTE, group);
        if (r) s.minutes.push(r);
      }
      if (minuteCutoff > s.rolledUntil) s.rolledUntil = minuteCutoff;
      // Minute -> hour.
      const mts = s.minutes.ts;
      let j = 0;
      while (j < mts.length && mts[j]! < s.minutesRolledUntil) j++;
      while (j < mts.length && mts[j]! < hourCutoff) {
        const h = Math.floor(mts[j]! / HOUR) * HOUR;
        const group: RollupPoint[] = [];
        while (j < mts.length && mts[j]! < h + HOUR) group.push(s.minutes.at(j++));
        const r = rollup(h, HOUR, group);
        if (r) s.hours.push(r);
      }
      if (hourCutoff > s.minutesRolledUntil) s.minutesRolledUntil = hourCutoff;
      // Retention.
      let k = 0;
      while (k < s.ts.length && s.ts[k]! < rawFrom) k++;
      if (k > 0) {
        s.ts.splice(0, k);
        s.vs.splice(0, k);
      }
      let a = 0;
      while (a < mts.length && mts[a]! < minFrom && mts[a]! < s.minutesRolledUntil) a++;
      s.minutes.shift(a);
      let b = 0;
      while (b < s.hours.length && s.hours.ts[b]! < hourFrom) b++;
      s.hours.shift(b);
      if (s.ts.length === 0 && s.minutes.length === 0 && s.hours.length === 0) this.series.delete(key);
    }
  }

  exportForDashboard(options: ExportOptions = {}): DashboardExport {
    const includeRaw = options.includeRaw ?? true;
    const includeMinute = options.includeMinute ?? true;
    const includeHour = options.includeHour ?? true;
    const since = options.sinceMs ?? 0;
    const only = options.metrics && options.metrics.length > 0 ? new Set(options.metrics) : undefined;
    const metrics: MetricTimeSeries[] = [];
    let totalRawPoints = 0;
    let totalMinuteRollups = 0;
    let totalHourRollups = 0;
    let totalMetrics = 0;
    for (const s of this.series.values()) {
      if (only && !only.has(s.metric)) continue;
      totalMetrics++;
      const base = s.labels ? { metric: s.metric, labels: { ...s.labels } } : { metric: s.metric };
      if (includeRaw) {
        const points: MetricTimeSeries['points'] = [];
        for (let i = 0; i < s.ts.length; i++) if (s.ts[i]! >= since) points.push({ timestamp: s.ts[i]!, value: s.vs[i]! });
        if (points.length > 0) {
          metrics.push({ ...base, resolution: 'raw', points });
          totalRawPoints += points.length;
        }
      }
      for (const [on, list, resolution] of [[includeMinute, s.minutes, 'minute'], [includeHour, s.hours, 'hour']] as const) {
        if (!on) continue;
        const points = list.since(since).map((r) => ({ timestamp: r.timestamp, value: r.avg, min: r.min, max: r.max, count: r.count }));
        if (points.length === 0) continue;
        metrics.push({ ...base, resolution, points });
        if (resolution === 'minute') totalMinuteRollups += points.length;
        else totalHourRollups += points.length;
      }
    }
    return {
      exportedAt: new Date(this.now()).toISOString(),
      retentionConfig: {
        rawRetentionMs: this.config.rawRetentionMs,
        minuteRetentionMs: this.config.minuteRetentionMs,
        hourRetentionMs: this.config.hourRetentionMs,
      },
      metrics,
      summary: { totalMetrics, totalRawPoints, totalMinuteRollups, totalHourRollups },
    };
  }
}
