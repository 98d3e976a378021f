/**
 * The old collector (reference §3), unchanged in API: records into the
 * orchestrator_* prom-client metrics of `daemonMetrics`, optionally in
 * batches, and reads aggregated stats back. Its flush timer is unref()ed.
 */
import { diag } from '@opentelemetry/api';
import { runtime } from './families/index.ts';
import {
  daemonMetrics,
  recordBudgetUtilization,
  recordError,
  recordFederationDelegation,
  recordMessageLatency,
  recordNodeLoad,
  recordTokensUsed,
  recordToolInvocation,
  type MetricsRegistry,
} from './daemonMetrics.ts';

export interface CollectorConfig {
  /** Queue writes and apply them every `batchFlushInterval` ms or at `maxBatchSize`. Default true. */
  enableBatching?: boolean;
  batchFlushInterval?: number;
  maxBatchSize?: number;
  debug?: boolean;
}

export interface AggregatedStats {
  orchestratorId: string;
  timeRange?: string | undefined;
  totalSessions: number;
  totalTokens: number;
  /** Milliseconds. */
  avgLatency: number;
  /** Failed tool calls ÷ tool calls. */
  errorRate: number;
  successfulToolCalls: number;
  failedToolCalls: number;
  toolInvocations: number;
  delegations: number;
}

/** Returns elapsed milliseconds; records nothing (as before). */
export type TimerFunction = (labels?: Record<string, string | number>) => number;

type SessionType = 'claude-code' | 'ruflo';

export class MetricsCollector {
  private readonly registry: MetricsRegistry;
  private readonly config: Required<CollectorConfig>;
  private queue: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(registry: MetricsRegistry, config: CollectorConfig = {}) {
    this.registry = registry;
    this.config = {
      enableBatching: config.enableBatching ?? true,
      batchFlushInterval: config.batchFlushInterval ?? 5000,
      maxBatchSize: config.maxBatchSize ?? 100,
      debug: config.debug ?? false,
    };
    if (this.config.enableBatching) {
      this.timer = setInterval(() => this.flush(), this.config.batchFlushInterval);
      this.timer.unref();
    }
  }

  /** The registry given at construction. */
  getRegistry(): MetricsRegistry {
    return this.registry;
  }

  private write(op: () => void): void {
    if (!runtime.enabled) return;
    if (!this.config.enableBatching) return this.apply(op);
    this.queue.push(op);
    if (this.queue.length >= this.config.maxBatchSize) this.flush();
  }

  private apply(op: () => void): void {
    try {
      op();
    } catch (err) {
      // A bad label set from the host must not throw out of a metrics call.
      diag.warn(`@wundr/otel: MetricsCollector: ${(err as Error).message}`);
    }
  }

  recordSessionStart(orchestratorId: string, sessionType: SessionType): void {
    this.write(() => daemonMetrics.sessionsActive.inc({ orchestrator_id: orchestratorId, session_type: sessionType }));
  }

  recordSessionEnd(orchestratorId: string, sessionType: SessionType): void {
    this.write(() => daemonMetrics.sessionsActive.dec({ orchestrator_id: orchestratorId, session_type: sessionType }));
  }

  recordTokenUsage(orchestratorId: string, model: string, tokens: number): void {
    this.write(() => recordTokensUsed({ orchestrator_id: orchestratorId, model }, tokens));
  }

  /** Takes milliseconds; the histogram is in seconds. */
  recordMessageLatency(orchestratorId: string, latencyMs: number): void {
    this.write(() => recordMessageLatency({ orchestrator_id: orchestratorId }, latencyMs / 1000));
  }

  recordToolInvocation(orchestratorId: string, toolName: string, status: 'success' | 'error' | 'timeout'): void {
    this.write(() => recordToolInvocation({ orchestrator_id: orchestratorId, tool_name: toolName, status }));
  }

  recordDelegation(from: string, to: string, status: 'success' | 'error' | 'rejected'): void {
    this.write(() => recordFederationDelegation({ from_orchestrator: from, to_orchestrator: to, status }));
  }

  recordError(orchestratorId: string, errorType: string): void {
    this.write(() => recordError({ orchestrator_id: orchestratorId, error_type: errorType }));
  }

  updateNodeLoad(nodeId: string, load: number): void {
    this.write(() => recordNodeLoad({ node_id: nodeId }, load));
  }

  updateBudgetUtilization(orchestratorId: string, period: 'daily' | 'weekly' | 'monthly', percent: number): void {
    this.write(() => recordBudgetUtilization({ orchestrator_id: orchestratorId, period }, percent));
  }

  /** The returned function gives the elapsed milliseconds and records nothing. */
  startTimer(): TimerFunction {
    const t0 = performance.now();
    return () => performance.now() - t0;
  }

  /**
   * Runs `fn`, recording its latency on success; on a throw records a
   * `function_execution_error` and rethrows.
   */
  async withMetrics<T>(fn: () => Promise<T> | T, labels: { orchestrator_id: string }): Promise<T> {
    const t0 = performance.now();
    try {
      const out = await fn();
      this.recordMessageLatency(labels.orchestrator_id, performance.now() - t0);
      return out;
    } catch (err) {
      this.recordError(labels.orchestrator_id, 'function_execution_error');
      throw err;
    }
  }

  /** Current values for one orchestrator (the queue is not flushed; `timeRange` is only echoed). */
  async getAggregatedStats(orchestratorId: string, timeRange?: string): Promise<AggregatedStats> {
    const sum = async (metric: { get(): Promise<{ values: { value: number; labels: Record<string, unknown>; metricName?: string }[] }> }, pred: (l: Record<string, unknown>, name?: string) => boolean) => {
      const { values } = await metric.get();
      let s = 0;
      for (const v of values) if (pred(v.labels, v.metricName)) s += v.value;
      return s;
    };
    const mine = (l: Record<string, unknown>) => l.orchestrator_id === orchestratorId;
    const totalSessions = await sum(daemonMetrics.sessionsActive as never, mine);
    const totalTokens = await sum(daemonMetrics.tokensUsed as never, mine);
    const latSum = await sum(daemonMetrics.messageLatency as never, (l, n) => mine(l) && n === 'orchestrator_message_latency_seconds_sum');
    const latCount = await sum(daemonMetrics.messageLatency as never, (l, n) => mine(l) && n === 'orchestrator_message_latency_seconds_count');
    const successfulToolCalls = await sum(daemonMetrics.toolInvocations as never, (l) => mine(l) && l.status === 'success');
    const failedToolCalls = await sum(daemonMetrics.toolInvocations as never, (l) => mine(l) && (l.status === 'error' || l.status === 'timeout'));
    const toolInvocations = await sum(daemonMetrics.toolInvocations as never, mine);
    const delegations = await sum(
      daemonMetrics.federationDelegations as never,
      (l) => l.from_orchestrator === orchestratorId || l.to_orchestrator === orchestratorId,
    );
    return {
      orchestratorId,
      timeRange,
      totalSessions,
      totalTokens,
      avgLatency: latCount > 0 ? (latSum / latCount) * 1000 : 0,
      errorRate: toolInvocations > 0 ? failedToolCalls / toolInvocations : 0,
      successfulToolCalls,
      failedToolCalls,
      toolInvocations,
      delegations,
    };
  }

  /** Applies every queued write. */
  flush(): void {
    const q = this.queue;
    this.queue = [];
    for (const op of q) this.apply(op);
  }

  /** Stops the flush timer and flushes. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }
}

export function createMetricsCollector(registry: MetricsRegistry, config?: CollectorConfig): MetricsCollector {
  return new MetricsCollector(registry, config);
}
