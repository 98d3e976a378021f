import { EventEmitter } from 'node:events';
import { diag, metrics, type Meter, type ObservableResult } from '@opentelemetry/api';
import type { MetricSource } from '../metrics/MetricSnapshot.ts';
import { getMetricDef } from '../metrics/catalogue.ts';
import { compare, evaluateQuery, indexSnapshot, labelKey, type IndexedSnapshot } from './expressions.ts';
import { defineAlertRule, ruleMetrics, type DefineOptions } from './defineAlertRule.ts';
import { defaultAlertRules } from './defaultRules.ts';
import { WebhookSender, type WebhookConfig } from './WebhookSender.ts';
import type { Alert, AlertAction, AlertRule, AlertSeverity } from './types.ts';
import { withTimeout } from '../withTimeout.ts';

/** What the log action writes through (a StructuredLogger fits). */
export interface AlertLogger {
  info(message: string, metadata?: Record<string, unknown>): void;
  warn(message: string, metadata?: Record<string, unknown>): void;
  error(message: string, metadata?: Record<string, unknown>): void;
}

export interface AlertEvaluatorOptions {
  /** Default: the eight default rules of docs/ALERTING.md. */
  rules?: AlertRule[];
  /** Where metric data comes from (the SDK's own reader in the preload). */
  source?: MetricSource;
  /** ALERTING_EVALUATION_INTERVAL, seconds. Default 30. */
  intervalSeconds?: number;
  /** Resolved alerts kept for /alerts. Default 100. */
  maxResolved?: number;
  /** Log action output; default a StructuredLogger('alerting'). */
  logger?: AlertLogger;
  /** Meter for the firing-alerts gauge (metric action); default: the global meter provider's, taken at start(). */
  meter?: Meter;
  /** Clock (ms); tests step it. Default Date.now. */
  now?: () => number;
}

/** Bound on one collection for an evaluation round. */
const COLLECT_TIMEOUT_MS = 10_000;

/** Name of the gauge the metric action maintains (a catalogue entry: labels alertname, severity). */
export const ALERTS_FIRING_METRIC = 'wundr_alerts_firing';

interface Instance extends Alert {
  activeSince: number;
}

interface RuleState {
  rule: AlertRule;
  instances: Map<string, Instance>;
}

export interface AlertSummary {
  firing: number;
  pending: number;
  bySeverity: Record<AlertSeverity, number>;
  resolved: number;
  rules: number;
  evaluations: number;
  lastEvaluation: string | undefined;
  webhook: WebhookSender['stats'];
}

