import { context, propagation, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { LEGACY_SPAN_ID_FIELD, LEGACY_TRACE_ID_FIELD } from './LegacyTraceIdPropagator.ts';

/** Plain object carrying trace context in a WebSocket (or any JSON) message payload. */
export type PayloadCarrier = Record<string, unknown>;

/**
 * Longest value read per field. A payload is attacker-controlled JSON: a
 * multi-megabyte `baggage` string must not be scanned or kept. The limits
 * are the specs' own (W3C baggage 8192 bytes; tracestate 32 members).
 */
const MAX_FIELD_LENGTH: Record<string, number> = {
  traceparent: 512,
  tracestate: 16_600,
  baggage: 8192,
  [LEGACY_TRACE_ID_FIELD]: 64,
  [LEGACY_SPAN_ID_FIELD]: 64,
};
const DEFAULT_MAX = 512;

/** Old payload keys of the in-house tracer, read as aliases of the legacy fields. */
const ALIASES: Record<string, readonly string[]> = {
  [LEGACY_TRACE_ID_FIELD]: ['traceId', 'trace_id'],
  [LEGACY_SPAN_ID_FIELD]: ['spanId', 'span_id'],
};

const hasOwn = Object.prototype.hasOwnProperty;

function own(carrier: object, key: string): unknown {
  return hasOwn.call(carrier, key) ? (carrier as Record<string, unknown>)[key] : undefined;
}

function bounded(key: string, v: unknown): string | string[] | undefined {
  const max = MAX_FIELD_LENGTH[key] ?? DEFAULT_MAX;
  if (typeof v === 'string') return v.length <= max ? v : undefined;
  if (Array.isArray(v) && v.length <= 64) {
    let total = 0;
    for (const item of v) {
      if (typeof item !== 'string') return undefined;
      total += item.length;
      if (total > max) return undefined;
    }
    return v as string[];
  }
  return undefined;
}

/**
 * Reads `traceparent`, `tracestate`, `baggage` and the legacy `x-trace-id` /
 * `x-span-id` fields (plus the old `traceId`/`spanId` keys) from a payload.
 * Only own string fields of bounded length are read: prototypes, numbers,
 * objects and oversized values count as absent.
 */
export const payloadGetter: TextMapGetter<PayloadCarrier> = {
  keys(carrier) {
    return carrier !== null && typeof carrier === 'object' ? Object.keys(carrier) : [];
  },
  get(carrier, key) {
    if (carrier === null || typeof carrier !== 'object') return undefined;
    let v = own(carrier, key);
    if (v === undefined) {
      const aliases = ALIASES[key];
      if (aliases) for (const a of aliases) if ((v = own(carrier, a)) !== undefined) break;
    }
    return bounded(key, v);
  },
};

/** Writes propagation fields as plain string properties of the payload. */
export const payloadSetter: TextMapSetter<PayloadCarrier> = {
  set(carrier, key, value) {
    if (carrier !== null && typeof carrier === 'object') carrier[key] = value;
  },
};

/**
 * The context carried by a message payload, on top of `base` (default: the
 * active context). Uses the global propagator (W3C trace context, baggage,
 * legacy x-trace-id). A malformed or hostile payload yields `base`
 * unchanged, so the next span starts a fresh trace. Never throws.
 *
 * @example
 * const parent = extractPayloadContext(msg.payload);
 * const span = startWsMessageSpan(msg.type, { parent });
 */
export function extractPayloadContext(payload: unknown, base: Context = context.active()): Context {
  if (payload === null || typeof payload !== 'object') return base;
  try {
    return propagation.extract(base, payload as PayloadCarrier, payloadGetter);
  } catch {
    // A getter or Proxy in the payload threw: treat it as carrying nothing.
    return base;
  }
}

/**
 * Writes the context (default: active) into `payload` as `traceparent`
 * (+ `tracestate`, `baggage`, and `x-trace-id` when configured) and returns
 * the same object.
 *
 * @example
 * ws.send(JSON.stringify({ type: 'task', payload: injectPayloadContext({ task }) }));
 */
export function injectPayloadContext<T extends object>(payload: T, ctx: Context = context.active()): T {
  try {
    propagation.inject(ctx, payload as unknown as PayloadCarrier, payloadSetter);
  } catch {
    // A frozen payload: nothing to add.
  }
  return payload;
}

/** Header getter for plain `Record<string, string | string[]>` header objects (case-insensitive, bounded). */
export const headerGetter: TextMapGetter<Record<string, unknown>> = {
  keys(carrier) {
    return carrier !== null && typeof carrier === 'object' ? Object.keys(carrier) : [];
  },
  get(carrier, key) {
    if (carrier === null || typeof carrier !== 'object') return undefined;
    let v = own(carrier, key);
    if (v === undefined) {
      const lower = key.toLowerCase();
      for (const k of Object.keys(carrier)) {
        if (k.toLowerCase() === lower) {
          v = carrier[k];
          break;
        }
      }
    }
    return bounded(key, v);
  },
};
