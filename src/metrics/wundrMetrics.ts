/**
 * The typed recording API of the wundr_ metrics (docs/METRICS.md, one object per
 * area with the old code's object and field names (`agentMetrics.spawned`,
 * `toolMetrics.executionDuration`, …) and prom-client's call shapes
 * (`inc(labels, v)`, `set`, `observe`, `labels(...)`), plus the old
 * `record*` helpers with their signatures.
 *
 * Importing this module registers nothing anywhere: the families are plain
 * objects. They record from the first call; the SDK reports them once
 * started (preload or startSdk()).
 */
import { getHeapStatistics } from 'node:v8';
import { CATALOGUE, getMetricDef, type MetricArea, type MetricDef } from './catalogue.ts';
import {
  CounterFamily,
  GaugeFamily,
  HistogramFamily,
  createFamily,
  overflowMetric,
  runtime,
  type Family,
} from './families/index.ts';
import { SystemMetrics, readMaxFds, readOpenFds } from './SystemMetrics.ts';

type OID = 'orchestrator_id';
type ST = 'session_type';

export interface AgentLifecycleMetrics {
  spawned: CounterFamily<OID | ST>;
  running: GaugeFamily<OID | ST>;
  completed: CounterFamily<OID | ST | 'exit_reason'>;
  failed: CounterFamily<OID | ST | 'error_type'>;
  duration: HistogramFamily<OID | ST>;
}
export interface EnhancedSessionMetrics {
  duration: HistogramFamily<OID | ST>;
  tokensPrompt: CounterFamily<OID | 'model'>;
  tokensCompletion: CounterFamily<OID | 'model'>;
  cost: CounterFamily<OID | 'model' | 'provider'>;
  iterations: CounterFamily<OID>;
}
export interface MemorySystemMetrics {
  entries: GaugeFamily<'tier' | OID>;
  searches: CounterFamily<'tier' | OID>;
  searchLatency: HistogramFamily<'tier'>;
  cacheHits: CounterFamily<'tier'>;
  cacheMisses: CounterFamily<'tier'>;
  compactions: CounterFamily<'tier' | 'strategy'>;
  bytes: GaugeFamily<'tier'>;
}
export interface EnhancedToolMetrics {
  executionDuration: HistogramFamily<'tool_name' | 'status'>;
  executionTotal: CounterFamily<'tool_name' | 'status'>;
  errors: CounterFamily<'tool_name' | 'error_type'>;
  queueDepth: GaugeFamily<never>;
}
export interface WebSocketMetrics {
  connectionsActive: GaugeFamily<never>;
  connectionsTotal: CounterFamily<'auth_method'>;
  messagesReceived: CounterFamily<'message_type'>;
  messagesSent: CounterFamily<'message_type'>;
  messageSize: HistogramFamily<'direction'>;
  errors: CounterFamily<'error_type'>;
  sessionSubscriptions: GaugeFamily<never>;
}
export interface ModelRoutingMetrics {
  requests: CounterFamily<'provider' | 'model'>;
  requestDuration: HistogramFamily<'provider' | 'model'>;
  requestTokens: CounterFamily<'provider' | 'model' | 'token_type'>;
  cost: CounterFamily<'provider' | 'model'>;
  errors: CounterFamily<'provider' | 'model' | 'error_type'>;
  rateLimited: CounterFamily<'provider' | 'model'>;
}
export interface QueueMetrics {
  depth: GaugeFamily<'queue_name'>;
  processingDuration: HistogramFamily<'queue_name'>;
  enqueued: CounterFamily<'queue_name'>;
  dequeued: CounterFamily<'queue_name'>;
  dropped: CounterFamily<'queue_name' | 'reason'>;
}
export interface ChannelMetrics {
  messagesSent: CounterFamily<'channel' | 'message_type'>;
  messagesReceived: CounterFamily<'channel' | 'message_type'>;
  messageLatency: HistogramFamily<'channel'>;
  errors: CounterFamily<'channel' | 'error_type'>;
  activeChannels: GaugeFamily<'channel_type'>;
}
export interface PluginMetrics {
  executionDuration: HistogramFamily<'plugin_name' | 'hook' | 'status'>;
  executionTotal: CounterFamily<'plugin_name' | 'hook' | 'status'>;
  errors: CounterFamily<'plugin_name' | 'hook' | 'error_type'>;
  activePlugins: GaugeFamily<never>;
  loadDuration: HistogramFamily<'plugin_name'>;
}
export interface RequestSummaryMetrics {
  /** Was a Summary; now a histogram (see docs/METRICS.md). */
  requestDuration: HistogramFamily<'method' | 'endpoint'>;
  /** Was a Summary; now a histogram (see docs/METRICS.md). */
  tokenUsageSummary: HistogramFamily<'provider' | 'model'>;
}