function expand(template: string, labels: Record<string, string>, value: number): string {
  return template.replace(/\{\{\s*\$labels\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, k: string) => labels[k] ?? '').replace(/\{\{\s*\$value\s*\}\}/g, String(value));
}

/**
 * The in-process evaluator (docs/ALERTING.md: every `intervalSeconds` it collects the
 * SDK's own metric data, computes each rule's expression and runs the
 * Prometheus state machine per label set — inactive -> pending (condition
 * holds) -> firing (held for `duration`) -> resolved (no longer holds). On
 * each transition it runs the rule's actions: `log` (structured logger),
 * `event` (this EventEmitter: 'pending', 'firing', 'resolved', each with the
 * Alert), `webhook` (fire-and-forget POST, Alertmanager body), `metric`
 * (the wundr_alerts_firing gauge). It never emits 'error'; evaluation
 * failures go to the diag channel.
 *
 * @example
 * const ev = new AlertEvaluator({ source, intervalSeconds: 30 });
 * ev.on('firing', (a) => pager.notify(a));
 * ev.start();
 */
export class AlertEvaluator extends EventEmitter {
  private readonly states = new Map<string, RuleState>();
  private readonly resolved: Alert[] = [];
  private readonly maxResolved: number;
  private readonly history: IndexedSnapshot[] = [];
  private source: MetricSource | undefined;
  private intervalSeconds: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly extraActions: AlertAction[] = [];
  private logger: AlertLogger | undefined;
  private meter: Meter | undefined;
  private gaugeRegistered = false;
  readonly webhooks = new WebhookSender();
  readonly now: () => number;
  evaluations = 0;
  private lastEvaluation: number | undefined;

  constructor(options: AlertEvaluatorOptions = {}) {
    super();
    this.intervalSeconds = options.intervalSeconds ?? 30;
    if (!(this.intervalSeconds > 0)) throw new TypeError(`@wundr/otel: alert evaluation interval must be > 0 seconds, got ${String(options.intervalSeconds)}`);
    this.maxResolved = options.maxResolved ?? 100;
    this.source = options.source;
    this.logger = options.logger;
    this.meter = options.meter;
    this.now = options.now ?? Date.now;
    for (const r of options.rules ?? defaultAlertRules()) this.addRule(r);
  }

  /** Adds (or replaces) a rule; validated like defineAlertRule. */
  addRule(rule: AlertRule, opts?: DefineOptions): this {
    const r = defineAlertRule(rule, opts);
    this.states.set(r.name, { rule: r, instances: new Map() });
    this.ensureGauge();
    return this;
  }

  removeRule(name: string): boolean {
    return this.states.delete(name);
  }

  getRules(): AlertRule[] {
    return [...this.states.values()].map((s) => s.rule);
  }

  /** An action run for every rule's transitions (e.g. a webhook to Alertmanager). */
  addAction(action: AlertAction): this {
    // Validated through a throwaway rule so the messages match defineAlertRule's.
    defineAlertRule({ name: 'action', description: 'x', metric: 'wundr_queue_depth', condition: 'gt', threshold: 0, duration: 0, severity: 'info', actions: [action] });
    this.extraActions.push({ type: action.type, config: { ...action.config } });
    if (action.type === 'metric') this.ensureGauge();
    return this;
  }

  setSource(source: MetricSource | undefined): void {
    this.source = source;
  }

  /** Where this evaluator reads metric data (the SDK's reader in the preload). */
  getSource(): MetricSource | undefined {
    return this.source;
  }

  /** The meter the firing-alerts gauge is created on (once; later calls are ignored). */
  setMeter(meter: Meter): void {
    if (this.gaugeRegistered) return;
    this.meter = meter;
    this.ensureGauge();
  }

  /** Starts periodic evaluation (unref()ed timer). */
  start(intervalSeconds = this.intervalSeconds): void {
    this.stop();
    if (!(intervalSeconds > 0)) throw new TypeError(`@wundr/otel: alert evaluation interval must be > 0 seconds, got ${String(intervalSeconds)}`);
    this.intervalSeconds = intervalSeconds;
    if (!this.meter) this.setMeter(metrics.getMeter('@wundr/otel/alerting'));
    this.timer = setInterval(() => void this.evaluate(), intervalSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Waits for webhook deliveries in flight (each bounded by its timeout and retries). */
  flush(): Promise<void> {
    return this.webhooks.flush();
  }

  /** One evaluation round; concurrent calls share it. Never rejects. */
  evaluate(): Promise<void> {
    this.running ??= this.round()
      .catch((err: unknown) => diag.error(`@wundr/otel: alert evaluation failed: ${(err as Error)?.message ?? String(err)}`))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private neededNames(): Set<string> {
    const names = new Set<string>();
    for (const { rule } of this.states.values()) {
      for (const m of ruleMetrics(rule)) {
        if (rule.expr?.kind === 'quantile') names.add(`${m}_bucket`);
        else names.add(m);
      }
    }
    return names;
  }

  private maxWindowS(): number {
    let w = 0;
    for (const { rule } of this.states.values()) if (rule.expr && 'window' in rule.expr) w = Math.max(w, rule.expr.window);
    return w;
  }

  private async round(): Promise<void> {
    if (!this.source) return;
    // A collection that never answers must not stall every later round (they coalesce into this one).
    const snap = await withTimeout(this.source.collect(), COLLECT_TIMEOUT_MS);
    if (!snap) {
      diag.warn(`@wundr/otel: alert evaluation skipped: metric collection did not answer within ${COLLECT_TIMEOUT_MS} ms`);
      return;
    }
    if (snap.failed) return;
    const t = this.now();
    // The evaluator's clock stamps the snapshot, so rates and `for` use one time base.
    this.history.push(indexSnapshot({ ...snap, time: t }, this.neededNames()));
    // Keep the window plus one older sample (bounded memory: only the rules' series are kept).
    const from = t - this.maxWindowS() * 1000;
    while (this.history.length > 2 && this.history[1]!.time <= from) this.history.shift();
    // Evaluating faster than the interval (evaluate() called by hand) must not grow the history
    // past what the windows need at the configured interval.
    const cap = Math.min(256, Math.max(8, Math.ceil(this.maxWindowS() / this.intervalSeconds) * 2 + 2));
    if (this.history.length > cap) this.history.splice(0, this.history.length - cap);
    this.evaluations++;
    this.lastEvaluation = t;

    for (const st of this.states.values()) {
      let vector;
      try {
        vector = evaluateQuery(st.rule, this.history);
      } catch (err) {
        diag.error(`@wundr/otel: alert rule ${st.rule.name} could not be evaluated: ${(err as Error).message}`);
        continue;
      }
      const seen = new Set<string>();
      for (const el of vector.values()) {
        if (!compare(el.value, st.rule.condition, st.rule.threshold)) continue;
        const key = labelKey(el.labels);
        seen.add(key);
        let inst = st.instances.get(key);
        if (!inst) {
          const labels = { ...st.rule.labels, ...el.labels };
          inst = {
            id: `${st.rule.name}${key === '[]' ? '' : `{${Object.entries(el.labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`}`,
            rule: st.rule.name,
            state: 'pending',
            severity: st.rule.severity,
            labels,
            annotations: {},
            value: el.value,
            threshold: st.rule.threshold,
            condition: st.rule.condition,
            activeAt: new Date(t).toISOString(),
            activeSince: t,
          };
          st.instances.set(key, inst);
          inst.annotations = this.annotations(st.rule, inst);
          if (st.rule.duration > 0) this.transition(st.rule, inst);
        }
        inst.value = el.value;
        inst.annotations = this.annotations(st.rule, inst);
        if (inst.state === 'pending' && t - inst.activeSince >= st.rule.duration * 1000) {
          inst.state = 'firing';
          inst.firedAt = new Date(t).toISOString();
          this.transition(st.rule, inst);
        }
      }
      for (const [key, inst] of st.instances) {
        if (seen.has(key)) continue;
        st.instances.delete(key);
        if (inst.state !== 'firing') continue; // pending that never fired: back to inactive, silently
        inst.state = 'resolved';
        inst.resolvedAt = new Date(t).toISOString();
        this.resolved.unshift(this.publicAlert(inst));
        if (this.resolved.length > this.maxResolved) this.resolved.length = this.maxResolved;
        this.transition(st.rule, inst);
      }
    }
    this.emit('evaluated', { time: new Date(t).toISOString(), firing: this.getFiringAlerts().length });
  }

  private annotations(rule: AlertRule, inst: Instance): Record<string, string> {
    const base = { summary: rule.description, description: rule.description, ...rule.annotations };
    return Object.fromEntries(Object.entries(base).map(([k, v]) => [k, expand(v, inst.labels, inst.value)]));
  }

  private publicAlert(i: Instance): Alert {
    const { activeSince: _, ...a } = i;
    return { ...a, labels: { ...a.labels }, annotations: { ...a.annotations } };
  }

  private transition(rule: AlertRule, inst: Instance): void {
    const alert = this.publicAlert(inst);
    for (const action of [...rule.actions, ...this.extraActions]) {
      try {
        this.runAction(action, rule, alert);
      } catch (err) {
        diag.error(`@wundr/otel: alert action ${action.type} of ${rule.name} failed: ${(err as Error).message}`);
      }
    }
  }

  private runAction(action: AlertAction, rule: AlertRule, alert: Alert): void {
    switch (action.type) {
      case 'log': {
        if (alert.state === 'pending') return;
        const log = this.getLogger();
        const meta = { alert: alert.rule, state: alert.state, severity: alert.severity, value: alert.value, threshold: alert.threshold, labels: alert.labels };
        const msg = `alert ${alert.rule} ${alert.state}: ${alert.annotations.summary ?? rule.description}`;
        if (alert.state === 'resolved') log.info(msg, meta);
        else if (alert.severity === 'critical') log.error(msg, meta);
        else log.warn(msg, meta);
        return;
      }
      case 'event': {
        const name = typeof action.config.event === 'string' ? action.config.event : undefined;
        this.emit(alert.state, alert);
        this.emit('alert', alert);
        if (name) this.emit(name, alert);
        return;
      }
      case 'webhook': {
        if (alert.state === 'pending') return;
        this.webhooks.send(action.config as unknown as WebhookConfig, [alert]);
        return;
      }
      case 'metric':
        return; // the gauge reads the state at collection
    }
  }

  private getLogger(): AlertLogger {
    if (!this.logger) {
      try {
        const { StructuredLogger } = require('../logging/StructuredLogger') as typeof import('../logging/StructuredLogger.ts');
        this.logger = new StructuredLogger('alerting') as unknown as AlertLogger;
      } catch {
        const d = (m: string, meta?: Record<string, unknown>) => `${m} ${meta ? JSON.stringify(meta) : ''}`;
        this.logger = { info: (m, x) => diag.info(d(m, x)), warn: (m, x) => diag.warn(d(m, x)), error: (m, x) => diag.error(d(m, x)) };
      }
    }
    return this.logger;
  }

  private hasMetricAction(rule: AlertRule): boolean {
    return rule.actions.some((a) => a.type === 'metric') || this.extraActions.some((a) => a.type === 'metric');
  }

  /** The firing-alerts gauge: one series per rule with a metric action (0 when quiet). */
  private ensureGauge(): void {
    if (this.gaugeRegistered || !this.meter) return;
    if (![...this.states.values()].some((s) => this.hasMetricAction(s.rule))) return;
    this.gaugeRegistered = true;
    const def = getMetricDef(ALERTS_FIRING_METRIC);
    const g = this.meter.createObservableGauge(def?.otelName ?? ALERTS_FIRING_METRIC, {
      description: def?.help ?? 'Alerts currently firing in the in-process evaluator, by rule and severity',
      unit: def?.unit ?? '{alert}',
    });
    g.addCallback((r: ObservableResult) => {
      for (const s of this.states.values()) {
        if (!this.hasMetricAction(s.rule)) continue;
        let n = 0;
        for (const i of s.instances.values()) if (i.state === 'firing') n++;
        r.observe(n, { alertname: s.rule.name, severity: s.rule.severity });
      }
    });
  }

  /** Pending and firing alerts. */
  getActiveAlerts(): Alert[] {
    const out: Alert[] = [];
    for (const s of this.states.values()) for (const i of s.instances.values()) out.push(this.publicAlert(i));
    return out;
  }

  getFiringAlerts(): Alert[] {
    return this.getActiveAlerts().filter((a) => a.state === 'firing');
  }

  /** Recently resolved alerts, newest first. */
  getResolvedAlerts(): Alert[] {
    return this.resolved.map((a) => ({ ...a }));
  }

  getSummary(): AlertSummary {
    const active = this.getActiveAlerts();
    const bySeverity: Record<AlertSeverity, number> = { info: 0, warning: 0, critical: 0 };
    for (const a of active) if (a.state === 'firing') bySeverity[a.severity]++;
    return {
      firing: active.filter((a) => a.state === 'firing').length,
      pending: active.filter((a) => a.state === 'pending').length,
      bySeverity,
      resolved: this.resolved.length,
      rules: this.states.size,
      evaluations: this.evaluations,
      lastEvaluation: this.lastEvaluation === undefined ? undefined : new Date(this.lastEvaluation).toISOString(),
      webhook: { ...this.webhooks.stats },
    };
  }
}
