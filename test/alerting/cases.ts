/** How each seed §7.2 condition is induced (once per 30 s step) and ended; shared by the in-process and promtool tests. */
import type { StaticMetricSource } from '../../src/metrics/MetricSnapshot.ts';
import { BUCKETS } from '../../src/metrics/catalogue.ts';

export const HEAP_LIMIT = 1_000_000;

/** How to induce each §7.2 condition (called once per 30 s step), and how to end it. */
export const CASES: Record<string, { induce(s: StaticMetricSource): void; recover(s: StaticMetricSource): void; labels?: Record<string, string> }> = {
  HighAgentFailureRate: {
    induce: (s) => s.add('wundr_agent_spawned_total', 10, { orchestrator_id: 'o1', session_type: 'claude-code' }).add('wundr_agent_failed_total', 3, { orchestrator_id: 'o1', session_type: 'claude-code', error_type: 'crash' }),
    recover: (s) => s.add('wundr_agent_spawned_total', 10, { orchestrator_id: 'o1', session_type: 'claude-code' }).add('wundr_agent_failed_total', 0, { orchestrator_id: 'o1', session_type: 'claude-code', error_type: 'crash' }),
  },
  SessionDurationHigh: {
    induce: (s) => {
      for (let i = 0; i < 5; i++) s.observe('wundr_session_duration_seconds', 900, BUCKETS.B3, { orchestrator_id: 'o1', session_type: 'claude-code' });
    },
    recover: (s) => {
      for (let i = 0; i < 5; i++) s.observe('wundr_session_duration_seconds', 3, BUCKETS.B3, { orchestrator_id: 'o1', session_type: 'claude-code' });
    },
  },
  MemoryPressure: {
    induce: (s) => s.set('wundr_process_memory_heap_limit_bytes', HEAP_LIMIT).set('wundr_process_memory_heap_bytes', 0.9 * HEAP_LIMIT),
    recover: (s) => s.set('wundr_process_memory_heap_limit_bytes', HEAP_LIMIT).set('wundr_process_memory_heap_bytes', 0.5 * HEAP_LIMIT),
  },
  WebSocketErrorRate: {
    induce: (s) => s.add('wundr_ws_errors_total', 20, { error_type: 'protocol' }),
    recover: (s) => s.add('wundr_ws_errors_total', 0, { error_type: 'protocol' }),
  },
  BudgetExhaustion: {
    induce: (s) => s.set('orchestrator_budget_utilization_percent', 95, { orchestrator_id: 'o1', period: 'daily' }).set('orchestrator_budget_utilization_percent', 40, { orchestrator_id: 'o1', period: 'monthly' }),
    recover: (s) => s.set('orchestrator_budget_utilization_percent', 50, { orchestrator_id: 'o1', period: 'daily' }),
    labels: { orchestrator_id: 'o1', period: 'daily' },
  },
  LLMLatencyHigh: {
    induce: (s) => {
      for (let i = 0; i < 4; i++) s.observe('wundr_model_request_duration_seconds', 45, BUCKETS.B7, { provider: 'openai', model: 'gpt-4o' });
      s.observe('wundr_model_request_duration_seconds', 1, BUCKETS.B7, { provider: 'anthropic', model: 'claude' });
    },
    recover: (s) => {
      for (let i = 0; i < 4; i++) s.observe('wundr_model_request_duration_seconds', 2, BUCKETS.B7, { provider: 'openai', model: 'gpt-4o' });
    },
    labels: { provider: 'openai', model: 'gpt-4o' },
  },
  QueueBacklog: {
    induce: (s) => s.set('wundr_queue_depth', 150, { queue_name: 'tasks' }).set('wundr_queue_depth', 3, { queue_name: 'tools' }),
    recover: (s) => s.set('wundr_queue_depth', 10, { queue_name: 'tasks' }),
    labels: { queue_name: 'tasks' },
  },
  ToolFailureRate: {
    induce: (s) => s.add('wundr_tool_errors_total', 6, { tool_name: 'drift_detection', error_type: 'timeout' }),
    recover: (s) => s.add('wundr_tool_errors_total', 0, { tool_name: 'drift_detection', error_type: 'timeout' }),
  },
};

