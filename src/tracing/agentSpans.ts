/**
 * The orchestrator's span tree (docs/TRACING.md), on the generic helpers of
 * spans.ts:
 *
 *   ws.message {type}                      SERVER  (parent: the message's traceparent)
 *   └─ invoke_agent {agent}                INTERNAL  session spawn
 *      ├─ chat {model}                     CLIENT    LLM call
 *      ├─ execute_tool {tool}              INTERNAL
 *      │  └─ tools/call {tool}             CLIENT    MCP call
 *      ├─ federation.delegate {peer}       CLIENT    (+ the HTTP client span, traceparent to the peer)
 *      └─ session.complete                 INTERNAL
 *
 * Each helper asks `skip` first, so that an unsampled parent costs no attribute object.
 */
import { context, isSpanContextValid, propagation, SpanKind, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { ATTR, GEN_AI_OPERATION } from './genai.ts';
import { LegacyTraceIdPropagator } from './LegacyTraceIdPropagator.ts';
import { extractPayloadContext } from './payloadCarrier.ts';
import { begin, skip } from './spans.ts';

function put(attrs: Attributes, key: string, v: string | number | boolean | string[] | undefined): void {
  if (v !== undefined && v !== '') attrs[key] = v;
}

// ---------------------------------------------------------------- WebSocket

export interface WsMessageSpanInfo {
  messageType: string;
  connectionId?: string;
  sizeBytes?: number;
  sessionId?: string;
  /** The message payload: its traceparent/tracestate/baggage (or legacy x-trace-id) is the parent. */
  payload?: unknown;
}

/**
 * `ws.message {type}` (SERVER): a WebSocket message received. The parent is
 * the context carried by the payload; without one (or with a malformed one)
 * the span starts a fresh trace, never a child of whatever happened to be
 * active on the socket.
 */
export function startWsMessageSpan(info: WsMessageSpanInfo, base: Context = context.active()): { span: Span; context: Context } {
  const root = trace.deleteSpan(base);
  const parent = info.payload !== undefined ? extractPayloadContext(info.payload, root) : root;
  const s = skip(parent, false);
  const span =
    s ??
    (() => {
      const attributes: Attributes = { [ATTR.WUNDR_WS_MESSAGE_TYPE]: info.messageType };
      put(attributes, ATTR.WUNDR_WS_CONNECTION_ID, info.connectionId);
      put(attributes, ATTR.WUNDR_WS_MESSAGE_SIZE, info.sizeBytes);
      put(attributes, ATTR.WUNDR_SESSION_ID, info.sessionId);
      return begin(`ws.message ${info.messageType}`, { kind: SpanKind.SERVER, attributes }, parent);
    })();
  return { span, context: trace.setSpan(parent, span) };
}

// ---------------------------------------------------------------- sessions (agents)

export interface AgentSpanInfo {
  /** Agent (session) name, e.g. the session type or agent role. */
  agentName: string;
  sessionId?: string;
  sessionType?: string;
  orchestratorId?: string;
  agentId?: string;
}

/** `invoke_agent {name}` (INTERNAL): a session spawned for an agent (docs/TRACING.md "Session Spawn"). */
export function startAgentSpan(info: AgentSpanInfo, ctx: Context = context.active()): Span {
  const s = skip(ctx, false);
  if (s) return s;
  const attributes: Attributes = {
    [ATTR.GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION.INVOKE_AGENT,
    [ATTR.GEN_AI_AGENT_NAME]: info.agentName,
  };
  put(attributes, ATTR.GEN_AI_AGENT_ID, info.agentId);
  put(attributes, ATTR.GEN_AI_CONVERSATION_ID, info.sessionId);
  put(attributes, ATTR.WUNDR_SESSION_ID, info.sessionId);
  put(attributes, ATTR.WUNDR_SESSION_TYPE, info.sessionType);
  put(attributes, ATTR.WUNDR_ORCHESTRATOR_ID, info.orchestratorId);
  return begin(`invoke_agent ${info.agentName}`, { kind: SpanKind.INTERNAL, attributes }, ctx);
}

export interface SessionCompleteInfo {
  sessionId?: string;
  exitReason?: string;
  iterations?: number;
}

/** `session.complete` (INTERNAL, ended at once): the last child of the session span (docs/TRACING.md "Session Complete"). */
export function recordSessionComplete(info: SessionCompleteInfo, ctx: Context = context.active()): void {
  const s = skip(ctx, false);
  if (s) return;
  const attributes: Attributes = {};
  put(attributes, ATTR.WUNDR_SESSION_ID, info.sessionId);
  put(attributes, ATTR.WUNDR_EXIT_REASON, info.exitReason);
  put(attributes, 'wundr.session.iterations', info.iterations);
  begin('session.complete', { kind: SpanKind.INTERNAL, attributes }, ctx).end();
}

// ---------------------------------------------------------------- LLM

export interface ChatSpanInfo {
  provider: string;
  model: string;
  maxTokens?: number;
  serverAddress?: string;
}

/** `chat {model}` (CLIENT): one LLM call, GenAI semconv attributes. */
export function startChatSpan(info: ChatSpanInfo, ctx: Context = context.active()): Span {
  const s = skip(ctx, false);
  if (s) return s;
  const attributes: Attributes = {
    [ATTR.GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION.CHAT,
    [ATTR.GEN_AI_PROVIDER_NAME]: info.provider,
    [ATTR.GEN_AI_REQUEST_MODEL]: info.model,
  };
  put(attributes, ATTR.GEN_AI_REQUEST_MAX_TOKENS, info.maxTokens);
  put(attributes, ATTR.SERVER_ADDRESS, info.serverAddress);
  return begin(`chat ${info.model}`, { kind: SpanKind.CLIENT, attributes }, ctx);
}

export interface ChatUsage {
  inputTokens?: number;
  outputTokens?: number;
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  costUsd?: number;
}

/** Adds the response side of a chat call (tokens, finish reasons, cost) to its span. */
export function setChatUsage(span: Span, usage: ChatUsage): void {
  if (!span.isRecording()) return;
  const a: Attributes = {};
  put(a, ATTR.GEN_AI_USAGE_INPUT_TOKENS, usage.inputTokens);
  put(a, ATTR.GEN_AI_USAGE_OUTPUT_TOKENS, usage.outputTokens);
  put(a, ATTR.GEN_AI_RESPONSE_MODEL, usage.responseModel);
  put(a, ATTR.GEN_AI_RESPONSE_ID, usage.responseId);
  put(a, ATTR.GEN_AI_RESPONSE_FINISH_REASONS, usage.finishReasons);
  put(a, ATTR.WUNDR_COST_USD, usage.costUsd);
  span.setAttributes(a);
}

/**
 * Trace context for LLM request metadata (docs/TRACING.md "Session -> LLM call"):
 * `{ trace_id, traceparent[, tracestate] }` of `ctx` (default: active), or
 * `{}` without a valid span.
 */
export function llmTraceMetadata(ctx: Context = context.active()): Record<string, string> {
  const sc = trace.getSpanContext(ctx);
  if (!sc || !isSpanContextValid(sc)) return {};
  const out: Record<string, string> = {
    trace_id: sc.traceId,
    traceparent: `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`,
  };
  if (sc.traceState) {
    const ts = sc.traceState.serialize();
    if (ts) out.tracestate = ts;
  }
  return out;
}

// ---------------------------------------------------------------- tools and MCP

export interface ToolSpanInfo {
  toolName: string;
  callId?: string;
  /** GenAI tool type: `function`, `extension` or `datastore`. */
  toolType?: string;
}

/** `execute_tool {tool}` (INTERNAL). */
export function startToolSpan(info: ToolSpanInfo, ctx: Context = context.active()): Span {
  const s = skip(ctx, false);
  if (s) return s;
  const attributes: Attributes = {
    [ATTR.GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION.EXECUTE_TOOL,
    [ATTR.GEN_AI_TOOL_NAME]: info.toolName,
  };
  put(attributes, ATTR.GEN_AI_TOOL_CALL_ID, info.callId);
  put(attributes, ATTR.GEN_AI_TOOL_TYPE, info.toolType);
  return begin(`execute_tool ${info.toolName}`, { kind: SpanKind.INTERNAL, attributes }, ctx);
}

export interface McpSpanInfo {
  toolName: string;
  server?: string;
  /** MCP method, default `tools/call`. */
  method?: string;
  sessionId?: string;
}

/** `{method} {tool}` (CLIENT), e.g. `tools/call drift_detection`: an MCP request (MCP semconv). */
export function startMcpSpan(info: McpSpanInfo, ctx: Context = context.active()): Span {
  const s = skip(ctx, false);
  if (s) return s;
  const method = info.method ?? 'tools/call';
  const attributes: Attributes = { [ATTR.MCP_METHOD_NAME]: method, [ATTR.GEN_AI_TOOL_NAME]: info.toolName };
  put(attributes, ATTR.WUNDR_MCP_SERVER, info.server);
  put(attributes, ATTR.MCP_SESSION_ID, info.sessionId);
  return begin(`${method} ${info.toolName}`, { kind: SpanKind.CLIENT, attributes }, ctx);
}

// ---------------------------------------------------------------- memory

export interface MemorySpanInfo {
  operation: 'store' | 'search' | 'compact' | string;
  tier: string;
}

/** `memory.{operation} {tier}` (INTERNAL). */
export function startMemorySpan(info: MemorySpanInfo, ctx: Context = context.active()): Span {
  const s = skip(ctx, false);
  if (s) return s;
  return begin(
    `memory.${info.operation} ${info.tier}`,
    { kind: SpanKind.INTERNAL, attributes: { [ATTR.WUNDR_MEMORY_OPERATION]: info.operation, [ATTR.WUNDR_MEMORY_TIER]: info.tier } },
    ctx,
  );
}

// ---------------------------------------------------------------- federation

export interface FederationSpanInfo {
  from: string;
  to: string;
  taskType?: string;
}

/** `federation.delegate {to}` (CLIENT): a delegation to another orchestrator. */
export function startFederationSpan(info: FederationSpanInfo, ctx: Context = context.active()): Span {
  const s = skip(ctx, false);
  if (s) return s;
  const attributes: Attributes = { [ATTR.WUNDR_FEDERATION_FROM]: info.from, [ATTR.WUNDR_FEDERATION_TO]: info.to };
  put(attributes, ATTR.WUNDR_TASK_TYPE, info.taskType);
  return begin(`federation.delegate ${info.to}`, { kind: SpanKind.CLIENT, attributes }, ctx);
}

const legacyInjector = new LegacyTraceIdPropagator({ inject: true });
const recordSetter = {
  set(carrier: Record<string, string>, key: string, value: string) {
    carrier[key] = value;
  },
};

/**
 * Headers for an outgoing federation request (docs/TRACING.md: `traceparent`
 * (+ `tracestate`, `baggage`) from the configured propagator, and always
 * `x-trace-id` / `x-span-id` for peers that only know the old header.
 * Under the SDK a plain `fetch()` or `http.request()` already carries
 * `traceparent` (the instrumentations inject it, parented on the request's
 * own CLIENT span, and replace the helper's value with it); the helper is
 * needed for the old headers, or without the SDK.
 *
 * @example
 * await fetch(peerUrl, { method: 'POST', headers: { ...federationHeaders(), 'content-type': 'application/json' }, body });
 */
export function federationHeaders(ctx: Context = context.active()): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(ctx, headers, recordSetter);
  legacyInjector.inject(ctx, headers, recordSetter);
  return headers;
}
