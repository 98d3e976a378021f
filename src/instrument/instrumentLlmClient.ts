import { context, trace } from '@opentelemetry/api';
import { recordModelRequest, sessionMetrics } from '../metrics/wundrMetrics.ts';
import { daemonMetrics } from '../metrics/daemonMetrics.ts';
import { StructuredLogger } from '../logging/StructuredLogger.ts';
import { errorTypeOf, failSpan } from '../tracing/spans.ts';
import { llmTraceMetadata, setChatUsage, startChatSpan } from '../tracing/agentSpans.ts';
import { ATTR } from '../tracing/genai.ts';
import { claim, guard, requireObject, since, wrapMethod, type Undo, callWith } from './patch.ts';
import { currentSession } from './sessionContext.ts';
import { emitInstrumentEvent, errorMessage } from './events.ts';

/** The part of an LLM client the adapter uses: `chat(params)` resolving with the response. */
export interface LlmClientLike {
  chat(params: unknown, ...rest: unknown[]): unknown;
  provider?: unknown;
}

export interface LlmCallInfo {
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
}

export interface InstrumentLlmClientOptions {
  /** Provider name (`gen_ai.provider.name`, label `provider`); default: `client.provider` when a string, else `unknown`. */
  provider?: string | ((params: unknown) => string);
  /** Cost in USD of one call when the response does not carry one (`response.cost` / `response.usage.cost`). */
  cost?: (call: LlmCallInfo) => number | undefined;
  /** Used when no session is in context. */
  orchestratorId?: string;
  /**
   * Adds `{ trace_id, traceparent }` to `params.metadata` (docs/TRACING.md
   * "TraceContext in request metadata"), on a shallow copy of the params.
   * Default true; set false for clients that reject unknown fields.
   */
  injectMetadata?: boolean;
}

type Obj = Record<string, unknown>;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Reads `usage` in the shapes the common clients use (camelCase, OpenAI, Anthropic). */
export function readUsage(response: unknown): { input?: number; output?: number; cost?: number } {
  const r = (response ?? {}) as Obj;
  const u = (r.usage ?? {}) as Obj;
  return {
    input: num(u.promptTokens) ?? num(u.inputTokens) ?? num(u.prompt_tokens) ?? num(u.input_tokens),
    output: num(u.completionTokens) ?? num(u.outputTokens) ?? num(u.completion_tokens) ?? num(u.output_tokens),
    cost: num(r.cost) ?? num(u.cost) ?? num(r.costUsd),
  };
}

/** `rate_limited` for HTTP 429 / rate-limit errors, the status code for other HTTP errors, else the error's code or class. */
export function llmErrorType(err: unknown): string {
  const e = (err ?? {}) as Obj;
  const status = num(e.status) ?? num(e.statusCode) ?? num((e.response as Obj | undefined)?.status);
  const code = typeof e.code === 'string' ? e.code : '';
  const name = typeof e.name === 'string' ? e.name : '';
  if (status === 429 || /rate.?limit/i.test(code) || /rate.?limit/i.test(name)) return 'rate_limited';
  if (status !== undefined && status >= 400 && status < 600) return String(status);
  return errorTypeOf(err);
}

/**
 * Model routing metrics and `chat {model}` spans for an LLM client (seed
 * §10 "wrap chat()"): provider, model, latency, tokens, cost, errors and 429
 * rate limits go to `wundr_model_*`; inside a session also to
 * `wundr_session_tokens_*`, `wundr_session_cost_dollars_total` and
 * `orchestrator_tokens_used_total`; the request metadata carries the trace
 * id. Returns the undo function.
 *
 * @example
 * const undo = instrumentLlmClient(llmClient, { provider: 'anthropic', cost: ({ inputTokens, outputTokens }) => inputTokens * 3e-6 + outputTokens * 15e-6 });
 */
