// The embedded view's public API (re-exported by src/index.ts).
export { embeddedFeature, getTraceRing, getRetentionStore, getTraceSpans, clearCompletedTraces, addTracePeer } from './feature.ts';
export type { EmbeddedFeature, EmbeddedFeatureOptions } from './feature.ts';
export { MetricRetentionStore } from './MetricRetentionStore.ts';
export type { DataPoint, RollupPoint, RetentionConfig, MetricTimeSeries, DashboardExport, ExportOptions } from './MetricRetentionStore.ts';
export { TraceRing } from './TraceRing.ts';
export type { TraceRingOptions, RingTrace, RingLog } from './TraceRing.ts';
export type { TraceSummary, TraceView, TraceSpanView, LegacySpan } from './traceViews.ts';
export { loadEmbeddedConfig, EMBEDDED_VARIABLES } from './config.ts';
export type { EmbeddedConfig } from './config.ts';