/**
 * A system metric: read from the process at collection by the SDK; `read()`
 * gives the current value here. The old fields were prom-client gauges set
 * by a timer: `set`/`inc`/`dec` remain as no-ops so old callers do not
 * break, and `get()` answers in prom-client's shape.
 */
export interface ObservedMetric {
  readonly def: MetricDef;
  read(): number | undefined;
  set(...args: unknown[]): void;
  inc(...args: unknown[]): void;
  dec(...args: unknown[]): void;
  get(): Promise<{ name: string; help: string; type: string; values: { value: number; labels: Record<string, never> }[] }>;
}
export interface SystemResourceMetrics {
  memoryHeap: ObservedMetric;
  memoryHeapLimit: ObservedMetric;
  memoryRss: ObservedMetric;
  memoryExternal: ObservedMetric;
  cpuUser: ObservedMetric;
  cpuSystem: ObservedMetric;
  openFds: ObservedMetric;
  maxFds: ObservedMetric;
  /** Mean lag of the samples since the last collection (the histogram itself is an SDK instrument). */
  eventLoopLag: ObservedMetric;
  /** Total GC pause time (seconds) since the system metrics started (the histogram itself is an SDK instrument). */
  gcDuration: ObservedMetric;
  uptime: ObservedMetric;
}

// docs/METRICS.md names for the same interfaces.
export type AgentMetrics = AgentLifecycleMetrics;
export type SessionMetrics = EnhancedSessionMetrics;
export type MemoryMetrics = MemorySystemMetrics;
export type ToolMetrics = EnhancedToolMetrics;
export type SystemMetricsApi = SystemResourceMetrics;

const families = new Map<string, Family>();

function area<T>(a: MetricArea): T {
  const out: Record<string, unknown> = {};
  for (const d of CATALOGUE) {
    if (d.area !== a || d.via !== 'cells') continue;
    const f = createFamily(d);
    families.set(d.name, f);
    out[d.field] = f;
  }
  return Object.freeze(out) as T;
}

export const agentMetrics: AgentLifecycleMetrics = area('agent');
export const sessionMetrics: EnhancedSessionMetrics = area('session');
export const memoryMetrics: MemorySystemMetrics = area('memory');
export const toolMetrics: EnhancedToolMetrics = area('tool');
export const wsMetrics: WebSocketMetrics = area('ws');
export const modelMetrics: ModelRoutingMetrics = area('model');
export const queueMetrics: QueueMetrics = area('queue');
export const channelMetrics: ChannelMetrics = area('channel');
export const pluginMetrics: PluginMetrics = area('plugin');
export const requestSummaryMetrics: RequestSummaryMetrics = area('requestSummary');

function observed(name: string, read: () => number | undefined): ObservedMetric {
  const def = getMetricDef(name)!;
  const noop = (): void => {};
  return Object.freeze({
    def,
    read,
    set: noop,
    inc: noop,
    dec: noop,
    async get() {
      const v = read();
      return { name: def.name, help: def.help, type: def.kind, values: v === undefined ? [] : [{ value: v, labels: {} }] };
    },
  });
}

