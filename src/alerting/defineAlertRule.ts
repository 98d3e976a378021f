import { getMetricDef } from '../metrics/catalogue.ts';
import type { AlertRule } from './types.ts';

const ALERT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const METRIC_NAME = /^[A-Za-z_:][A-Za-z0-9_:]*$/;
const CONDITIONS = ['gt', 'lt', 'eq', 'gte', 'lte'];
const SEVERITIES = ['info', 'warning', 'critical'];
const ACTIONS = ['log', 'event', 'webhook', 'metric'];

export interface DefineOptions {
  /** Allow metric names outside the catalogue (the app's own metrics). Default false. */
  allowUnknownMetrics?: boolean;
}

function fail(rule: unknown, msg: string): never {
  const name = rule && typeof rule === 'object' && typeof (rule as { name?: unknown }).name === 'string' ? (rule as { name: string }).name : '?';
  throw new TypeError(`@wundr/otel: alert rule "${name}": ${msg}`);
}

/** The catalogue kind a metric must have for an expression, checked when the name is in the catalogue. */
function checkMetric(rule: AlertRule, metric: string, want: 'counter' | 'histogram' | 'any', opts: DefineOptions): void {
  if (typeof metric !== 'string' || !METRIC_NAME.test(metric)) fail(rule, `metric name ${JSON.stringify(metric)} is not a Prometheus metric name`);
  const def = getMetricDef(metric);
  if (!def) {
    if (opts.allowUnknownMetrics) return;
    fail(rule, `metric ${metric} is not in the catalogue (src/metrics/catalogue.ts); pass { allowUnknownMetrics: true } for the app's own metrics`);
  }
  if (def.name !== metric) fail(rule, `name the family ${def.name}, not ${metric}`);
  if (want !== 'any' && def.kind !== want) fail(rule, `metric ${metric} is a ${def.kind}; this expression needs a ${want}`);
}

function positive(rule: AlertRule, v: unknown, what: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(rule, `${what} must be a positive number of seconds, got ${String(v)}`);
}

/**
 * Validates a rule and returns it frozen. Misuse throws at once with a
 * precise message: a bad name, an unknown metric, a rate over a gauge, a
 * quantile outside 0..1, a webhook without a URL.
 *
 * @example
 * const rule = defineAlertRule({
 *   name: 'QueueBacklog', description: 'Queue depth above 100', metric: 'wundr_queue_depth',
 *   expr: { kind: 'value', by: ['queue_name'] }, condition: 'gt', threshold: 100,
 *   duration: 300, severity: 'warning', actions: [{ type: 'log', config: {} }],
 * });
 */
