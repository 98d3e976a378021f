import { defineAlertRule } from './defineAlertRule.ts';
import type { AlertAction, AlertRule } from './types.ts';

export interface DefaultRuleOptions {
  /**
   * A fixed heap size for the Memory Pressure rule to measure against (80 %
   * of it). Default: each daemon's own V8 heap limit, which it reports as
   * `wundr_process_memory_heap_limit_bytes` (`--max-old-space-size` aware).
   */
  heapLimitBytes?: number;
  /** Actions of every default rule. Default: log, event and the firing-alerts gauge. */
  actions?: AlertAction[];
}

export const DEFAULT_ACTIONS: readonly AlertAction[] = Object.freeze([
  { type: 'log', config: {} },
  { type: 'event', config: {} },
  { type: 'metric', config: {} },
]);

const FIVE_MIN = 300;

/**
 * The eight default rules of docs/ALERTING.md, each read the way its row says:
 *
 * | rule | expression |
 * |---|---|
 * | HighAgentFailureRate | rate(failed[5m]) / rate(spawned[5m]) > 0.1 |
 * | SessionDurationHigh | p99 of wundr_session_duration_seconds over 5m >= 300 s (the top bucket bound; see below) |
 * | MemoryPressure | heap bytes / heap limit > 0.8 |
 * | WebSocketErrorRate | rate(wundr_ws_errors_total[5m]) × 60 > 10 per minute |
 * | BudgetExhaustion | orchestrator_budget_utilization_percent > 90, per orchestrator and period |
 * | LLMLatencyHigh | p95 of wundr_model_request_duration_seconds over 5m > 30 s, per provider and model |
 * | QueueBacklog | wundr_queue_depth > 100, per queue |
 * | ToolFailureRate | rate(wundr_tool_errors_total[5m]) × 60 > 5 per minute |
 */
export function defaultAlertRules(options: DefaultRuleOptions = {}): AlertRule[] {
  const actions = (options.actions ?? DEFAULT_ACTIONS).map((a) => ({ type: a.type, config: { ...a.config } }));
  const rules: AlertRule[] = [
    {
      name: 'HighAgentFailureRate',
      description: 'Agent failure rate exceeds 10%',
      metric: 'wundr_agent_failed_total',
      expr: { kind: 'ratio', denominator: 'wundr_agent_spawned_total', window: FIVE_MIN },
      condition: 'gt',
      threshold: 0.1,
      duration: FIVE_MIN,
      severity: 'warning',
      annotations: { summary: 'Agent failure rate exceeds 10%' },
      actions,
    },
    {
      name: 'SessionDurationHigh',
      description: 'p99 session duration exceeds 300 s',
      metric: 'wundr_session_duration_seconds',
      expr: { kind: 'quantile', quantile: 0.99, window: FIVE_MIN },
      // The catalogue's buckets for this histogram end at 300 s, and
      // histogram_quantile never returns more than the highest finite bound:
      // "p99 > 300 s" could never fire. ">= 300" holds exactly when at least
      // 1% of the window's sessions took longer than 300 s.
      condition: 'gte',
      threshold: 300,
      duration: FIVE_MIN,
      severity: 'warning',
      annotations: { summary: 'Session p99 duration above 5 minutes' },
      actions,
    },
    {
      name: 'MemoryPressure',
      description: 'Heap usage exceeds 80% of the heap limit',
      metric: 'wundr_process_memory_heap_bytes',
      expr:
        options.heapLimitBytes === undefined
          ? { kind: 'value', aggregate: 'max', divisorMetric: 'wundr_process_memory_heap_limit_bytes' }
          : { kind: 'value', aggregate: 'max', divisor: options.heapLimitBytes },
      condition: 'gt',
      threshold: 0.8,
      duration: 120,
      severity: 'critical',
      annotations: {
        summary: options.heapLimitBytes === undefined ? 'Heap above 80% of its limit' : `Heap above 80% of ${Math.round(options.heapLimitBytes / 1048576)} MiB`,
      },
      actions,
    },
    {
      name: 'WebSocketErrorRate',
      description: 'WebSocket errors exceed 10 per minute',
      metric: 'wundr_ws_errors_total',
      expr: { kind: 'rate', window: FIVE_MIN, per: 'minute' },
      condition: 'gt',
      threshold: 10,
      duration: FIVE_MIN,
      severity: 'warning',
      annotations: { summary: 'More than 10 WebSocket errors per minute' },
      actions,
    },
    {
      name: 'BudgetExhaustion',
      description: 'Budget utilization above 90%',
      metric: 'orchestrator_budget_utilization_percent',
      expr: { kind: 'value', aggregate: 'max', by: ['orchestrator_id', 'period'] },
      condition: 'gt',
      threshold: 90,
      duration: 60,
      severity: 'critical',
      annotations: { summary: 'Budget of {{ $labels.orchestrator_id }} ({{ $labels.period }}) above 90%' },
      actions,
    },
    {
      name: 'LLMLatencyHigh',
      description: 'p95 LLM request latency exceeds 30 s',
      metric: 'wundr_model_request_duration_seconds',
      expr: { kind: 'quantile', quantile: 0.95, window: FIVE_MIN, by: ['provider', 'model'] },
      condition: 'gt',
      threshold: 30,
      duration: FIVE_MIN,
      severity: 'warning',
      annotations: { summary: 'p95 latency of {{ $labels.provider }}/{{ $labels.model }} above 30 s' },
      actions,
    },
    {
      name: 'QueueBacklog',
      description: 'Queue depth exceeds 100',
      metric: 'wundr_queue_depth',
      expr: { kind: 'value', aggregate: 'max', by: ['queue_name'] },
      condition: 'gt',
      threshold: 100,
      duration: FIVE_MIN,
      severity: 'warning',
      annotations: { summary: 'Queue {{ $labels.queue_name }} holds more than 100 items' },
      actions,
    },
    {
      name: 'ToolFailureRate',
      description: 'Tool errors exceed 5 per minute',
      metric: 'wundr_tool_errors_total',
      expr: { kind: 'rate', window: FIVE_MIN, per: 'minute' },
      condition: 'gt',
      threshold: 5,
      duration: FIVE_MIN,
      severity: 'warning',
      annotations: { summary: 'More than 5 tool errors per minute' },
      actions,
    },
  ];
  return rules.map((r) => defineAlertRule(r));
}
