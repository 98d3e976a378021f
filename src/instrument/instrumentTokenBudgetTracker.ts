import { recordBudgetUtilization } from '../metrics/daemonMetrics.ts';
import { StructuredLogger } from '../logging/StructuredLogger.ts';
import { claim, listen, requireObject, type EventSourceLike, type Undo } from './patch.ts';
import { emitInstrumentEvent } from './events.ts';

export interface InstrumentTokenBudgetTrackerOptions {
  /** Used when an event does not name its orchestrator. */
  orchestratorId?: string;
  /** Threshold event names. Default `['threshold', 'budget:threshold', 'threshold:crossed', 'budget:exceeded']`. */
  events?: string[];
}

const DEFAULT_EVENTS = ['threshold', 'budget:threshold', 'threshold:crossed', 'budget:exceeded'];
const PERIODS = new Set(['daily', 'weekly', 'monthly']);

type Obj = Record<string, unknown>;
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Utilization in percent from a threshold event: `percent`/`percentage`/`utilizationPercent`, a 0-1 `utilization`, or `used`/`limit`. */
export function utilizationPercent(e: Obj): number | undefined {
  const direct = num(e.percent) ?? num(e.percentage) ?? num(e.utilizationPercent);
  if (direct !== undefined) return direct;
  const u = num(e.utilization);
  if (u !== undefined) return u <= 1 ? u * 100 : u;
  const used = num(e.used) ?? num(e.tokensUsed);
  const limit = num(e.limit) ?? num(e.budget);
  if (used !== undefined && limit !== undefined && limit > 0) return (used / limit) * 100;
  return undefined;
}

/**
 * Budget metrics from the TokenBudgetTracker (docs/ADAPTERS.md "forward threshold
 * events"): each threshold event sets
 * `orchestrator_budget_utilization_percent{orchestrator_id,period}` and
 * writes a warning line (the Budget Exhaustion alert reads the gauge).
 * Returns the undo function.
 *
 * @example
 * const undo = instrumentTokenBudgetTracker(budgetTracker, { orchestratorId: 'orch-1' });
 */
export function instrumentTokenBudgetTracker(tracker: EventSourceLike, options: InstrumentTokenBudgetTrackerOptions = {}): Undo {
  requireObject(tracker, 'instrumentTokenBudgetTracker', 'the TokenBudgetTracker');
  if (typeof tracker.on !== 'function') throw new Error('@wundr/otel: instrumentTokenBudgetTracker() needs an object with on(event, listener)');
  const finish = claim(tracker, 'instrumentTokenBudgetTracker');
  const log = new StructuredLogger('TokenBudgetTracker');
  const undos: Undo[] = [];
  const onThreshold = (event: unknown) => {
    if (event === null || typeof event !== 'object') return;
    const e = event as Obj;
    const percent = utilizationPercent(e);
    if (percent === undefined) return;
    const period = (typeof e.period === 'string' && PERIODS.has(e.period) ? e.period : 'daily') as 'daily' | 'weekly' | 'monthly';
    const o = typeof e.orchestratorId === 'string' && e.orchestratorId ? e.orchestratorId : (options.orchestratorId ?? 'unknown');
    recordBudgetUtilization({ orchestrator_id: o, period }, percent);
    const meta = { orchestratorId: o, period, utilizationPercent: Math.round(percent * 10) / 10, threshold: num(e.threshold) };
    if (percent >= 90) log.warn('Token budget threshold crossed', meta);
    else log.info('Token budget threshold crossed', meta);
    emitInstrumentEvent('TokenBudgetTracker', 'budget.threshold', meta);
  };
  for (const name of options.events ?? DEFAULT_EVENTS) undos.push(listen(tracker, name, onThreshold));
  return finish(undos);
}
