/**
 * The wire shapes of the two common LLM APIs, read into what a GenAI span
 * and the metrics need: OpenAI Chat Completions and Anthropic Messages,
 * whole responses and streamed chunks, and (only when content capture is
 * on) the messages in the GenAI conventions' form.
 */
import type { ChatUsage } from '../tracing/agentSpans.ts';
import { toolArguments, type GenAiMessage, type GenAiPart } from '../tracing/genaiContent.ts';

type Obj = Record<string, unknown>;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** What a finished call reports: what its span gets, and the output messages. */
export interface LlmResult extends ChatUsage {
  /** Only when content is captured. */
  output?: GenAiMessage[];
}

export type LlmApi = 'openai' | 'anthropic';

// ---------------------------------------------------------------- requests

/** The request's messages in the conventions' form (system instructions apart for Anthropic). */
export function inputContent(api: LlmApi, params: unknown): { system?: GenAiPart[]; input: GenAiMessage[] } {
  const p = obj(params) ?? {};
  if (api === 'anthropic') {
    const system = typeof p.system === 'string' ? [{ type: 'text', content: p.system }] : anthropicParts(p.system);
    return { system: system.length > 0 ? system : undefined, input: arr(p.messages).map((m) => anthropicMessage(m)) };
  }
  return { input: arr(p.messages).map((m) => openAIMessage(m)) };
}

function openAIMessage(m: unknown): GenAiMessage {
  const o = obj(m) ?? {};
  const role = str(o.role) ?? 'user';
  const parts: GenAiPart[] = [];
  if (role === 'tool') {
    parts.push({ type: 'tool_call_response', id: str(o.tool_call_id), response: textOf(o.content) });
    return { role, parts };
  }
  if (typeof o.content === 'string') parts.push({ type: 'text', content: o.content });
  else
    for (const c of arr(o.content)) {
      const part = obj(c) ?? {};
      if (part.type === 'text' && typeof part.text === 'string') parts.push({ type: 'text', content: part.text });
      else parts.push({ type: str(part.type) ?? 'unknown' });
    }
  for (const t of arr(o.tool_calls)) {
    const call = obj(t) ?? {};
    const fn = obj(call.function) ?? {};
    parts.push({ type: 'tool_call', id: str(call.id), name: str(fn.name) ?? 'unknown', arguments: toolArguments(fn.arguments) });
  }
  return { role, parts };
}

function anthropicMessage(m: unknown): GenAiMessage {
  const o = obj(m) ?? {};
  const parts = typeof o.content === 'string' ? [{ type: 'text', content: o.content }] : anthropicParts(o.content);
  return { role: str(o.role) ?? 'user', parts };
}

function anthropicParts(content: unknown): GenAiPart[] {
  const parts: GenAiPart[] = [];
  for (const c of arr(content)) {
    const b = obj(c) ?? {};
    if (b.type === 'text' && typeof b.text === 'string') parts.push({ type: 'text', content: b.text });
    else if (b.type === 'tool_use') parts.push({ type: 'tool_call', id: str(b.id), name: str(b.name) ?? 'unknown', arguments: b.input });
    else if (b.type === 'tool_result') parts.push({ type: 'tool_call_response', id: str(b.tool_use_id), response: textOf(b.content) });
    else parts.push({ type: str(b.type) ?? 'unknown' });
  }
  return parts;
}

function textOf(content: unknown): unknown {
  if (typeof content === 'string') return content;
  const texts = arr(content).map((c) => obj(c)?.text).filter((t): t is string => typeof t === 'string');
  return texts.length > 0 ? texts.join('') : content;
}

// ---------------------------------------------------------------- whole responses

/** Reads a non-streamed response (`keepContent`: also the output messages). */
export function readResponse(api: LlmApi, response: unknown, keepContent: boolean): LlmResult {
  const r = obj(response) ?? {};
  const u = obj(r.usage) ?? {};
  const out: LlmResult = { responseModel: str(r.model), responseId: str(r.id) };
  if (api === 'anthropic') {
    out.inputTokens = num(u.input_tokens);
    out.outputTokens = num(u.output_tokens);
    const stop = str(r.stop_reason);
    if (stop) out.finishReasons = [stop];
    if (keepContent) out.output = [{ role: 'assistant', parts: anthropicParts(r.content), ...(stop ? { finish_reason: stop } : {}) }];
    return out;
  }
  out.inputTokens = num(u.prompt_tokens);
  out.outputTokens = num(u.completion_tokens);
  const choices = arr(r.choices).map((c) => obj(c) ?? {});
  const reasons = choices.map((c) => str(c.finish_reason)).filter((x): x is string => x !== undefined);
  if (reasons.length > 0) out.finishReasons = reasons;
  if (keepContent) {
    out.output = choices.map((c) => {
      const m = openAIMessage({ ...(obj(c.message) ?? {}), role: 'assistant' });
      const fr = str(c.finish_reason);
      return fr ? { ...m, finish_reason: fr } : m;
    });
  }
  return out;
}

