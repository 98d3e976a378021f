/**
 * The per-key label guard (docs/METRICS.md, Cardinality): an allow-list or a cap on distinct
 * values; past it values are folded into `other` (and the family counts the
 * overflow in `wundr_metrics_label_overflow_total`).
 */
import { CATALOGUE, OVERFLOW_VALUE, getMetricDef, labelCap, type MetricDef } from '../catalogue.ts';

/** Joins label values into one key (a character no label value is expected to hold). */
export const SEP = '\u0001';

/** Caps set by setLabelCaps(): by `key` (every metric) and by `metric\u0001key`. */
const capOverrides = new Map<string, number>();
const allGuards: LabelGuard[] = [];

/**
 * Longest label value recorded as is; longer ones fold into OVERFLOW_VALUE
 * (and count as overflow): the cap bounds the number of series, this bounds
 * their size (one 1 MB tool name would otherwise make a 13 MB scrape).
 */
export const MAX_LABEL_VALUE_LENGTH = 256;

export class LabelGuard {
  private readonly seen = new Set<string>();
  private readonly allowed: ReadonlySet<string> | undefined;
  cap: number;

  constructor(
    readonly def: MetricDef,
    readonly key: string,
  ) {
    const a = def.values?.[key];
    this.allowed = a ? new Set(a) : undefined;
    this.cap = LabelGuard.capFor(def, key);
    allGuards.push(this);
  }

  static capFor(def: MetricDef, key: string): number {
    if (def.values?.[key]) return labelCap(def, key);
    return capOverrides.get(`${def.name}${SEP}${key}`) ?? capOverrides.get(key) ?? labelCap(def, key);
  }

  /** The value to record: the given one, or OVERFLOW_VALUE. */
  admit(v: string): string {
    if (v === '') return v;
    if (this.allowed) return this.allowed.has(v) ? v : OVERFLOW_VALUE;
    if (v.length > MAX_LABEL_VALUE_LENGTH) return OVERFLOW_VALUE;
    if (this.seen.has(v)) return v;
    if (this.seen.size < this.cap) {
      this.seen.add(v);
      return v;
    }
    return OVERFLOW_VALUE;
  }

  clear(): void {
    this.seen.clear();
  }
}

/**
 * Raises or lowers the cap on distinct values of label keys,
 * for every metric or for one. Values already admitted stay; past a lowered
 * cap new values fold into `other`. Allow-listed keys (status, direction,
 * token_type, period, severity) have no cap to set.
 *
 * @example
 * setLabelCaps({ tool_name: 500 });                                // every metric with tool_name
 * setLabelCaps({ model: 20 }, 'wundr_model_request_tokens_total'); // one metric
 */
export function setLabelCaps(caps: Readonly<Record<string, number>>, metric?: string): void {
  const def = metric === undefined ? undefined : getMetricDef(metric);
  if (metric !== undefined && !def) throw new Error(`@wundr/otel: setLabelCaps: ${metric} is not a catalogue metric`);
  for (const [key, cap] of Object.entries(caps)) {
    if (!Number.isInteger(cap) || cap < 1 || cap > 100_000) {
      throw new Error(`@wundr/otel: setLabelCaps: the cap for "${key}" must be an integer from 1 to 100000 (got ${String(cap)})`);
    }
    if (def ? !def.labels.includes(key) : !CATALOGUE.some((d) => d.labels.includes(key))) {
      throw new Error(`@wundr/otel: setLabelCaps: "${key}" is not a label of ${def ? def.name : 'any catalogue metric'}`);
    }
    if (def?.values?.[key]) throw new Error(`@wundr/otel: setLabelCaps: "${key}" of ${def.name} has a fixed value set (${def.values[key].join('|')})`);
    capOverrides.set(def ? `${def.name}${SEP}${key}` : key, cap);
  }
  for (const g of allGuards) g.cap = LabelGuard.capFor(g.def, g.key);
}
