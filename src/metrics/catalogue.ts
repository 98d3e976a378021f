/**
 * The metric catalogue: one declarative entry per metric served on /metrics.
 * It is the single source of truth from which the instruments, the typed
 * recording API, the cardinality guard, the docs table (docs/METRICS.md),
 * the dashboard panels and the alert expressions are derived. Adding a
 * metric is one entry here (plus its field in the area object, if any).
 *
 * Names: `name` is the Prometheus family name exactly as served (docs/METRICS.md,
 * §2.1 and the later channel/plugin metrics of the old code). `otelName` is
 * the OTel instrument name; the Prometheus exporter derives `name` from it
 * by appending `_total` to monotonic counters and nothing else (it never
 * appends unit suffixes), so counters drop `_total` and everything else
 * keeps its name. Gauges whose name ends in `_total`
 * (`wundr_memory_entries_total`) stay gauges under that name: the exporter
 * appends or strips nothing for gauges.
 *
 * Help texts are the old code's, verbatim (reference §2).
 */

/** How a metric is recorded and rendered. */
export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** The typed area a metric belongs to (docs/METRICS.md, plus the later areas). */
export type MetricArea =
  | 'agent'
  | 'session'
  | 'memory'
  | 'tool'
  | 'ws'
  | 'model'
  | 'queue'
  | 'system'
  | 'channel'
  | 'plugin'
  | 'requestSummary'
  | 'orchestrator'
  | 'alerting'
  | 'self';

/**
 * Where a metric comes from:
 * - `seed`: docs/METRICS.md (the /metrics contract),
 * - `later`: the channel/plugin/summary metrics the old code added after the seed,
 * - `legacy`: docs/METRICS.md `orchestrator_*`, kept on prom-client and bridged,
 * - `self`: the package's own health metrics,
 * - `semconv`: a metric of the OpenTelemetry semantic conventions, under its
 *   own name and attributes (Prometheus labels are the attribute names with
 *   `.` as `_`; optional attributes appear only on the series that have them).
 */
export type MetricSource = 'seed' | 'later' | 'legacy' | 'self' | 'semconv';

export interface MetricDef {
  /** Prometheus family name as served on /metrics. */
  readonly name: string;
  /** OTel instrument name (what OTLP consumers see). */
  readonly otelName: string;
  readonly kind: MetricKind;
  /** UCUM unit as OTel carries it (`s`, `By`, `{token}`, …). */
  readonly unit: string;
  /** HELP text (the old code's, verbatim). */
  readonly help: string;
  /** Label keys, in the order they are printed. Exactly these, no others. */
  readonly labels: readonly string[];
  /** Histogram bucket upper bounds (without +Inf). */
  readonly buckets?: readonly number[];
  readonly area: MetricArea;
  /** Field of the area object (`agentMetrics.spawned`, `daemonMetrics.tokensUsed`). */
  readonly field: string;
  readonly source: MetricSource;
  /** Allowed values per label key; anything else is folded into {@link OVERFLOW_VALUE}. */
  readonly values?: Readonly<Record<string, readonly string[]>>;
  /** The old code's metric type where it differs from `kind` (Summary, Gauge for a counter). */
  readonly legacyType?: 'summary' | 'gauge';
  /**
   * Produced by: `cells` (typed API), `system` (observable, read at
   * collection), `prom-client` (bridged), `feature` (another part of the
   * package records it with its own instrument, named and described from
   * this entry).
   */
  readonly via: 'cells' | 'system' | 'prom-client' | 'feature';
  /** Only on some platforms (Linux /proc). */
  readonly platform?: 'linux';
  /** Why the entry is the way it is, when not obvious. */
  readonly note?: string;
  /**
   * A `promtool check metrics` lint finding this name triggers and why it is
   * kept (the name is fixed by the seed or the old code). The golden test
   * accepts exactly these findings and no others.
   */
  readonly lint?: string;
}

/** The value a label takes once its key is past its cap or outside its allow-list. */
export const OVERFLOW_VALUE = 'other';