export function instrumentLlmClient(client: LlmClientLike, options: InstrumentLlmClientOptions = {}): Undo {
  requireObject(client, 'instrumentLlmClient', 'the LLM client');
  if (typeof client.chat !== 'function') throw new Error('@wundr/otel: instrumentLlmClient() needs an object with chat(params)');
  if (options.provider !== undefined && typeof options.provider !== 'string' && typeof options.provider !== 'function') {
    throw new Error('@wundr/otel: instrumentLlmClient() option provider must be a string or a function');
  }
  const finish = claim(client, 'instrumentLlmClient');
  const log = new StructuredLogger('LLMClient');
  const inject = options.injectMetadata !== false;
  const undos: Undo[] = [];

  const providerOf = (params: unknown): string => {
    let p: string | undefined;
    if (typeof options.provider === 'string') p = options.provider;
    else if (typeof options.provider === 'function') guard('provider()', () => (p = str((options.provider as (x: unknown) => string)(params))));
    return p ?? str(client.provider) ?? 'unknown';
  };

  undos.push(
    wrapMethod(client, 'chat', (original) =>
      function (this: unknown, params: unknown, ...rest: unknown[]) {
        const p = (params !== null && typeof params === 'object' ? params : {}) as Obj;
        const provider = providerOf(params);
        const model = str(p.model) ?? 'unknown';
        const span = startChatSpan({ provider, model, maxTokens: num(p.maxTokens) ?? num(p.max_tokens) });
        const ctx = trace.setSpan(context.active(), span);
        let args = params;
        if (inject && params !== null && typeof params === 'object' && !Array.isArray(params)) {
          const meta = llmTraceMetadata(ctx);
          if (meta.trace_id) {
            const prev = p.metadata !== null && typeof p.metadata === 'object' ? (p.metadata as Obj) : {};
            args = { ...p, metadata: { ...prev, ...meta } };
          }
        }
        const t0 = performance.now();
        const session = currentSession();
        const o = session?.orchestratorId ?? options.orchestratorId ?? 'unknown';

        const done = (response: unknown) => {
          guard('LLM metrics', () =>
            context.with(ctx, () => {
              const seconds = since(t0);
              const r = (response ?? {}) as Obj;
              const usage = readUsage(response);
              const input = usage.input ?? 0;
              const output = usage.output ?? 0;
              let cost = usage.cost;
              if (cost === undefined && options.cost) guard('cost()', () => (cost = num(options.cost!({ provider, model, inputTokens: input, outputTokens: output }))));
              const finish = str(r.finishReason) ?? str(r.stop_reason) ?? str(r.finish_reason);
              setChatUsage(span, {
                inputTokens: usage.input,
                outputTokens: usage.output,
                responseModel: str(r.model),
                responseId: str(r.id),
                finishReasons: finish ? [finish] : undefined,
                costUsd: cost,
              });
              recordModelRequest({ provider, model, durationSeconds: seconds, promptTokens: input, completionTokens: output, costDollars: cost });
              if (session) {
                if (input) sessionMetrics.tokensPrompt.inc({ orchestrator_id: o, model }, input);
                if (output) sessionMetrics.tokensCompletion.inc({ orchestrator_id: o, model }, output);
                if (cost) sessionMetrics.cost.inc({ orchestrator_id: o, model, provider }, cost);
              }
              if (input + output > 0) daemonMetrics.tokensUsed.inc({ orchestrator_id: o, model }, input + output);
              log.debug('LLM call completed', { provider, model, duration: Math.round(seconds * 1000), inputTokens: input, outputTokens: output, costUsd: cost });
              emitInstrumentEvent('LLMClient', 'llm.completed', { provider, model, durationSeconds: seconds, inputTokens: input, outputTokens: output, costUsd: cost });
            }),
          );
          span.end();
          return response;
        };
        const fail = (err: unknown) => {
          guard('LLM error metrics', () =>
            context.with(ctx, () => {
              const seconds = since(t0);
              const type = llmErrorType(err);
              failSpan(span, err, type);
              if (type === 'rate_limited') span.setAttribute(ATTR.WUNDR_RATE_LIMITED, true);
              recordModelRequest({ provider, model, durationSeconds: seconds, error: type });
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
          span.end();
          throw err;
        };
        return callWith(ctx, () => original.call(this, args, ...rest), done, fail);
      },
    ),
  );
  return finish(undos);
}