export const systemMetrics: SystemResourceMetrics = Object.freeze({
  memoryHeap: observed('wundr_process_memory_heap_bytes', () => process.memoryUsage().heapUsed),
  memoryHeapLimit: observed('wundr_process_memory_heap_limit_bytes', () => getHeapStatistics().heap_size_limit),
  memoryRss: observed('wundr_process_memory_rss_bytes', () => process.memoryUsage.rss()),
  memoryExternal: observed('wundr_process_memory_external_bytes', () => process.memoryUsage().external),
  cpuUser: observed('wundr_process_cpu_user_seconds_total', () => process.cpuUsage().user / 1e6),
  cpuSystem: observed('wundr_process_cpu_system_seconds_total', () => process.cpuUsage().system / 1e6),
  openFds: observed('wundr_process_open_fds', readOpenFds),
  maxFds: observed('wundr_process_max_fds', readMaxFds),
  eventLoopLag: observed('wundr_process_event_loop_lag_seconds', () => SystemMetrics.current?.meanLagSeconds()),
  gcDuration: observed('wundr_process_gc_duration_seconds', () => SystemMetrics.current?.gcSecondsTotal()),
  uptime: observed('wundr_process_uptime_seconds', () => process.uptime()),
});

families.set(overflowMetric().def.name, overflowMetric());

/** Every family of the typed API (counters, gauges, histograms), by Prometheus name. */
export function wundrFamilies(): ReadonlyMap<string, Family> {
  return families;
}

/** The family of a catalogue metric recorded through the typed API. */
export function getFamily(name: string): Family | undefined {
  return families.get(name);
}

/**
 * Switches every recorder of the package (typed API, legacy helpers,
 * MetricsCollector) on or off. The metrics feature switches it off when
 * metrics are disabled; a host that never starts the SDK
 * (OTEL_SDK_DISABLED) may call it to make recording free.
 */
export function setMetricsEnabled(enabled: boolean): void {
  runtime.enabled = enabled;
  if (!enabled) resetWundrMetrics();
}

/** Clears every series of every wundr_ family (tests; a restarted daemon). */
export function resetWundrMetrics(): void {
  for (const f of families.values()) f.reset();
}

// --- the old helpers -------------------------------------------------------------

export function recordAgentSpawned(orchestratorId: string, sessionType: string): void {
  const l = { orchestrator_id: orchestratorId, session_type: sessionType };
  agentMetrics.spawned.inc(l);
  agentMetrics.running.inc(l);
}

export function recordAgentCompleted(orchestratorId: string, sessionType: string, exitReason = 'success', durationSeconds?: number): void {
  const l = { orchestrator_id: orchestratorId, session_type: sessionType };
  agentMetrics.completed.inc({ ...l, exit_reason: exitReason });
  agentMetrics.running.dec(l);
  if (durationSeconds !== undefined) agentMetrics.duration.observe(l, durationSeconds);
}

export function recordAgentFailed(orchestratorId: string, sessionType: string, errorType = 'unknown', durationSeconds?: number): void {
  const l = { orchestrator_id: orchestratorId, session_type: sessionType };
  agentMetrics.failed.inc({ ...l, error_type: errorType });
  agentMetrics.running.dec(l);
  if (durationSeconds !== undefined) agentMetrics.duration.observe(l, durationSeconds);
}

export interface ModelRequestParams {
  provider: string;
  model: string;
  durationSeconds: number;
  promptTokens?: number;
  completionTokens?: number;
  costDollars?: number;
  error?: string;
}

/**
 * One LLM request. An `error` of `rate_limited` (or any error type naming a
 * rate limit or HTTP 429) also counts in `wundr_model_rate_limited_total`.
 */