/**
 * Default cap on distinct values per label key, per metric (docs/RELIABILITY.md. The
 * 201st distinct tool name of `wundr_tool_execution_total` is recorded as
 * `tool_name="other"` and counted in `wundr_metrics_label_overflow_total`.
 * Keys with a fixed value set use `MetricDef.values` instead.
 */
export const LABEL_CAPS: Readonly<Record<string, number>> = {
  orchestrator_id: 100,
  session_type: 20,
  exit_reason: 50,
  error_type: 50,
  model: 100,
  provider: 30,
  tier: 20,
  strategy: 20,
  tool_name: 200,
  auth_method: 20,
  message_type: 50,
  queue_name: 50,
  reason: 30,
  channel: 100,
  channel_type: 30,
  plugin_name: 100,
  hook: 50,
  method: 20,
  endpoint: 100,
  node_id: 100,
  from_orchestrator: 100,
  to_orchestrator: 100,
  metric: 200,
  label: 100,
  alertname: 200,
  severity: 3,
};

/** Cap for a label key not in {@link LABEL_CAPS}. */
export const DEFAULT_LABEL_CAP = 100;

/** Cap on the series (label combinations) of one metric; past it, new combinations fold into one all-`other` series. */
export const DEFAULT_MAX_SERIES = 2000;

/** Bucket sets of the old code (reference §2), named as there. */
export const BUCKETS = {
  B1: [0.1, 0.5, 1, 2, 5, 10],
  B2: [1, 5, 10, 30, 60, 120, 300, 600, 1800],
  B3: [0.5, 1, 2, 5, 10, 30, 60, 120, 300],
  B4: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
  /** prom-client's nodejs_gc_duration_seconds buckets. */
  GC: [0.001, 0.01, 0.1, 1, 2, 5],
  B5: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
  B6: [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576],
  B7: [0.5, 1, 2, 5, 10, 20, 30, 60, 120],
  B8: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
  B9: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  B10: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
  B11: [0.01, 0.05, 0.1, 0.5, 1, 5],
  /** GenAI conventions: gen_ai.client.operation.duration and the time to the first chunk (seconds, ×2 steps). */
  GENAI_SECONDS: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
  /** GenAI conventions: gen_ai.client.token.usage (×4 steps). */
  GENAI_TOKENS: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
  /** Token counts per request (replaces the old token Summary): 16 … 262144 tokens, ×4 steps. */
  TOKENS: [16, 64, 256, 1024, 4096, 16384, 65536, 262144],
} as const satisfies Record<string, readonly number[]>;

const O = 'orchestrator_id';
const ST = 'session_type';

type Entry = Omit<MetricDef, 'otelName' | 'via'> & { otelName?: string; via?: MetricDef['via'] };

function def(e: Entry): MetricDef {
  const otelName = e.otelName ?? (e.kind === 'counter' ? e.name.replace(/_total$/, '') : e.name);
  return Object.freeze({ ...e, otelName, via: e.via ?? 'cells' });
}

const TOOL_STATUS = ['success', 'error', 'timeout'];
/** The GenAI conventions' metric attributes, as Prometheus labels. */
const GENAI_LABELS = ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'gen_ai_response_model', 'server_address', 'server_port', 'error_type'];

