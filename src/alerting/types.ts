/**
 * Alert rules (docs/ALERTING.md, extended so that the §7.2 defaults can be written
 * down honestly: a rule reads its metric through an expression (a plain
 * value, a per-second/per-minute counter rate, a ratio of two counter rates,
 * or a histogram quantile), each rate over a window. The same definition is
 * evaluated in-process and exported as PromQL.
 */

export type AlertCondition = 'gt' | 'lt' | 'eq' | 'gte' | 'lte';
export type AlertSeverity = 'info' | 'warning' | 'critical';

/** A gauge read as it is (aggregated across series with `aggregate`, default max). */
export interface ValueExpression {
  kind: 'value';
  aggregate?: 'max' | 'min' | 'sum' | 'avg';
  /** The value is divided by this before comparing (e.g. a heap limit, so the threshold is a fraction). */
  divisor?: number;
  /**
   * The value is divided, series by series, by this gauge's series with the
   * same labels, before aggregating (`max(heap / heap_limit)`): the divisor
   * comes from each process instead of being fixed when the rule is written.
   */
  divisorMetric?: string;
  by?: string[];
}

/** The per-second (or per-minute) increase of a counter over a window, summed. */
export interface RateExpression {
  kind: 'rate';
  /** Seconds. */
  window: number;
  per?: 'second' | 'minute';
  by?: string[];
}

/** rate(metric[window]) / rate(denominator[window]), each summed. */
export interface RatioExpression {
  kind: 'ratio';
  denominator: string;
  window: number;
  by?: string[];
}

/** histogram_quantile(q, sum by (le) (rate(metric_bucket[window]))). */
export interface QuantileExpression {
  kind: 'quantile';
  quantile: number;
  window: number;
  by?: string[];
}

export type AlertExpression = ValueExpression | RateExpression | RatioExpression | QuantileExpression;

export interface AlertAction {
  type: 'log' | 'event' | 'webhook' | 'metric';
  config: Record<string, unknown>;
}

export interface AlertRule {
  /** Alert name, as Prometheus shows it (`alert:`), e.g. HighAgentFailureRate. */
  name: string;
  description: string;
  /** Prometheus family name (the numerator of a ratio; the histogram of a quantile). */
  metric: string;
  /** How the metric is read; default a plain value. */
  expr?: AlertExpression;
  condition: AlertCondition;
  threshold: number;
  /** Seconds the condition must hold before the alert fires (Prometheus `for`). */
  duration: number;
  severity: AlertSeverity;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  actions: AlertAction[];
}

export type AlertState = 'pending' | 'firing' | 'resolved';

/** One alert instance (a rule and one label set of its result). */
export interface Alert {
  /** `${rule}{labels}` */
  id: string;
  rule: string;
  state: AlertState;
  severity: AlertSeverity;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The value the expression had at the last evaluation where the condition held. */
  value: number;
  threshold: number;
  condition: AlertCondition;
  /** ISO 8601: when the condition first held (pending since). */
  activeAt: string;
  firedAt?: string;
  resolvedAt?: string;
}
