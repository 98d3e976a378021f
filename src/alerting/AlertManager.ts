import { EventEmitter } from 'node:events';
import type { AlertSeverity } from './types.ts';

/** Old API (reference §5 alerts.ts): a push-evaluated threshold. */
export interface AlertThreshold {
  id: string;
  name: string;
  metric: string;
  labels?: Record<string, string>;
  operator: 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq';
  value: number;
  forDurationMs: number;
  severity: AlertSeverity;
  annotations?: Record<string, string>;
  enabled: boolean;
}

export interface ManagedAlert {
  id: string;
  thresholdId: string;
  name: string;
  metric: string;
  labels: Record<string, string>;
  severity: AlertSeverity;
  state: 'pending' | 'firing' | 'resolved';
  value: number;
  threshold: number;
  startedAt: number;
  firedAt?: number;
  resolvedAt?: number;
  annotations: Record<string, string>;
}

export interface AlertManagerOptions {
  /** Kept for compatibility; the old code did not use it either. */
  evaluationIntervalMs?: number;
  /** Resolved alerts kept. Default 1000. */
  maxAlerts?: number;
}

const OPS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'];

function holds(op: AlertThreshold['operator'], v: number, t: number): boolean {
  switch (op) {
    case 'gt':
      return v > t;
    case 'gte':
      return v >= t;
    case 'lt':
      return v < t;
    case 'lte':
      return v <= t;
    case 'eq':
      return v === t;
    case 'neq':
      return v !== t;
  }
}

function labelsMatch(want: Record<string, string> | undefined, got: Record<string, string>): boolean {
  if (!want) return true;
  return Object.entries(want).every(([k, v]) => got[k] === v);
}

/**
 * The old push-style alert manager, kept for old call sites: the app calls
 * `evaluate(metric, value, labels)` with a value it has; thresholds go
 * pending -> firing (after forDurationMs) -> resolved. Emits 'pending',
 * 'firing', 'resolved'. New code uses rules and the AlertEvaluator, which
 * read the SDK's metric data themselves.
 */
export class AlertManager extends EventEmitter {
  private readonly thresholds = new Map<string, AlertThreshold>();
  private readonly active = new Map<string, ManagedAlert>();
  private readonly resolved: ManagedAlert[] = [];
  private readonly maxAlerts: number;

  constructor(options: AlertManagerOptions = {}) {
    super();
    this.maxAlerts = options.maxAlerts ?? 1000;
  }

  addThreshold(t: AlertThreshold): void {
    if (!t || typeof t.id !== 'string' || t.id === '') throw new TypeError('@wundr/otel: an alert threshold needs a string id');
    if (this.thresholds.has(t.id)) throw new Error(`@wundr/otel: alert threshold "${t.id}" already exists`);
    if (!OPS.includes(t.operator)) throw new TypeError(`@wundr/otel: threshold "${t.id}": operator must be one of ${OPS.join('|')}`);
    if (typeof t.value !== 'number' || Number.isNaN(t.value)) throw new TypeError(`@wundr/otel: threshold "${t.id}": value must be a number`);
    this.thresholds.set(t.id, { ...t, forDurationMs: t.forDurationMs ?? 0, enabled: t.enabled ?? true });
  }

  removeThreshold(id: string): boolean {
    for (const [k, a] of this.active) if (a.thresholdId === id) this.active.delete(k);
    return this.thresholds.delete(id);
  }

  updateThreshold(id: string, patch: Partial<Omit<AlertThreshold, 'id'>>): boolean {
    const t = this.thresholds.get(id);
    if (!t) return false;
    this.thresholds.set(id, { ...t, ...patch, id });
    return true;
  }

  getThreshold(id: string): AlertThreshold | undefined {
    return this.thresholds.get(id);
  }

  getThresholds(): AlertThreshold[] {
    return [...this.thresholds.values()];
  }

  /** Pushes one value of `metric`; returns the alerts that changed state. */
  evaluate(metric: string, value: number, labels: Record<string, string> = {}, now = Date.now()): ManagedAlert[] {
    const changed: ManagedAlert[] = [];
    for (const t of this.thresholds.values()) {
      if (!t.enabled || t.metric !== metric || !labelsMatch(t.labels, labels)) continue;
      const key = `${t.id}${JSON.stringify(Object.entries(labels).sort())}`;
      const a = this.active.get(key);
      if (holds(t.operator, value, t.value)) {
        if (!a) {
          const n: ManagedAlert = {
            id: key,
            thresholdId: t.id,
            name: t.name,
            metric,
            labels: { ...labels },
            severity: t.severity,
            state: t.forDurationMs > 0 ? 'pending' : 'firing',
            value,
            threshold: t.value,
            startedAt: now,
            annotations: { ...t.annotations },
          };
          if (n.state === 'firing') n.firedAt = now;
          this.active.set(key, n);
          changed.push(n);
          this.emit(n.state, n);
        } else {
          a.value = value;
          if (a.state === 'pending' && now - a.startedAt >= t.forDurationMs) {
            a.state = 'firing';
            a.firedAt = now;
            changed.push(a);
            this.emit('firing', a);
          }
        }
      } else if (a) {
        this.active.delete(key);
        if (a.state === 'firing') {
          a.state = 'resolved';
          a.resolvedAt = now;
          this.resolved.unshift(a);
          if (this.resolved.length > this.maxAlerts) this.resolved.length = this.maxAlerts;
          changed.push(a);
          this.emit('resolved', a);
        }
      }
    }
    return changed;
  }

  getActiveAlerts(): ManagedAlert[] {
    return [...this.active.values()];
  }

  getResolvedAlerts(limit = this.maxAlerts): ManagedAlert[] {
    return this.resolved.slice(0, limit);
  }

  getSummary(): { total: number; firing: number; pending: number; resolved: number; bySeverity: Record<AlertSeverity, number> } {
    const active = this.getActiveAlerts();
    const bySeverity: Record<AlertSeverity, number> = { info: 0, warning: 0, critical: 0 };
    for (const a of active) if (a.state === 'firing') bySeverity[a.severity]++;
    const firing = active.filter((a) => a.state === 'firing').length;
    return { total: active.length, firing, pending: active.length - firing, resolved: this.resolved.length, bySeverity };
  }
}
