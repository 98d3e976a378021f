import { context } from '@opentelemetry/api';
import { claim, isThenable, requireObject, wrapMethod, type Undo } from './patch.ts';
import { isResponseStream, LlmCall, withTraceMetadata, type LlmCallInfo } from './llmCall.ts';
import { inputContent, readResponse, type LlmApi } from './llmShapes.ts';
import { capturesContent } from '../tracing/genaiContent.ts';
import { isApiPromise, observeApiPromise } from '../sdk/internals/stainless.ts';
import { llmErrorType } from './instrumentLlmClient.ts';

export interface InstrumentLlmSdkOptions {
  /** `gen_ai.provider.name` and the `provider` label; default `openai` / `anthropic` (set it for a compatible gateway: `azure.ai.openai`, `groq`, …). */
  provider?: string;
  /** Cost in USD of one call (the APIs report none). */
  cost?: (call: LlmCallInfo) => number | undefined;
  /** Used when no session is in context. */
  orchestratorId?: string;
  /**
   * Also puts `{ trace_id, traceparent[, tracestate] }` into the request
   * body's `metadata` (on a copy). Off by default: the HTTP request already
   * carries the context in its headers, and an API may refuse unknown
   * metadata fields (Anthropic documents only `metadata.user_id`).
   */
  injectMetadata?: boolean;
}

type Obj = Record<string, unknown>;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

function serverOf(client: Obj): { serverAddress?: string; serverPort?: number } {
  try {
    const u = new URL(String(client.baseURL));
    return { serverAddress: u.hostname, serverPort: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80 };
  } catch {
    return {};
  }
}

function instrument(adapter: string, api: LlmApi, client: unknown, resourcePath: string[], options: InstrumentLlmSdkOptions): Undo {
  requireObject(client, adapter, `an ${api === 'openai' ? 'OpenAI' : 'Anthropic'} client`);
  let resource: unknown = client;
  for (const k of resourcePath) resource = (resource as Obj | undefined)?.[k];
  if (resource === null || typeof resource !== 'object' || typeof (resource as Obj).create !== 'function') {
    throw new Error(`@wundr/otel: ${adapter}() needs a client with ${resourcePath.join('.')}.create()`);
  }
  if (options.provider !== undefined && typeof options.provider !== 'string') throw new Error(`@wundr/otel: ${adapter}() option provider must be a string`);
  const finish = claim(client, adapter);
  const provider = options.provider ?? api;
  const server = serverOf(client as Obj);

  const undo = wrapMethod(resource as Obj, 'create', (original) =>
    function (this: unknown, params: unknown, ...rest: unknown[]) {
      const p = (params !== null && typeof params === 'object' ? params : {}) as Obj;
      const call = new LlmCall({
        provider,
        model: typeof p.model === 'string' && p.model !== '' ? p.model : 'unknown',
        maxTokens: num(p.max_tokens) ?? num(p.max_completion_tokens),
        ...server,
        orchestratorId: options.orchestratorId,
        cost: options.cost,
        errorType: llmErrorType,
        content: () => inputContent(api, params),
      });
      const args = options.injectMetadata === true ? withTraceMetadata(params, call.context) : params;
      const onValue = (value: unknown): unknown => {
        if (isResponseStream(value)) return call.observeResponseStream(value);
        call.succeed(readResponse(api, value, capturesContent()));
        return value;
      };
      let out: unknown;
      try {
        out = context.with(call.context, () => original.call(this, args, ...rest));
      } catch (err) {
        call.fail(err);
        throw err;
      }
      if (isApiPromise(out)) {
        observeApiPromise(out, onValue, (err) => call.fail(err));
        return out;
      }
      if (isThenable(out)) {
        return (out as Promise<unknown>).then(onValue, (err: unknown) => {
          call.fail(err);
          throw err;
        });
      }
      return onValue(out);
    },
  );
  return finish([undo]);
}

/**
 * GenAI spans and metrics for an official `openai` client: wraps this
 * instance's `chat.completions.create` (and so `.stream()` and the
 * helpers built on it). Streams end their span when read to the end, left,
 * or collected unread; their token counts come from the usage chunk, sent
 * when the request asks for it (`stream_options: { include_usage: true }`).
 * The HTTP request is traced by the fetch instrumentation, as a child.
 *
 * @example
 * const openai = new OpenAI();
 * const undo = instrumentOpenAI(openai, { cost: ({ inputTokens, outputTokens }) => inputTokens * 2.5e-6 + outputTokens * 1e-5 });
 */
export function instrumentOpenAI(client: unknown, options: InstrumentLlmSdkOptions = {}): Undo {
  return instrument('instrumentOpenAI', 'openai', client, ['chat', 'completions'], options);
}

/**
 * GenAI spans and metrics for an official `@anthropic-ai/sdk` client: wraps
 * this instance's `messages.create` (and so `messages.stream()`, which
 * calls it). Streams record the usage of `message_start` and the last
 * `message_delta`. The client's own call span (ANTHROPIC_OPEN_TELEMETRY,
 * on by default) and the fetch span come out as children of `chat {model}`.
 *
 * @example
 * const anthropic = new Anthropic();
 * const undo = instrumentAnthropic(anthropic);
 */
export function instrumentAnthropic(client: unknown, options: InstrumentLlmSdkOptions = {}): Undo {
  return instrument('instrumentAnthropic', 'anthropic', client, ['messages'], options);
}
