/**
 * Span helpers for the span tree of seed §5.3, on the OTel tracer:
 *
 *   ws.message {type}                      SERVER  (parent: the message's traceparent)
 *   └─ invoke_agent {agent}                INTERNAL  session spawn
 *      ├─ chat {model}                     CLIENT    LLM call
 *      ├─ execute_tool {tool}              INTERNAL
 *      │  └─ tools/call {tool}             CLIENT    MCP call
 *      ├─ federation.delegate {peer}       CLIENT    (+ the HTTP client span, traceparent to the peer)
 *      └─ session.complete                 INTERNAL
 *
 * Hot path: when the parent is not sampled and the sampler is parent-based,
 * a child can never be sampled, so the helpers skip the SDK (id generation,
 * attribute cleaning, sampler) and return a non-recording span over the
 * parent's context; attributes are not even built. Spans that are recorded
 * are watched by the span TTL tracker.
 */
import {
  context,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version.ts';
import { ATTR, GEN_AI_OPERATION } from './genai.ts';
import { LegacyTraceIdPropagator } from './LegacyTraceIdPropagator.ts';
import { extractPayloadContext } from './payloadCarrier.ts';
import type { SpanTtlTracker } from './SpanTtlTracker.ts';

export interface SpanHelperSettings {
  /** Where spans come from; default: the global tracer provider. */
  tracerProvider?: TracerProvider;
  /**
   * Children of an unsampled parent become a non-recording view of the
   * parent without asking the SDK. True only when the sampler is
   * parent-based (the default); the tracing feature sets it from the config.
   */
  shortCircuitUnsampled?: boolean;
  /** Tracing is off (TRACING_ENABLED=false): every helper span is a view of its parent. */
  disabled?: boolean;
  /** Watches helper spans that are never ended. */
  ttl?: SpanTtlTracker | undefined;
}

const INVALID_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
/** The API's NonRecordingSpan class (not exported by name). */
const NonRecordingSpan = INVALID_SPAN.constructor as new (...args: never[]) => Span;

let tracer: Tracer | undefined;
let provider: TracerProvider | undefined;
let shortCircuit = true;
let disabled = false;
let ttl: SpanTtlTracker | undefined;

/** Sets where and how the helpers make spans (the tracing feature calls it at start). */
export function configureSpanHelpers(settings: SpanHelperSettings): void {
  provider = settings.tracerProvider;
  tracer = undefined;
  shortCircuit = settings.shortCircuitUnsampled ?? true;
  disabled = settings.disabled ?? false;
  ttl = settings.ttl;
}

/** Back to defaults (global provider, short-circuit on, no TTL). */
export function resetSpanHelpers(): void {
  configureSpanHelpers({});
}

/** The TTL tracker in use, if any (for its stats). */
export function spanTtlTracker(): SpanTtlTracker | undefined {
  return ttl;
}

function getTracer(): Tracer {
  return (tracer ??= (provider ?? trace.getTracerProvider()).getTracer(PACKAGE_NAME, PACKAGE_VERSION));
}

/**
 * The span to return without asking the SDK, or undefined to go on: a
 * non-recording view of an unsampled parent, or (tracing off) of any parent.
 */
function skip(ctx: Context, root: boolean | undefined): Span | undefined {
  if (disabled) {
    if (root) return INVALID_SPAN;
    const p = trace.getSpan(ctx);
    return p === undefined ? INVALID_SPAN : trace.wrapSpanContext(p.spanContext());
  }
  if (!shortCircuit || root) return undefined;
  const p = trace.getSpan(ctx);
  if (p === undefined) return undefined;
  const sc = p.spanContext();
  if ((sc.traceFlags & TraceFlags.SAMPLED) !== 0 || !isSpanContextValid(sc)) return undefined;
  // The parent is itself a non-recording view (a remote or unsampled
  // context): hand it back, nothing to allocate; ending it is a no-op.
  return p instanceof NonRecordingSpan ? p : trace.wrapSpanContext(sc);
}

function begin(name: string, options: SpanOptions, ctx: Context): Span {
  const span = getTracer().startSpan(name, options, ctx);
  if (ttl !== undefined && span.isRecording()) ttl.track(span);
  return span;
}

/**
 * Starts a span as a child of `ctx` (default: the active context), through
 * the fast path described above. End it yourself, or use {@link runInSpan}.
 *
 * @example
 * const span = startSpan('queue.process', { attributes: { 'wundr.queue.name': 'tasks' } });
 * try { work(); } finally { span.end(); }
 */
export function startSpan(name: string, options: SpanOptions = {}, ctx: Context = context.active()): Span {
  return skip(ctx, options.root) ?? begin(name, options, ctx);
}

/** Marks a span failed: ERROR status with the message, `error.type`, and an exception event. Never throws. */
export function failSpan(span: Span, err: unknown, errorType?: string): void {
  if (!span.isRecording()) return;
  try {
    const e = err instanceof Error ? err : new Error(String(err));
    span.recordException(e);
    span.setAttribute(ATTR.ERROR_TYPE, errorType ?? errorTypeOf(e));
    span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
  } catch {
    // A hostile error object (throwing getters): the span stays as it is.
  }
}

/** A low-cardinality error type: the error's `code` when it is a short identifier, else its class name. */
export function errorTypeOf(err: unknown): string {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code)) return code;
    if (typeof code === 'number' && Number.isInteger(code)) return String(code);
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && /^[A-Za-z0-9_.$-]{1,64}$/.test(name)) return name;
  }
  return 'Error';
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Runs `fn` with `span` active, and ends the span when `fn` returns or its
 * promise settles; a throw or rejection fails the span and is rethrown.
 *
 * @example
 * const answer = await runInSpan(startChatSpan({ provider: 'openai', model: 'gpt-4o' }), () => client.chat(req));
 */
export function runInSpan<T>(span: Span, fn: (span: Span) => T, ctx: Context = context.active()): T {
  let out: T;
  try {
    out = context.with(trace.setSpan(ctx, span), fn, undefined, span);
  } catch (err) {
    failSpan(span, err);
    span.end();
    throw err;
  }
  if (isThenable(out)) {
    return (out as PromiseLike<unknown>).then(
      (v) => {
        span.end();
        return v;
      },
      (err: unknown) => {
        failSpan(span, err);
        span.end();
        throw err;
      },
    ) as T;
  }
  span.end();
  return out;
}

/** startSpan + runInSpan. */
export function withSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => T, ctx: Context = context.active()): T {
  return runInSpan(startSpan(name, options, ctx), fn, ctx);
}

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

/** `invoke_agent {name}` (INTERNAL): a session spawned for an agent (seed §5.3 "Session Spawn"). */
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

/** `session.complete` (INTERNAL, ended at once): the last child of the session span (seed §5.3 "Session Complete"). */
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
 * Trace context for LLM request metadata (seed §5.2 "Session -> LLM call"):
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
 * Headers for an outgoing federation request (seed §5.2): `traceparent`
 * (+ `tracestate`, `baggage`) from the configured propagator, and always
 * `x-trace-id` / `x-span-id` for peers that only know the old header.
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