export function defineAlertRule(rule: AlertRule, opts: DefineOptions = {}): AlertRule {
  if (!rule || typeof rule !== 'object') throw new TypeError('@wundr/otel: an alert rule must be an object');
  if (typeof rule.name !== 'string' || !ALERT_NAME.test(rule.name)) fail(rule, `name must match ${ALERT_NAME}`);
  if (typeof rule.description !== 'string' || rule.description === '') fail(rule, 'description is required');
  if (!CONDITIONS.includes(rule.condition)) fail(rule, `condition must be one of ${CONDITIONS.join('|')}, got ${String(rule.condition)}`);
  if (typeof rule.threshold !== 'number' || !Number.isFinite(rule.threshold)) fail(rule, `threshold must be a finite number, got ${String(rule.threshold)}`);
  if (typeof rule.duration !== 'number' || !Number.isFinite(rule.duration) || rule.duration < 0) fail(rule, `duration must be >= 0 seconds, got ${String(rule.duration)}`);
  if (!SEVERITIES.includes(rule.severity)) fail(rule, `severity must be one of ${SEVERITIES.join('|')}, got ${String(rule.severity)}`);
  const expr = rule.expr ?? { kind: 'value' as const };
  switch (expr.kind) {
    case 'value':
      checkMetric(rule, rule.metric, 'any', opts);
      if (expr.aggregate !== undefined && !['max', 'min', 'sum', 'avg'].includes(expr.aggregate)) fail(rule, `aggregate must be max|min|sum|avg`);
      if (expr.divisor !== undefined && !(typeof expr.divisor === 'number' && expr.divisor > 0 && Number.isFinite(expr.divisor))) fail(rule, 'divisor must be a positive number');
      if (expr.divisorMetric !== undefined) {
        if (expr.divisor !== undefined) fail(rule, 'give divisor or divisorMetric, not both');
        checkMetric(rule, expr.divisorMetric, 'any', opts);
      }
      break;
    case 'rate':
      checkMetric(rule, rule.metric, 'counter', opts);
      positive(rule, expr.window, 'window');
      if (expr.per !== undefined && expr.per !== 'second' && expr.per !== 'minute') fail(rule, 'per must be second|minute');
      break;
    case 'ratio':
      checkMetric(rule, rule.metric, 'counter', opts);
      checkMetric(rule, expr.denominator, 'counter', opts);
      positive(rule, expr.window, 'window');
      break;
    case 'quantile':
      checkMetric(rule, rule.metric, 'histogram', opts);
      positive(rule, expr.window, 'window');
      if (typeof expr.quantile !== 'number' || !(expr.quantile >= 0 && expr.quantile <= 1)) fail(rule, `quantile must be from 0 to 1, got ${String(expr.quantile)}`);
      break;
    default:
      fail(rule, `expr.kind must be value|rate|ratio|quantile, got ${String((expr as { kind?: unknown }).kind)}`);
  }
  for (const l of expr.by ?? []) if (!LABEL_NAME.test(l) || l === 'le') fail(rule, `"by" label ${JSON.stringify(l)} is not a usable label name`);
  const def = getMetricDef(rule.metric);
  if (def && expr.by) for (const l of expr.by) if (!def.labels.includes(l)) fail(rule, `metric ${rule.metric} has no label ${l} (labels: ${def.labels.join(', ') || 'none'})`);
  for (const [k, v] of Object.entries(rule.labels ?? {})) {
    if (!LABEL_NAME.test(k) || typeof v !== 'string') fail(rule, `label ${JSON.stringify(k)} must be a label name with a string value`);
    if (k === 'alertname') fail(rule, 'the alertname label is set from the rule name');
  }
  for (const [k, v] of Object.entries(rule.annotations ?? {})) if (!LABEL_NAME.test(k) || typeof v !== 'string') fail(rule, `annotation ${JSON.stringify(k)} must be a name with a string value`);
  if (!Array.isArray(rule.actions)) fail(rule, 'actions must be an array');
  for (const a of rule.actions) {
    if (!a || !ACTIONS.includes(a.type)) fail(rule, `action type must be one of ${ACTIONS.join('|')}, got ${String(a?.type)}`);
    if (a.config !== undefined && (typeof a.config !== 'object' || a.config === null)) fail(rule, `${a.type} action config must be an object`);
    if (a.type === 'webhook') {
      const url = a.config?.url;
      let ok = false;
      try {
        const u = new URL(String(url));
        ok = u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        ok = false;
      }
      if (!ok) fail(rule, `webhook action needs config.url (http or https), got ${JSON.stringify(url)}`);
    }
  }
  return Object.freeze({ ...rule, expr: Object.freeze({ ...expr }), actions: rule.actions.map((a) => Object.freeze({ type: a.type, config: { ...(a.config ?? {}) } })) });
}

/** Every metric family a rule reads. */
export function ruleMetrics(rule: AlertRule): string[] {
  const e = rule.expr;
  if (e?.kind === 'ratio') return [rule.metric, e.denominator];
  if (e?.kind === 'value' && e.divisorMetric !== undefined) return [rule.metric, e.divisorMetric];
  return [rule.metric];
}
