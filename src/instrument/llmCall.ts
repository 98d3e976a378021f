/**
 * One LLM call as the instrumentations record it: the `chat {model}` span
 * (GenAI conventions), wundr_model_*, the session and orchestrator token
 * counters, the GenAI client metrics, a debug log line and an instrument
 * event. A streamed call ends when its stream ends, fails, is left by its
 * consumer, or is collected unread; it records the usage of the last chunk
 * and the time to the first one.
 */
import { context, trace, type Context, type Span } from '@opentelemetry/api';
import { recordModelRequest, sessionMetrics } from '../metrics/wundrMetrics.ts';
import { daemonMetrics } from '../metrics/daemonMetrics.ts';
import { recordGenAiCall } from '../metrics/genaiMetrics.ts';
import { StructuredLogger } from '../logging/StructuredLogger.ts';
import { failSpan } from '../tracing/spans.ts';
import { llmTraceMetadata, setChatUsage, startChatSpan } from '../tracing/agentSpans.ts';
import { ATTR, GEN_AI_OPERATION } from '../tracing/genai.ts';
import { capturesContent, setGenAiContent, type GenAiMessage, type GenAiPart } from '../tracing/genaiContent.ts';
import { guard, since } from './patch.ts';
import { currentSession } from './sessionContext.ts';
import { emitInstrumentEvent, errorMessage } from './events.ts';
import { streamAccumulator, type LlmResult } from './llmShapes.ts';
import { isStainlessStream, observeStream } from '../sdk/internals/stainless.ts';

export interface LlmCallInfo {
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
}

export interface LlmCallStart {
  provider: string;
  model: string;
  maxTokens?: number;
  serverAddress?: string;
  serverPort?: number;
  orchestratorId?: string;
  cost?: (call: LlmCallInfo) => number | undefined;
  /** Classifies a failure (`rate_limited`, an HTTP status, a class name). */
  errorType: (err: unknown) => string;
  /** Only read when content capture is on. */
  content?: () => { system?: GenAiPart[]; input?: GenAiMessage[] };
}

/** Span attribute set when a stream's consumer stopped before its end, or never read it. */
export const ATTR_STREAM_ABANDONED = 'wundr.llm.stream.abandoned';
/** GenAI conventions: seconds from the request to the first chunk of a streamed response. */
export const ATTR_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk';

const log = new StructuredLogger('LLMClient');
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

export class LlmCall {
  readonly span: Span;
  readonly context: Context;
  private readonly t0 = performance.now();
  private firstChunk: number | undefined;
  private settled = false;
  private streamed = false;
  private readonly session = currentSession();

  constructor(private readonly info: LlmCallStart, parent: Context = context.active()) {
    this.span = startChatSpan({ provider: info.provider, model: info.model, maxTokens: info.maxTokens, serverAddress: info.serverAddress }, parent);
    if (info.serverPort !== undefined && this.span.isRecording()) this.span.setAttribute('server.port', info.serverPort);
    this.context = trace.setSpan(parent, this.span);
    if (info.content && capturesContent()) guard('LLM content', () => setGenAiContent(this.span, info.content!()));
  }

  get done(): boolean {
    return this.settled;
  }

  /** The call answered with a whole response. */
  succeed(result: LlmResult): void {
    if (this.settled) return;
    this.settled = true;
    guard('LLM metrics', () => context.with(this.context, () => this.record(result)));
    this.span.end();
  }

  fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    guard('LLM error metrics', () =>
      context.with(this.context, () => {
        const { provider, model } = this.info;
        const seconds = since(this.t0);
        const type = this.info.errorType(err);
        failSpan(this.span, err, type);
        if (type === 'rate_limited') this.span.setAttribute(ATTR.WUNDR_RATE_LIMITED, true);
        this.putTimeToFirstChunk();
        recordModelRequest({ provider, model, durationSeconds: seconds, error: type });
        recordGenAiCall({ ...this.genAiAttrs(undefined), durationSeconds: seconds, errorType: type, timeToFirstChunkSeconds: this.ttfc() });
        (type === 'rate_limited' ? log.warn : log.error).call(log, type === 'rate_limited' ? 'LLM call rate limited' : 'LLM call failed', {
          provider,
          model,
          errorType: type,
          duration: Math.round(seconds * 1000),
          error: errorMessage(err),
        });
        emitInstrumentEvent('LLMClient', 'llm.failed', { provider, model, durationSeconds: seconds, errorType: type });
      }),
    );
    this.span.end();
  }

  /**
   * Wraps a response stream (an async iterable of chunks): the chunks pass
   * through unchanged, and the call ends with the stream.
   */
  observe<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
    this.streamed = true;
    const acc = streamAccumulator(capturesContent());
    const call = this;
    return (async function* observed() {
      let ended = false;
      try {
        for await (const chunk of source) {
          call.chunk();
          guard('LLM stream chunk', () => acc.add(chunk));
          yield chunk;
        }
        ended = true;
        call.succeed(acc.result());
      } catch (err) {
        ended = true;
        call.fail(err);
        throw err;
      } finally {
        if (!ended) call.abandon('consumer_stopped', acc.result());
      }
    })();
  }

  /**
   * Ends the call with a streamed answer and returns what the caller gets: a
   * client's `Stream` observed in place (iteration, tee() and
   * toReadableStream() all pass through; collected unread, it ends the call),
   * or a generator over any other async iterable.
   */
  observeResponseStream(stream: AsyncIterable<unknown>): unknown {
    if (isStainlessStream(stream)) {
      observeStream(stream, (source) => this.observe(source));
      unread.register(stream, this, this);
      return stream;
    }
    return this.observe(stream);
  }

  /** The stream was left before its end (`consumer_stopped`) or collected unread (`never_read`). */
  abandon(reason: 'consumer_stopped' | 'never_read', partial: LlmResult = {}): void {
    if (this.settled) return;
    if (this.span.isRecording()) this.span.setAttribute(ATTR_STREAM_ABANDONED, reason);
    this.succeed(partial);
  }

  private chunk(): void {
    this.firstChunk ??= performance.now();
  }

  private ttfc(): number | undefined {
    return this.streamed && this.firstChunk !== undefined ? (this.firstChunk - this.t0) / 1000 : undefined;
  }

  private putTimeToFirstChunk(): void {
    const t = this.ttfc();
    if (t !== undefined && this.span.isRecording()) this.span.setAttribute(ATTR_TIME_TO_FIRST_CHUNK, t);
  }

  private genAiAttrs(responseModel: string | undefined) {
    const { provider, model, serverAddress, serverPort } = this.info;
    return { operation: GEN_AI_OPERATION.CHAT, provider, requestModel: model, responseModel, serverAddress, serverPort };
  }

  private record(result: LlmResult): void {
    const { provider, model } = this.info;
    const seconds = since(this.t0);
    const input = result.inputTokens ?? 0;
    const output = result.outputTokens ?? 0;
    let cost = num(result.costUsd);
    if (cost === undefined && this.info.cost) guard('cost()', () => (cost = num(this.info.cost!({ provider, model, inputTokens: input, outputTokens: output }))));
    setChatUsage(this.span, {
      inputTokens: result.inputTokens,
      outputTokens: result.outputTokens,
      responseModel: result.responseModel,
      responseId: result.responseId,
      finishReasons: result.finishReasons,
      costUsd: cost,
    });
    this.putTimeToFirstChunk();
    if (result.output && capturesContent()) setGenAiContent(this.span, { output: result.output });
    recordModelRequest({ provider, model, durationSeconds: seconds, promptTokens: input, completionTokens: output, costDollars: cost });
    recordGenAiCall({
      ...this.genAiAttrs(result.responseModel),
      durationSeconds: seconds,
      inputTokens: result.inputTokens,
      outputTokens: result.outputTokens,
      timeToFirstChunkSeconds: this.ttfc(),
    });
    const session = this.session;
    const o = session?.orchestratorId ?? this.info.orchestratorId ?? 'unknown';
    if (session) {
      if (input) sessionMetrics.tokensPrompt.inc({ orchestrator_id: o, model }, input);
      if (output) sessionMetrics.tokensCompletion.inc({ orchestrator_id: o, model }, output);
      if (cost) sessionMetrics.cost.inc({ orchestrator_id: o, model, provider }, cost);
    }
    if (input + output > 0) daemonMetrics.tokensUsed.inc({ orchestrator_id: o, model }, input + output);
    log.debug('LLM call completed', { provider, model, duration: Math.round(seconds * 1000), inputTokens: input, outputTokens: output, costUsd: cost });
    emitInstrumentEvent('LLMClient', 'llm.completed', { provider, model, durationSeconds: seconds, inputTokens: input, outputTokens: output, costUsd: cost });
  }
}

/**
 * Ends the call of a stream that is garbage-collected without having been
 * read to its end. The registry holds the call, never the stream.
 */
const unread = new FinalizationRegistry<LlmCall>((call) => call.abandon('never_read'));

/** An answer the call ends with: a client's `Stream`, or any async iterable. */
export function isResponseStream(v: unknown): v is AsyncIterable<unknown> {
  return (
    isStainlessStream(v) ||
    (v !== null && typeof v === 'object' && typeof (v as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function')
  );
}

/** A copy of `params` with the trace fields in `metadata`. */
export function withTraceMetadata(params: unknown, ctx = context.active()): unknown {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return params;
  const meta = llmTraceMetadata(ctx);
  if (!meta.trace_id) return params;
  const p = params as Record<string, unknown>;
  const prev = p.metadata !== null && typeof p.metadata === 'object' ? (p.metadata as Record<string, unknown>) : {};
  return { ...p, metadata: { ...prev, ...meta } };
}