/** Every metric, in the order of the seed and the reference. */
export const CATALOGUE: readonly MetricDef[] = Object.freeze([
  // --- docs/METRICS.md: orchestrator_* on prom-client, bridged -------------------
  def({ name: 'orchestrator_sessions_active', kind: 'gauge', unit: '{session}', help: 'Number of currently active orchestrator sessions', labels: [O, ST], area: 'orchestrator', field: 'sessionsActive', source: 'legacy', via: 'prom-client' }),
  def({ name: 'orchestrator_tokens_used_total', kind: 'counter', unit: '{token}', help: 'Total number of tokens used by the orchestrator', labels: [O, 'model'], area: 'orchestrator', field: 'tokensUsed', source: 'legacy', via: 'prom-client', otelName: 'orchestrator_tokens_used_total' }),
  def({ name: 'orchestrator_message_latency_seconds', kind: 'histogram', unit: 's', help: 'Message processing latency in seconds', labels: [O], buckets: BUCKETS.B1, area: 'orchestrator', field: 'messageLatency', source: 'legacy', via: 'prom-client' }),
  def({ name: 'orchestrator_tool_invocations_total', kind: 'counter', unit: '{invocation}', help: 'Total number of tool invocations', labels: [O, 'tool_name', 'status'], values: { status: TOOL_STATUS }, area: 'orchestrator', field: 'toolInvocations', source: 'legacy', via: 'prom-client', otelName: 'orchestrator_tool_invocations_total' }),
  def({ name: 'orchestrator_federation_delegations_total', kind: 'counter', unit: '{delegation}', help: 'Total number of federation delegation requests', labels: ['from_orchestrator', 'to_orchestrator', 'status'], values: { status: ['success', 'error', 'rejected'] }, area: 'orchestrator', field: 'federationDelegations', source: 'legacy', via: 'prom-client', otelName: 'orchestrator_federation_delegations_total' }),
  def({ name: 'orchestrator_node_load', kind: 'gauge', unit: '1', help: 'Current load on orchestrator nodes', labels: ['node_id'], area: 'orchestrator', field: 'nodeLoad', source: 'legacy', via: 'prom-client' }),
  def({ name: 'orchestrator_errors_total', kind: 'counter', unit: '{error}', help: 'Total number of errors by type', labels: [O, 'error_type'], area: 'orchestrator', field: 'errorCount', source: 'legacy', via: 'prom-client', otelName: 'orchestrator_errors_total' }),
  def({ name: 'orchestrator_budget_utilization_percent', kind: 'gauge', unit: '%', help: 'Budget utilization percentage by period', labels: [O, 'period'], values: { period: ['daily', 'weekly', 'monthly'] }, area: 'orchestrator', field: 'budgetUtilization', source: 'legacy', via: 'prom-client' }),

  // --- docs/METRICS.md: agent lifecycle --------------------------------------------
  def({ name: 'wundr_agent_spawned_total', kind: 'counter', unit: '{agent}', help: 'Total number of agents spawned', labels: [O, ST], area: 'agent', field: 'spawned', source: 'seed' }),
  def({ name: 'wundr_agent_running', kind: 'gauge', unit: '{agent}', help: 'Number of currently running agents', labels: [O, ST], area: 'agent', field: 'running', source: 'seed' }),
  def({ name: 'wundr_agent_completed_total', kind: 'counter', unit: '{agent}', help: 'Total number of agents that completed successfully', labels: [O, ST, 'exit_reason'], area: 'agent', field: 'completed', source: 'seed' }),
  def({ name: 'wundr_agent_failed_total', kind: 'counter', unit: '{agent}', help: 'Total number of agents that failed', labels: [O, ST, 'error_type'], area: 'agent', field: 'failed', source: 'seed' }),
  def({ name: 'wundr_agent_duration_seconds', kind: 'histogram', unit: 's', help: 'Agent session duration in seconds', labels: [O, ST], buckets: BUCKETS.B2, area: 'agent', field: 'duration', source: 'seed' }),

  // --- session ---------------------------------------------------------------
  def({ name: 'wundr_session_duration_seconds', kind: 'histogram', unit: 's', help: 'Session execution duration in seconds', labels: [O, ST], buckets: BUCKETS.B3, area: 'session', field: 'duration', source: 'seed' }),
  def({ name: 'wundr_session_tokens_prompt_total', kind: 'counter', unit: '{token}', help: 'Total prompt tokens consumed', labels: [O, 'model'], area: 'session', field: 'tokensPrompt', source: 'seed' }),
  def({ name: 'wundr_session_tokens_completion_total', kind: 'counter', unit: '{token}', help: 'Total completion tokens consumed', labels: [O, 'model'], area: 'session', field: 'tokensCompletion', source: 'seed' }),
  def({ name: 'wundr_session_cost_dollars_total', kind: 'counter', unit: '{USD}', help: 'Total cost in USD', labels: [O, 'model', 'provider'], area: 'session', field: 'cost', source: 'seed' }),
  def({ name: 'wundr_session_iterations_total', kind: 'counter', unit: '{iteration}', help: 'Total conversation loop iterations', labels: [O], area: 'session', field: 'iterations', source: 'seed' }),

  // --- memory ----------------------------------------------------------------
  def({ name: 'wundr_memory_entries_total', kind: 'gauge', unit: '{entry}', help: 'Number of entries in each memory tier', labels: ['tier', O], area: 'memory', field: 'entries', source: 'seed', note: 'A gauge despite the _total suffix (seed and old code agree); the OTel instrument is named with the suffix, and the exporter leaves gauge names as they are.', lint: 'non-counter metrics should not have "_total" suffix' }),
  def({ name: 'wundr_memory_searches_total', kind: 'counter', unit: '{search}', help: 'Total memory search operations', labels: ['tier', O], area: 'memory', field: 'searches', source: 'seed' }),
  def({ name: 'wundr_memory_search_latency_seconds', kind: 'histogram', unit: 's', help: 'Memory search latency in seconds', labels: ['tier'], buckets: BUCKETS.B4, area: 'memory', field: 'searchLatency', source: 'seed' }),
  def({ name: 'wundr_memory_cache_hits_total', kind: 'counter', unit: '{hit}', help: 'Total memory cache hits', labels: ['tier'], area: 'memory', field: 'cacheHits', source: 'seed' }),
  def({ name: 'wundr_memory_cache_misses_total', kind: 'counter', unit: '{miss}', help: 'Total memory cache misses', labels: ['tier'], area: 'memory', field: 'cacheMisses', source: 'seed' }),
  def({ name: 'wundr_memory_compaction_total', kind: 'counter', unit: '{compaction}', help: 'Total memory compaction operations', labels: ['tier', 'strategy'], area: 'memory', field: 'compactions', source: 'seed' }),
  def({ name: 'wundr_memory_bytes', kind: 'gauge', unit: 'By', help: 'Memory usage in bytes per tier', labels: ['tier'], area: 'memory', field: 'bytes', source: 'seed' }),

  // --- tool ------------------------------------------------------------------
  def({ name: 'wundr_tool_execution_duration_seconds', kind: 'histogram', unit: 's', help: 'Tool execution duration in seconds', labels: ['tool_name', 'status'], values: { status: TOOL_STATUS }, buckets: BUCKETS.B5, area: 'tool', field: 'executionDuration', source: 'seed' }),
  def({ name: 'wundr_tool_execution_total', kind: 'counter', unit: '{execution}', help: 'Total tool executions', labels: ['tool_name', 'status'], values: { status: TOOL_STATUS }, area: 'tool', field: 'executionTotal', source: 'seed' }),
  def({ name: 'wundr_tool_errors_total', kind: 'counter', unit: '{error}', help: 'Total tool execution errors', labels: ['tool_name', 'error_type'], area: 'tool', field: 'errors', source: 'seed' }),
  def({ name: 'wundr_tool_queue_depth', kind: 'gauge', unit: '{execution}', help: 'Number of tool executions waiting in queue', labels: [], area: 'tool', field: 'queueDepth', source: 'seed' }),

  // --- WebSocket ---------------------------------------------------------------
  def({ name: 'wundr_ws_connections_active', kind: 'gauge', unit: '{connection}', help: 'Number of active WebSocket connections', labels: [], area: 'ws', field: 'connectionsActive', source: 'seed' }),
  def({ name: 'wundr_ws_connections_total', kind: 'counter', unit: '{connection}', help: 'Total WebSocket connections established', labels: ['auth_method'], area: 'ws', field: 'connectionsTotal', source: 'seed' }),
  def({ name: 'wundr_ws_messages_received_total', kind: 'counter', unit: '{message}', help: 'Total WebSocket messages received', labels: ['message_type'], area: 'ws', field: 'messagesReceived', source: 'seed' }),
  def({ name: 'wundr_ws_messages_sent_total', kind: 'counter', unit: '{message}', help: 'Total WebSocket messages sent', labels: ['message_type'], area: 'ws', field: 'messagesSent', source: 'seed' }),
  def({ name: 'wundr_ws_message_size_bytes', kind: 'histogram', unit: 'By', help: 'WebSocket message size in bytes', labels: ['direction'], values: { direction: ['inbound', 'outbound'] }, buckets: BUCKETS.B6, area: 'ws', field: 'messageSize', source: 'seed' }),
  def({ name: 'wundr_ws_errors_total', kind: 'counter', unit: '{error}', help: 'Total WebSocket errors', labels: ['error_type'], area: 'ws', field: 'errors', source: 'seed' }),
  def({ name: 'wundr_ws_session_subscriptions', kind: 'gauge', unit: '{subscription}', help: 'Number of active session subscriptions across WebSocket clients', labels: [], area: 'ws', field: 'sessionSubscriptions', source: 'seed' }),

  // --- model routing -------------------------------------------------------------
  def({ name: 'wundr_model_requests_total', kind: 'counter', unit: '{request}', help: 'Total LLM requests by provider and model', labels: ['provider', 'model'], area: 'model', field: 'requests', source: 'seed' }),
  def({ name: 'wundr_model_request_duration_seconds', kind: 'histogram', unit: 's', help: 'LLM request duration in seconds', labels: ['provider', 'model'], buckets: BUCKETS.B7, area: 'model', field: 'requestDuration', source: 'seed' }),
  def({ name: 'wundr_model_request_tokens_total', kind: 'counter', unit: '{token}', help: 'Total tokens in LLM requests', labels: ['provider', 'model', 'token_type'], values: { token_type: ['prompt', 'completion'] }, area: 'model', field: 'requestTokens', source: 'seed' }),
  def({ name: 'wundr_model_cost_dollars_total', kind: 'counter', unit: '{USD}', help: 'Total LLM cost in USD', labels: ['provider', 'model'], area: 'model', field: 'cost', source: 'seed' }),
  def({ name: 'wundr_model_errors_total', kind: 'counter', unit: '{error}', help: 'Total LLM request errors', labels: ['provider', 'model', 'error_type'], area: 'model', field: 'errors', source: 'seed' }),
  def({ name: 'wundr_model_rate_limited_total', kind: 'counter', unit: '{request}', help: 'Total rate-limited LLM requests', labels: ['provider', 'model'], area: 'model', field: 'rateLimited', source: 'seed' }),

  // --- queue -----------------------------------------------------------------------
  def({ name: 'wundr_queue_depth', kind: 'gauge', unit: '{item}', help: 'Current queue depth', labels: ['queue_name'], area: 'queue', field: 'depth', source: 'seed' }),
  def({ name: 'wundr_queue_processing_duration_seconds', kind: 'histogram', unit: 's', help: 'Queue item processing duration in seconds', labels: ['queue_name'], buckets: BUCKETS.B8, area: 'queue', field: 'processingDuration', source: 'seed' }),
  def({ name: 'wundr_queue_enqueued_total', kind: 'counter', unit: '{item}', help: 'Total items enqueued', labels: ['queue_name'], area: 'queue', field: 'enqueued', source: 'seed' }),
  def({ name: 'wundr_queue_dequeued_total', kind: 'counter', unit: '{item}', help: 'Total items dequeued', labels: ['queue_name'], area: 'queue', field: 'dequeued', source: 'seed' }),
  def({ name: 'wundr_queue_dropped_total', kind: 'counter', unit: '{item}', help: 'Total items dropped from queue', labels: ['queue_name', 'reason'], area: 'queue', field: 'dropped', source: 'seed' }),

  // --- system (observable, read at collection; METRICS_COLLECT_DEFAULT) ---------------
  def({ name: 'wundr_process_memory_heap_bytes', kind: 'gauge', unit: 'By', help: 'Process heap memory usage in bytes', labels: [], area: 'system', field: 'memoryHeap', source: 'seed', via: 'system' }),
  def({ name: 'wundr_process_memory_heap_limit_bytes', kind: 'gauge', unit: 'By', help: 'V8 heap size limit in bytes (follows --max-old-space-size)', labels: [], area: 'system', field: 'memoryHeapLimit', source: 'self', via: 'system', note: 'What the MemoryPressure rule divides the heap by, so the rule holds for every daemon whatever its heap size.' }),
  def({ name: 'wundr_process_memory_rss_bytes', kind: 'gauge', unit: 'By', help: 'Process RSS memory in bytes', labels: [], area: 'system', field: 'memoryRss', source: 'seed', via: 'system' }),
  def({ name: 'wundr_process_memory_external_bytes', kind: 'gauge', unit: 'By', help: 'Process external memory in bytes (C++ objects bound to JS)', labels: [], area: 'system', field: 'memoryExternal', source: 'seed', via: 'system' }),
  def({ name: 'wundr_process_cpu_user_seconds_total', kind: 'counter', unit: 's', help: 'Process user CPU time in seconds', labels: [], area: 'system', field: 'cpuUser', source: 'seed', via: 'system', legacyType: 'gauge', note: 'The seed says Counter; the old code used a Gauge. CPU time only grows, so it is an observable counter (TYPE counter).' }),
  def({ name: 'wundr_process_cpu_system_seconds_total', kind: 'counter', unit: 's', help: 'Process system CPU time in seconds', labels: [], area: 'system', field: 'cpuSystem', source: 'seed', via: 'system', legacyType: 'gauge', note: 'As wundr_process_cpu_user_seconds_total.' }),
  def({ name: 'wundr_process_open_fds', kind: 'gauge', unit: '{file_descriptor}', help: 'Number of open file descriptors', labels: [], area: 'system', field: 'openFds', source: 'seed', via: 'system', platform: 'linux', note: 'Read from /proc/self/fd; absent on other platforms. Not in the old code: help text as prom-client\'s process_open_fds.' }),
  def({ name: 'wundr_process_max_fds', kind: 'gauge', unit: '{file_descriptor}', help: 'Maximum number of open file descriptors', labels: [], area: 'system', field: 'maxFds', source: 'seed', via: 'system', platform: 'linux', note: 'Soft limit from /proc/self/limits; absent on other platforms.' }),
  def({ name: 'wundr_process_event_loop_lag_seconds', kind: 'histogram', unit: 's', help: 'Node.js event loop lag in seconds', labels: [], buckets: BUCKETS.B4, area: 'system', field: 'eventLoopLag', source: 'seed', via: 'system', note: 'perf_hooks.monitorEventLoopDelay (100 ms resolution), drained into the histogram at each collection.' }),
  def({ name: 'wundr_process_gc_duration_seconds', kind: 'histogram', unit: 's', help: 'Garbage collection pause duration in seconds, by GC kind', labels: ['kind'], values: { kind: ['major', 'minor', 'incremental', 'weakcb'] }, buckets: BUCKETS.GC, area: 'system', field: 'gcDuration', source: 'self', via: 'system', note: "Only with WUNDR_OTEL_GC_PAUSES=true (off by default: Node's 'gc' observer leaves 4–8 KiB of old-generation garbage per collection). Node's perf_hooks 'gc' entries, recorded as they arrive; kinds and buckets as prom-client's nodejs_gc_duration_seconds (instrumentation-runtime-node's v8js.gc.duration)." }),
  def({ name: 'wundr_process_uptime_seconds', kind: 'gauge', unit: 's', help: 'Process uptime in seconds', labels: [], area: 'system', field: 'uptime', source: 'seed', via: 'system' }),

  // --- later (reference §2): channels ------------------------------------------------
  def({ name: 'wundr_channel_messages_sent_total', kind: 'counter', unit: '{message}', help: 'Total messages sent per channel', labels: ['channel', 'message_type'], area: 'channel', field: 'messagesSent', source: 'later' }),
  def({ name: 'wundr_channel_messages_received_total', kind: 'counter', unit: '{message}', help: 'Total messages received per channel', labels: ['channel', 'message_type'], area: 'channel', field: 'messagesReceived', source: 'later' }),
  def({ name: 'wundr_channel_message_latency_seconds', kind: 'histogram', unit: 's', help: 'Channel message delivery latency in seconds', labels: ['channel'], buckets: BUCKETS.B9, area: 'channel', field: 'messageLatency', source: 'later' }),
  def({ name: 'wundr_channel_errors_total', kind: 'counter', unit: '{error}', help: 'Total channel errors by type', labels: ['channel', 'error_type'], area: 'channel', field: 'errors', source: 'later' }),
  def({ name: 'wundr_channel_active', kind: 'gauge', unit: '{channel}', help: 'Number of currently active channels', labels: ['channel_type'], area: 'channel', field: 'activeChannels', source: 'later' }),

  // --- later: plugins ------------------------------------------------------------------
  def({ name: 'wundr_plugin_execution_duration_seconds', kind: 'histogram', unit: 's', help: 'Plugin execution duration in seconds', labels: ['plugin_name', 'hook', 'status'], buckets: BUCKETS.B10, area: 'plugin', field: 'executionDuration', source: 'later' }),
  def({ name: 'wundr_plugin_execution_total', kind: 'counter', unit: '{execution}', help: 'Total plugin executions', labels: ['plugin_name', 'hook', 'status'], area: 'plugin', field: 'executionTotal', source: 'later' }),
  def({ name: 'wundr_plugin_errors_total', kind: 'counter', unit: '{error}', help: 'Total plugin execution errors', labels: ['plugin_name', 'hook', 'error_type'], area: 'plugin', field: 'errors', source: 'later' }),
  def({ name: 'wundr_plugin_active', kind: 'gauge', unit: '{plugin}', help: 'Number of currently loaded plugins', labels: [], area: 'plugin', field: 'activePlugins', source: 'later' }),
  def({ name: 'wundr_plugin_load_duration_seconds', kind: 'histogram', unit: 's', help: 'Plugin load/initialization duration in seconds', labels: ['plugin_name'], buckets: BUCKETS.B11, area: 'plugin', field: 'loadDuration', source: 'later' }),

  // --- later: the old Summaries, as histograms -------------------------------------------
  def({ name: 'wundr_request_duration_summary_seconds', kind: 'histogram', unit: 's', help: 'Request duration summary with quantiles', labels: ['method', 'endpoint'], buckets: BUCKETS.B10, area: 'requestSummary', field: 'requestDuration', source: 'later', legacyType: 'summary', note: 'Old: Summary (quantiles .5/.9/.95/.99 over 10 min). OTel has no Summary: served as a histogram (B10 buckets); quantiles come from histogram_quantile() over rate(_bucket), aggregatable across instances.', lint: "metric name should not include type 'summary'" }),
  def({ name: 'wundr_token_usage_summary', kind: 'histogram', unit: '{token}', help: 'Token usage summary with quantiles', labels: ['provider', 'model'], buckets: BUCKETS.TOKENS, area: 'requestSummary', field: 'tokenUsageSummary', source: 'later', legacyType: 'summary', note: 'Old: Summary. Served as a histogram with ×4 token buckets; quantiles via histogram_quantile().', lint: "metric name should not include type 'summary'" }),

  // --- GenAI semantic conventions (recorded with the wundr_model_* metrics by the LLM instrumentation) ---
  def({ name: 'gen_ai_client_operation_duration', otelName: 'gen_ai.client.operation.duration', kind: 'histogram', unit: 's', help: 'GenAI operation duration.', labels: GENAI_LABELS, buckets: BUCKETS.GENAI_SECONDS, area: 'model', field: 'genAiOperationDuration', source: 'semconv', via: 'feature', note: 'GenAI semantic conventions; error.type only on failed calls, gen_ai.response.model and server.* when known.' }),
  def({ name: 'gen_ai_client_token_usage', otelName: 'gen_ai.client.token.usage', kind: 'histogram', unit: '{token}', help: 'Number of input and output tokens used.', labels: [...GENAI_LABELS.filter((l) => l !== 'error_type'), 'gen_ai_token_type'], buckets: BUCKETS.GENAI_TOKENS, values: { gen_ai_token_type: ['input', 'output'] }, area: 'model', field: 'genAiTokenUsage', source: 'semconv', via: 'feature', note: 'GenAI semantic conventions; one observation per call and token type, when the provider reported the count (a stream only with its usage chunk).' }),
  def({ name: 'gen_ai_client_operation_time_to_first_chunk', otelName: 'gen_ai.client.operation.time_to_first_chunk', kind: 'histogram', unit: 's', help: 'Time to receive the first chunk in a streaming operation.', labels: GENAI_LABELS, buckets: BUCKETS.GENAI_SECONDS, area: 'model', field: 'genAiTimeToFirstChunk', source: 'semconv', via: 'feature', note: 'GenAI semantic conventions; streamed calls only.' }),

  // --- other parts of the package ---------------------------------------------------------
  def({ name: 'wundr_alerts_firing', kind: 'gauge', unit: '{alert}', help: 'Alerts currently firing in the in-process evaluator, by rule and severity', labels: ['alertname', 'severity'], values: { severity: ['info', 'warning', 'critical'] }, area: 'alerting', field: 'firing', source: 'self', via: 'feature', note: 'Observable gauge of the alerting part (src/alerting); reported only while alert rules are loaded.' }),

  // --- the package's own ----------------------------------------------------------------
  def({ name: 'wundr_metrics_label_overflow_total', kind: 'counter', unit: '{recording}', help: 'Recordings whose label value was folded into "other" because the label reached its cap of distinct values', labels: ['metric', 'label'], area: 'self', field: 'labelOverflow', source: 'self' }),
  def({ name: 'wundr_otel_metric_collection_errors_total', kind: 'counter', unit: '{error}', help: 'Errors of metric producers (e.g. a prom-client collect() that throws) during a /metrics collection; their families are missing from that scrape', labels: [], area: 'self', field: 'metricCollectionErrors', source: 'self', via: 'feature', note: 'Observable counter of the /metrics route (src/endpoint/PrometheusScrape.ts); warned about at most once a minute. Reported once an error happened.' }),
  def({ name: 'wundr_otel_telemetry_dropped_total', kind: 'counter', unit: '{item}', help: 'Telemetry items (spans, log records, metric points) not delivered to the collector, by signal and reason', labels: ['signal', 'reason'], values: { signal: ['traces', 'logs', 'metrics'], reason: ['queue_full', 'export_failed'] }, area: 'self', field: 'telemetryDropped', source: 'self', via: 'feature', note: 'Observable counter of the SDK assembly (src/sdk/TelemetryDrops.ts): batch queue full, or the export given up (collector down, hanging, refusing). Reported once something was dropped.' }),
]);

