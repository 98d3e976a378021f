import type { LogLevelName } from '../config.ts';

/** One log line's content: docs/LOGGING.md, field for field. */
export interface LogEntry {
  /** ISO 8601. */
  timestamp: string;
  level: LogLevelName;
  message: string;
  /** Logger name (e.g. 'SessionExecutor'). */
  component: string;
  /** Distributed trace id (32 hex) of the active span, or a bound `traceId`. */
  traceId?: string;
  spanId?: string;
  /** The active span's parent, when the span exposes it (SDK spans do). */
  parentSpanId?: string;
  sessionId?: string;
  orchestratorId?: string;
  correlationId?: string;
  /** Operation duration in ms (startTimer, or `duration` in the metadata). */
  duration?: number;
  error?: { message: string; stack?: string; code?: string };
  metadata?: Record<string, unknown>;
}

/** LogEntry keys in the order the seed lists them (and the JSON line prints them). */
export const LOG_ENTRY_KEYS = [
  'timestamp',
  'level',
  'message',
  'component',
  'traceId',
  'spanId',
  'parentSpanId',
  'sessionId',
  'orchestratorId',
  'correlationId',
  'duration',
  'error',
  'metadata',
] as const;

/**
 * The json mode line: one JSON object, keys in seed order, absent fields
 * left out, then '\n'. The entry's metadata must already be JSON-safe (the
 * logger passes it through the redactor).
 */
export function formatJsonLine(e: LogEntry): string {
  let s = `{"timestamp":${JSON.stringify(e.timestamp)},"level":"${e.level}","message":${JSON.stringify(e.message)},"component":${JSON.stringify(e.component)}`;
  if (e.traceId !== undefined) s += `,"traceId":${JSON.stringify(e.traceId)}`;
  if (e.spanId !== undefined) s += `,"spanId":${JSON.stringify(e.spanId)}`;
  if (e.parentSpanId !== undefined) s += `,"parentSpanId":${JSON.stringify(e.parentSpanId)}`;
  if (e.sessionId !== undefined) s += `,"sessionId":${JSON.stringify(e.sessionId)}`;
  if (e.orchestratorId !== undefined) s += `,"orchestratorId":${JSON.stringify(e.orchestratorId)}`;
  if (e.correlationId !== undefined) s += `,"correlationId":${JSON.stringify(e.correlationId)}`;
  if (e.duration !== undefined) s += `,"duration":${jsonNumber(e.duration)}`;
  if (e.error !== undefined) s += `,"error":${JSON.stringify(e.error)}`;
  if (e.metadata !== undefined) s += `,"metadata":${JSON.stringify(e.metadata)}`;
  return `${s}}\n`;
}

function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

// Everything that could break a line or fake another one: C0 controls,
// DEL, C1 controls (U+0085 NEL among them), and the Unicode line/paragraph
// separators.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// eslint-disable-next-line no-control-regex
const UNSAFE_G = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** Escapes control characters and line separators so the text stays on one line. */
export function escapeText(s: string): string {
  if (!UNSAFE.test(s)) return s;
  return s.replace(UNSAFE_G, (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// A bare value must not be mistaken for another field or contain a quote.
const BARE = /^[^\s"=\\\u0000-\u001f\u007f-\u009f\u2028\u2029]+$/;

function textValue(v: unknown): string {
  if (typeof v === 'string') return v !== '' && BARE.test(v) ? v : escapeText(JSON.stringify(v));
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  // JSON.stringify escapes control characters inside strings; U+2028/9 it leaves.
  return escapeText(JSON.stringify(v) ?? 'undefined');
}

function textKey(k: string): string {
  return /^[\w.$@:-]+$/.test(k) ? k : escapeText(JSON.stringify(k));
}

/**
 * The text mode line (docs/LOGGING.md, the old format):
 * `[timestamp] [LEVEL] [component] [trace=<8 hex>] message key=value …`.
 * The trace part appears when a trace id is known. Strings with spaces,
 * quotes or `=` are JSON-quoted; control characters and newlines are
 * escaped everywhere, so one call is one line.
 */
export function formatTextLine(e: LogEntry): string {
  let s = `[${e.timestamp}] [${e.level.toUpperCase()}] [${escapeText(e.component)}]`;
  if (e.traceId !== undefined) s += ` [trace=${escapeText(e.traceId.slice(0, 8))}]`;
  s += ` ${escapeText(e.message)}`;
  if (e.spanId !== undefined) s += ` spanId=${textValue(e.spanId)}`;
  if (e.parentSpanId !== undefined) s += ` parentSpanId=${textValue(e.parentSpanId)}`;
  if (e.sessionId !== undefined) s += ` sessionId=${textValue(e.sessionId)}`;
  if (e.orchestratorId !== undefined) s += ` orchestratorId=${textValue(e.orchestratorId)}`;
  if (e.correlationId !== undefined) s += ` correlationId=${textValue(e.correlationId)}`;
  if (e.duration !== undefined) s += ` duration=${jsonNumber(e.duration)}ms`;
  if (e.metadata !== undefined) {
    for (const k of Object.keys(e.metadata)) {
      const v = e.metadata[k];
      if (v !== undefined) s += ` ${textKey(k)}=${textValue(v)}`;
    }
  }
  if (e.error !== undefined) {
    s += ` error=${textValue(e.error.message)}`;
    if (e.error.code !== undefined) s += ` code=${textValue(e.error.code)}`;
    if (e.error.stack !== undefined) s += ` stack=${textValue(e.error.stack)}`;
  }
  return `${s}\n`;
}
