/**
 * The JSON shapes of GET /traces and GET /traces/<traceId>, and the old
 * in-house tracer's span shape (getTraceSpans), built from the ring on demand.
 * Pure functions of the ring's entries.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { hrToMs, type RingLog, type RingTrace } from './TraceRing.ts';

export interface TraceSummary {
  traceId: string;
  rootName: string;
  spanCount: number;
  durationMs: number;
  error: boolean;
  services: string[];
}

export interface TraceSpanView {
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: string;
  service: string;
  /** Epoch milliseconds (fractional). */
  startTime: number;
  durationMs: number;
  status: 'unset' | 'ok' | 'error';
  attributes: Record<string, unknown>;
  events: { name: string; time: number; attributes: Record<string, unknown> }[];
}

export interface TraceView {
  traceId: string;
  spans: TraceSpanView[];
  logs: RingLog[];
}

const KINDS = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS = ['unset', 'ok', 'error'] as const;

function serviceOf(span: ReadableSpan): string {
  return String(span.resource?.attributes['service.name'] ?? '');
}

function rootOf(spans: readonly ReadableSpan[]): ReadableSpan | undefined {
  let best: ReadableSpan | undefined;
  for (const s of spans) {
    const local = s.parentSpanContext === undefined || s.parentSpanContext.isRemote === true;
    if (local && (best === undefined || hrToMs(s.startTime) < hrToMs(best.startTime))) best = s;
  }
  if (best) return best;
  for (const s of spans) if (best === undefined || hrToMs(s.startTime) < hrToMs(best.startTime)) best = s;
  return best;
}

export function summarize(e: RingTrace): TraceSummary {
  const services = new Set<string>();
  for (const s of e.spans) services.add(serviceOf(s));
  return {
    traceId: e.traceId,
    rootName: rootOf(e.spans)?.name ?? '',
    spanCount: e.spans.length,
    durationMs: round3(e.durationMs),
    error: e.error,
    services: [...services],
  };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

export function spanView(s: ReadableSpan): TraceSpanView {
  return {
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext?.spanId ?? '',
    name: s.name,
    kind: KINDS[s.kind] ?? String(s.kind),
    service: serviceOf(s),
    startTime: round3(hrToMs(s.startTime)),
    durationMs: round3(hrToMs(s.duration)),
    status: STATUS[s.status.code] ?? 'unset',
    attributes: { ...s.attributes, ...(s.status.message ? { 'otel.status_description': s.status.message } : {}) },
    events: s.events.map((ev) => ({ name: ev.name, time: round3(hrToMs(ev.time)), attributes: { ...(ev.attributes ?? {}) } })),
  };
}

export function traceView(e: RingTrace): TraceView {
  // Parents before children that start in the same millisecond.
  const spans = e.spans.map(spanView).sort((a, b) => a.startTime - b.startTime || (a.parentSpanId === '' ? -1 : 0) - (b.parentSpanId === '' ? -1 : 0));
  return { traceId: e.traceId, spans, logs: [...(e.logs ?? [])] };
}

/** Merges another process's view of the same trace (a federation peer's): spans it has that this one lacks. */
export function mergeViews(local: TraceView | undefined, other: TraceView): TraceView {
  if (!local) return { traceId: other.traceId, spans: [...other.spans], logs: [...other.logs] };
  const seen = new Set(local.spans.map((s) => s.spanId));
  const spans = [...local.spans, ...other.spans.filter((s) => !seen.has(s.spanId))].sort((a, b) => a.startTime - b.startTime);
  const logs = [...local.logs, ...other.logs].sort((a, b) => a.time - b.time);
  return { traceId: local.traceId, spans, logs };
}

export interface TraceFilter {
  error?: boolean;
  minDurationMs?: number;
  limit?: number;
}

/** The newest finished traces that pass the filter. */
export function listTraces(entries: readonly RingTrace[], f: TraceFilter): TraceSummary[] {
  const out: TraceSummary[] = [];
  const limit = f.limit ?? 50;
  for (const e of entries) {
    if (out.length >= limit) break;
    // Log lines of a trace whose spans this process does not keep (the endpoint's own) make no trace.
    if (e.spans.length === 0) continue;
    if (f.error !== undefined && e.error !== f.error) continue;
    if (f.minDurationMs !== undefined && e.durationMs < f.minDurationMs) continue;
    out.push(summarize(e));
  }
  return out;
}

/** The old in-house tracer's span shape (monitoring/tracing.ts). */
export interface LegacySpan {
  context: { traceId: string; spanId: string; parentSpanId?: string; baggage: Map<string, string> };
  name: string;
  startTime: number;
  endTime?: number;
  duration?: number;
  status: 'ok' | 'error' | 'in_progress';
  attributes: Record<string, unknown>;
  events: { name: string; timestamp: number; attributes?: Record<string, unknown> }[];
}

export function legacySpan(s: ReadableSpan): LegacySpan {
  const sc = s.spanContext();
  const parent = s.parentSpanContext?.spanId;
  return {
    context: { traceId: sc.traceId, spanId: sc.spanId, ...(parent ? { parentSpanId: parent } : {}), baggage: new Map() },
    name: s.name,
    startTime: hrToMs(s.startTime),
    endTime: hrToMs(s.endTime),
    duration: hrToMs(s.duration),
    status: s.status.code === 2 ? 'error' : 'ok',
    attributes: { ...s.attributes },
    events: s.events.map((ev) => ({ name: ev.name, timestamp: hrToMs(ev.time), attributes: { ...(ev.attributes ?? {}) } })),
  };
}