// ---------------------------------------------------------------- streams

/** Folds a stream's chunks into the call's result. */
export interface StreamAccumulator {
  add(chunk: unknown): void;
  result(): LlmResult;
}

interface Block {
  text: string;
  tool?: { id?: string; name: string; args: string };
}

/**
 * Chat Completions chunks (`choices[].delta`, `usage` on the last chunk when
 * the request asked for `stream_options.include_usage`) and Messages events
 * (`message_start`, `content_block_*`, `message_delta` with the output
 * tokens so far), told apart per chunk, so one accumulator serves a client
 * of either kind.
 */
export function streamAccumulator(keepContent: boolean): StreamAccumulator {
  const r: LlmResult = {};
  // Per choice index (OpenAI) or content block index (Anthropic): text and tool calls.
  const blocks = new Map<number, Block[]>();
  const reasons = new Map<number, string>();
  let api: LlmApi | undefined;
  const block = (choice: number, i: number): Block => {
    let list = blocks.get(choice);
    if (!list) blocks.set(choice, (list = []));
    return (list[i] ??= { text: '' });
  };
  return {
    add(chunk) {
      const c = obj(chunk);
      if (!c) return;
      if (typeof c.type === 'string') {
        api = 'anthropic';
        switch (c.type) {
          case 'message_start': {
            const m = obj(c.message) ?? {};
            r.responseId ??= str(m.id);
            r.responseModel ??= str(m.model);
            const u = obj(m.usage) ?? {};
            r.inputTokens = num(u.input_tokens) ?? r.inputTokens;
            r.outputTokens = num(u.output_tokens) ?? r.outputTokens;
            break;
          }
          case 'message_delta': {
            const stop = str(obj(c.delta)?.stop_reason);
            if (stop) reasons.set(0, stop);
            const u = obj(c.usage) ?? {};
            // Cumulative counts: the last event has the totals.
            r.outputTokens = num(u.output_tokens) ?? r.outputTokens;
            r.inputTokens = num(u.input_tokens) ?? r.inputTokens;
            break;
          }
          case 'content_block_start':
            if (keepContent) {
              const b = obj(c.content_block) ?? {};
              const target = block(0, num(c.index) ?? 0);
              if (b.type === 'tool_use') target.tool = { id: str(b.id), name: str(b.name) ?? 'unknown', args: '' };
              else if (typeof b.text === 'string') target.text += b.text;
            }
            break;
          case 'content_block_delta':
            if (keepContent) {
              const d = obj(c.delta) ?? {};
              const target = block(0, num(c.index) ?? 0);
              if (typeof d.text === 'string') target.text += d.text;
              else if (typeof d.partial_json === 'string' && target.tool) target.tool.args += d.partial_json;
            }
            break;
        }
        return;
      }
      if (Array.isArray(c.choices) || c.object === 'chat.completion.chunk') {
        api = 'openai';
        r.responseId ??= str(c.id);
        r.responseModel ??= str(c.model);
        const u = obj(c.usage);
        if (u) {
          r.inputTokens = num(u.prompt_tokens) ?? r.inputTokens;
          r.outputTokens = num(u.completion_tokens) ?? r.outputTokens;
        }
        for (const ch of arr(c.choices)) {
          const choice = obj(ch) ?? {};
          const idx = num(choice.index) ?? 0;
          const fr = str(choice.finish_reason);
          if (fr) reasons.set(idx, fr);
          if (!keepContent) continue;
          const d = obj(choice.delta) ?? {};
          if (typeof d.content === 'string') block(idx, 0).text += d.content;
          for (const t of arr(d.tool_calls)) {
            const tc = obj(t) ?? {};
            const target = block(idx, 1 + (num(tc.index) ?? 0));
            const fn = obj(tc.function) ?? {};
            target.tool ??= { id: str(tc.id), name: str(fn.name) ?? 'unknown', args: '' };
            if (typeof fn.arguments === 'string') target.tool.args += fn.arguments;
          }
        }
      }
    },
    result() {
      const keys = [...reasons.keys()].sort((a, b) => a - b);
      if (keys.length > 0) r.finishReasons = keys.map((k) => reasons.get(k)!);
      if (keepContent && api) {
        const choices = api === 'anthropic' ? [0] : [...new Set([...blocks.keys(), ...reasons.keys()])].sort((a, b) => a - b);
        r.output = choices.map((idx) => {
          const parts: GenAiPart[] = [];
          for (const b of blocks.get(idx) ?? []) {
            if (!b) continue;
            if (b.tool) parts.push({ type: 'tool_call', id: b.tool.id, name: b.tool.name, arguments: toolArguments(b.tool.args) });
            else if (b.text !== '') parts.push({ type: 'text', content: b.text });
          }
          const fr = reasons.get(idx);
          return { role: 'assistant', parts, ...(fr ? { finish_reason: fr } : {}) };
        });
      }
      return r;
    },
  };
}
