/**
 * Prompt and completion content on GenAI spans, in the form of the GenAI
 * semantic conventions (`gen_ai.system_instructions`, `gen_ai.input.messages`,
 * `gen_ai.output.messages`: JSON arrays of messages made of typed parts).
 * Off unless OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true: prompts
 * carry user data. When on, every value goes through the log redaction list
 * (LOG_REDACT_KEYS: a tool argument named `api_key` is redacted) and every
 * string is cut at LOG_MAX_STRING_LENGTH.
 */
import type { Span } from '@opentelemetry/api';
import { DEFAULT_REDACT_KEYS } from '../config.ts';
import { createRedactor, type Redactor } from '../logging/redact.ts';

/** One part of a message (conventions: TextPart, ToolCallRequestPart, ToolCallResponsePart, GenericPart). */
export type GenAiPart =
  | { type: 'text'; content: string }
  | { type: 'tool_call'; id?: string; name: string; arguments?: unknown }
  | { type: 'tool_call_response'; id?: string; response: unknown }
  | { type: string; [k: string]: unknown };

export interface GenAiMessage {
  role: string;
  parts: GenAiPart[];
  /** Output messages only. */
  finish_reason?: string;
}

export interface GenAiContent {
  system?: GenAiPart[];
  input?: GenAiMessage[];
  output?: GenAiMessage[];
}

export const CONTENT_ATTR = {
  SYSTEM_INSTRUCTIONS: 'gen_ai.system_instructions',
  INPUT_MESSAGES: 'gen_ai.input.messages',
  OUTPUT_MESSAGES: 'gen_ai.output.messages',
} as const;

export interface GenAiContentSettings {
  /** OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT. */
  capture: boolean;
  redactKeys?: readonly string[];
  /** Cap per string (LOG_MAX_STRING_LENGTH). */
  maxStringLength?: number;
}

let capture = false;
let redactor: Redactor | undefined;

/** Set by the tracing part of the SDK at start (and reset at shutdown). */
export function configureGenAiContent(s: GenAiContentSettings): void {
  capture = s.capture;
  redactor = capture ? createRedactor(s.redactKeys ?? DEFAULT_REDACT_KEYS, { maxStringLength: s.maxStringLength }) : undefined;
}

export function resetGenAiContent(): void {
  capture = false;
  redactor = undefined;
}

/** Whether content is captured (callers skip building it otherwise). */
export function capturesContent(): boolean {
  return capture;
}

/** Puts the captured content on `span` (nothing when capture is off or the span does not record). */
export function setGenAiContent(span: Span, content: GenAiContent): void {
  if (!capture || !redactor || !span.isRecording()) return;
  const put = (key: string, v: unknown[] | undefined) => {
    if (v === undefined || v.length === 0) return;
    span.setAttribute(key, JSON.stringify(redactor!.redact(v)));
  };
  put(CONTENT_ATTR.SYSTEM_INSTRUCTIONS, content.system);
  put(CONTENT_ATTR.INPUT_MESSAGES, content.input);
  put(CONTENT_ATTR.OUTPUT_MESSAGES, content.output);
}

/** `arguments` as the conventions want them: an object when the provider sent JSON text. */
export function toolArguments(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}