export function recordModelRequest(params: ModelRequestParams): void {
  const { provider, model } = params;
  const l = { provider, model };
  modelMetrics.requests.inc(l);
  modelMetrics.requestDuration.observe(l, params.durationSeconds);
  if (params.promptTokens) modelMetrics.requestTokens.inc({ provider, model, token_type: 'prompt' }, params.promptTokens);
  if (params.completionTokens) modelMetrics.requestTokens.inc({ provider, model, token_type: 'completion' }, params.completionTokens);
  if (params.costDollars) modelMetrics.cost.inc(l, params.costDollars);
  if (params.error) {
    modelMetrics.errors.inc({ provider, model, error_type: params.error });
    if (/rate.?limit|429/i.test(params.error)) modelMetrics.rateLimited.inc(l);
  }
}

export function recordWsConnection(authMethod = 'none'): void {
  wsMetrics.connectionsActive.inc();
  wsMetrics.connectionsTotal.inc({ auth_method: authMethod });
}

export function recordWsDisconnection(): void {
  wsMetrics.connectionsActive.dec();
}

export function recordWsMessageReceived(messageType: string, sizeBytes?: number): void {
  wsMetrics.messagesReceived.inc({ message_type: messageType });
  if (sizeBytes !== undefined) wsMetrics.messageSize.observe({ direction: 'inbound' }, sizeBytes);
}

export function recordWsMessageSent(messageType: string, sizeBytes?: number): void {
  wsMetrics.messagesSent.inc({ message_type: messageType });
  if (sizeBytes !== undefined) wsMetrics.messageSize.observe({ direction: 'outbound' }, sizeBytes);
}

export function recordToolExecution(toolName: string, status: 'success' | 'error' | 'timeout', durationSeconds: number): void {
  const l = { tool_name: toolName, status };
  toolMetrics.executionTotal.inc(l);
  toolMetrics.executionDuration.observe(l, durationSeconds);
}

export interface MemoryOperationParams {
  operation: 'search' | 'store' | 'compact';
  tier: string;
  orchestratorId?: string;
  durationSeconds?: number;
  cacheHit?: boolean;
}

/** `search` counts, times and hits/misses; `compact` counts a compaction; `store` records nothing (as before). */
export function recordMemoryOperation(params: MemoryOperationParams): void {
  const tier = params.tier;
  if (params.operation === 'search') {
    memoryMetrics.searches.inc({ tier, orchestrator_id: params.orchestratorId ?? '' });
    if (params.durationSeconds !== undefined) memoryMetrics.searchLatency.observe({ tier }, params.durationSeconds);
    if (params.cacheHit === true) memoryMetrics.cacheHits.inc({ tier });
    else if (params.cacheHit === false) memoryMetrics.cacheMisses.inc({ tier });
  } else if (params.operation === 'compact') {
    memoryMetrics.compactions.inc({ tier, strategy: 'summarize-and-archive' });
  }
}

export function recordChannelMessageSent(channel: string, messageType = 'default'): void {
  channelMetrics.messagesSent.inc({ channel, message_type: messageType });
}

export function recordChannelMessageReceived(channel: string, messageType = 'default'): void {
  channelMetrics.messagesReceived.inc({ channel, message_type: messageType });
}

export function recordChannelLatency(channel: string, seconds: number): void {
  channelMetrics.messageLatency.observe({ channel }, seconds);
}

export function recordChannelError(channel: string, errorType: string): void {
  channelMetrics.errors.inc({ channel, error_type: errorType });
}

export function recordPluginExecution(pluginName: string, hook: string, status: string, seconds: number): void {
  const l = { plugin_name: pluginName, hook, status };
  pluginMetrics.executionTotal.inc(l);
  pluginMetrics.executionDuration.observe(l, seconds);
}

export function recordPluginError(pluginName: string, hook: string, errorType: string): void {
  pluginMetrics.errors.inc({ plugin_name: pluginName, hook, error_type: errorType });
}

export function recordRequestDuration(method: string, endpoint: string, seconds: number): void {
  requestSummaryMetrics.requestDuration.observe({ method, endpoint }, seconds);
}

export function recordTokenUsageSummary(provider: string, model: string, tokenCount: number): void {
  requestSummaryMetrics.tokenUsageSummary.observe({ provider, model }, tokenCount);
}
