// The tracing area's public API (re-exported by src/index.ts).
export {
  startSpan,
  withSpan,
  runInSpan,
  failSpan,
  errorTypeOf,
  configureSpanHelpers,
  resetSpanHelpers,
  spanTtlTracker,
} from './spans.ts';
export {
  startWsMessageSpan,
  startAgentSpan,
  recordSessionComplete,
  startChatSpan,
  setChatUsage,
  llmTraceMetadata,
  startToolSpan,
  startMcpSpan,
  startMemorySpan,
  startFederationSpan,
  federationHeaders,
} from './agentSpans.ts';
export type {
  SpanHelperSettings,
} from './spans.ts';
export type {
  WsMessageSpanInfo,
  AgentSpanInfo,
  SessionCompleteInfo,
  ChatSpanInfo,
  ChatUsage,
  ToolSpanInfo,
  McpSpanInfo,
  MemorySpanInfo,
  FederationSpanInfo,
} from './agentSpans.ts';
export { ATTR as TRACE_ATTRIBUTES, GEN_AI_OPERATION } from './genai.ts';
export { extractPayloadContext, injectPayloadContext, payloadGetter, payloadSetter, headerGetter } from './payloadCarrier.ts';
export type { PayloadCarrier } from './payloadCarrier.ts';
export { LegacyTracing } from './LegacyTracing.ts';
export type { TraceContext } from './LegacyTracing.ts';
export { LegacyTraceIdPropagator } from './LegacyTraceIdPropagator.ts';
export { StrictTraceContextPropagator } from './StrictTraceContextPropagator.ts';
export { parseTraceState, parseTraceStateMembers, isValidTraceStateKey, isValidTraceStateValue } from './parseTraceState.ts';
export { SpanTtlTracker } from './SpanTtlTracker.ts';
export type { SpanTtlOptions, SpanTtlStats } from './SpanTtlTracker.ts';
export { CHANNELS as DIAGNOSTICS_CHANNELS } from './channels.ts';
export { tracingFeature, buildPropagators } from './feature.ts';
