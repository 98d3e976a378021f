import { errorTypeOf } from '../tracing/spans.ts';
import { capturesContent } from '../tracing/genaiContent.ts';
import { claim, guard, requireObject, wrapMethod, type Undo, callWith } from './patch.ts';
import { isResponseStream, LlmCall, withTraceMetadata, type LlmCallInfo } from './llmCall.ts';
import { inputContent, readResponse } from './llmShapes.ts';

export type { LlmCallInfo } from './llmCall.ts';

/** The part of an LLM client the adapter uses: `chat(params)` resolving with the response. */
export interface LlmClientLike {
  chat(params: unknown, ...rest: unknown[]): unknown;
  provider?: unknown;
}

export interface InstrumentLlmClientOptions {
  /** Provider name (`gen_ai.provider.name`, label `provider`); default: `client.provider` when a string, else `unknown`. */
  provider?: string | ((params: unknown) => string);
  /** Cost in USD of one call when the response does not carry one (`response.cost` / `response.usage.cost`). */
  cost?: (call: LlmCallInfo) => number | undefined;
  /** Used when no session is in context. */
  orchestratorId?: string;
  /**
   * Adds `{ trace_id, traceparent[, tracestate] }` to `params.metadata`
   * (docs/TRACING.md "TraceContext in request metadata"), on a shallow copy of
   * the params. Off by default: the HTTP request carries the context in its
   * headers (fetch/http instrumentation), and an API may refuse unknown
   * metadata fields (Anthropic documents only `metadata.user_id`).
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
 * rate limits go to `wundr_model_*` and the GenAI client metrics; inside a
 * session also to `wundr_session_tokens_*`, `wundr_session_cost_dollars_total`
 * and `orchestrator_tokens_used_total`. When `chat()` answers with a stream
 * (an async iterable of OpenAI or Anthropic chunks), the span ends with the
 * stream, with the usage of its last chunks. Returns the undo function.
 * For the official `openai` and `@anthropic-ai/sdk` clients, see
 * instrumentOpenAI() / instrumentAnthropic().
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
  const inject = options.injectMetadata === true;
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
        const api = provider === 'anthropic' || typeof p.system === 'string' || Array.isArray(p.system) ? 'anthropic' : 'openai';
        const call = new LlmCall({
          provider,
          model: str(p.model) ?? 'unknown',
          maxTokens: num(p.maxTokens) ?? num(p.max_tokens),
          orchestratorId: options.orchestratorId,
          cost: options.cost,
          errorType: llmErrorType,
          content: () => inputContent(api, params),
        });
        const args = inject ? withTraceMetadata(params, call.context) : params;
        const done = (response: unknown) => {
          if (isResponseStream(response)) return call.observeResponseStream(response);
          const usage = readUsage(response);
          const r = (response ?? {}) as Obj;
          const finishReason = str(r.finishReason) ?? str(r.stop_reason) ?? str(r.finish_reason);
          const shaped = capturesContent() ? readResponse(api, response, true) : undefined;
          call.succeed({
            inputTokens: usage.input,
            outputTokens: usage.output,
            costUsd: usage.cost,
            responseModel: str(r.model),
            responseId: str(r.id),
            finishReasons: finishReason ? [finishReason] : (shaped ?? readResponse(api, response, false)).finishReasons,
            output: shaped?.output,
          });
          return response;
        };
        const fail = (err: unknown) => {
          call.fail(err);
          throw err;
        };
        return callWith(call.context, () => original.call(this, args, ...rest), done, fail);
      },
    ),
  );
  return finish(undos);
}