const BY_NAME: ReadonlyMap<string, MetricDef> = new Map(CATALOGUE.flatMap((d) => [[d.name, d] as const, [d.otelName, d] as const]));

/**
 * The entry for a Prometheus family name (or an OTel instrument name), or
 * undefined. Series names resolve too: `wundr_agent_duration_seconds_bucket`
 * gives the histogram's entry.
 *
 * @example
 * getMetricDef('wundr_tool_errors_total')?.labels // ['tool_name', 'error_type']
 */
export function getMetricDef(name: string): MetricDef | undefined {
  const d = BY_NAME.get(name);
  if (d) return d;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (m) {
    const h = BY_NAME.get(m[1]);
    if (h?.kind === 'histogram') return h;
  }
  return undefined;
}

/** Prometheus family names, optionally filtered (by source, area or a predicate). */
export function metricNames(filter?: { source?: MetricSource; area?: MetricArea } | ((d: MetricDef) => boolean)): string[] {
  const pred =
    typeof filter === 'function'
      ? filter
      : (d: MetricDef) => (filter?.source === undefined || d.source === filter.source) && (filter?.area === undefined || d.area === filter.area);
  return CATALOGUE.filter(pred).map((d) => d.name);
}

/**
 * The sample names a family shows on /metrics: a histogram as
 * `_bucket`/`_sum`/`_count`, everything else under its own name.
 */
export function seriesNames(d: MetricDef): string[] {
  return d.kind === 'histogram' ? [`${d.name}_bucket`, `${d.name}_sum`, `${d.name}_count`] : [d.name];
}

/** The cap on distinct values of one label key of one metric. */
export function labelCap(d: MetricDef, key: string): number {
  const allowed = d.values?.[key];
  if (allowed) return allowed.length;
  return LABEL_CAPS[key] ?? DEFAULT_LABEL_CAP;
}
