// The metrics area's public API (re-exported by src/index.ts).
export {
  CATALOGUE,
  BUCKETS,
  LABEL_CAPS,
  OVERFLOW_VALUE,
  DEFAULT_MAX_SERIES,
  getMetricDef,
  metricNames,
  seriesNames,
  labelCap,
} from './catalogue.ts';
export type { MetricDef, MetricKind, MetricArea, MetricSource } from './catalogue.ts';
export { catalogueMarkdown } from './catalogueMarkdown.ts';
export { CounterFamily, GaugeFamily, HistogramFamily, setLabelCaps } from './families/index.ts';
export type { Labels, LabelValue, BoundCounter, BoundGauge, BoundHistogram } from './families/index.ts';
export {
  agentMetrics,
  sessionMetrics,
  memoryMetrics,
  toolMetrics,
  wsMetrics,
  modelMetrics,
  queueMetrics,
  systemMetrics,
  channelMetrics,
  pluginMetrics,
  requestSummaryMetrics,
  getFamily,
  resetWundrMetrics,
  setMetricsEnabled,
  recordAgentSpawned,
  recordAgentCompleted,
  recordAgentFailed,
  recordModelRequest,
  recordWsConnection,
  recordWsDisconnection,
  recordWsMessageReceived,
  recordWsMessageSent,
  recordToolExecution,
  recordMemoryOperation,
  recordChannelMessageSent,
  recordChannelMessageReceived,
  recordChannelLatency,
  recordChannelError,
  recordPluginExecution,
  recordPluginError,
  recordRequestDuration,
  recordTokenUsageSummary,
} from './wundrMetrics.ts';
export type {
  AgentLifecycleMetrics,
  EnhancedSessionMetrics,
  MemorySystemMetrics,
  EnhancedToolMetrics,
  WebSocketMetrics,
  ModelRoutingMetrics,
  QueueMetrics,
  SystemResourceMetrics,
  ChannelMetrics,
  ChannelMetrics as MonitoringChannelMetrics,
  PluginMetrics,
  PluginMetrics as MonitoringPluginMetrics,
  RequestSummaryMetrics,
  AgentMetrics,
  SessionMetrics,
  MemoryMetrics,
  ToolMetrics,
  SystemMetricsApi,
  ObservedMetric,
  ModelRequestParams,
  MemoryOperationParams,
} from './wundrMetrics.ts';
export {
  daemonMetrics,
  metricsRegistry,
  MetricsRegistry,
  recordSessionActive,
  recordTokensUsed,
  recordMessageLatency,
  recordToolInvocation,
  recordFederationDelegation,
  recordNodeLoad,
  recordError,
  recordBudgetUtilization,
} from './daemonMetrics.ts';
export type {
  DaemonMetrics,
  IMetricsRegistry,
  MetricConfig,
  CollectedMetrics,
  SessionLabels,
  TokenLabels,
  LatencyLabels,
  ToolLabels,
  FederationLabels,
  NodeLabels,
  ErrorLabels,
  BudgetLabels,
} from './daemonMetrics.ts';
export { MetricsCollector, createMetricsCollector } from './MetricsCollector.ts';
export type { CollectorConfig, AggregatedStats, TimerFunction } from './MetricsCollector.ts';
export { MeterBinding } from './families/index.ts';
export { PromClientBridge, BRIDGE_SCOPE } from './PromClientBridge.ts';
export type { PromClientBridgeOptions } from './PromClientBridge.ts';
export { metricsFeature, catalogueViews, METER_NAME, startSystemMetricsCollection, stopSystemMetricsCollection } from './feature.ts';
