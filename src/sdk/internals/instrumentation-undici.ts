/**
 * fetch() and undici requests: @opentelemetry/instrumentation-undici (0.34),
 * with one change. The stock instrumentation adds `traceparent`,
 * `tracestate` and `baggage` with undici's `addHeader`, which appends: a
 * request that already carried them (built with `federationHeaders()`, or
 * by a client that propagates itself, as the Anthropic SDK does) would leave
 * with two `traceparent` values, which a receiver joins into one invalid
 * header and answers with a fresh trace. Here, after the stock hook, a
 * propagation header that now appears twice keeps only its last value (the
 * one just injected). The hook is private in the typings;
 * test/sdk/internals.test.ts fails when a new version moves it.
 */
import { diag, propagation } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { UndiciInstrumentationConfig } from '@opentelemetry/instrumentation-undici';

type Hook = (message: { request?: { headers?: unknown } }) => void;

/**
 * Removes earlier values of the propagation headers that appear more than
 * once in undici's flat `[name, value, …]` header array (undici >= 6, the
 * one in Node 22+). Costs one scan of the names when nothing repeats.
 */
export function dropShadowedPropagationHeaders(h: unknown[]): void {
  let repeated: Set<string> | undefined;
  const seen = new Set<string>();
  for (let i = 0; i < h.length; i += 2) {
    if (typeof h[i] !== 'string') continue;
    const name = (h[i] as string).toLowerCase();
    if (seen.has(name)) (repeated ??= new Set()).add(name);
    else seen.add(name);
  }
  if (!repeated) return;
  const fields = new Set(propagation.fields().map((f) => f.toLowerCase()));
  for (const name of repeated) {
    if (!fields.has(name)) continue;
    let last = -1;
    for (let i = h.length - 2; i >= 0; i -= 2) {
      if (typeof h[i] !== 'string' || (h[i] as string).toLowerCase() !== name) continue;
      if (last === -1) last = i;
      else h.splice(i, 2);
    }
  }
}

/** The undici instrumentation (throws when the package is missing). */
export function createUndiciInstrumentation(config: UndiciInstrumentationConfig = {}): Instrumentation {
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  const stock = (UndiciInstrumentation.prototype as unknown as { onRequestCreated?: Hook }).onRequestCreated;
  if (typeof stock !== 'function') {
    diag.debug('@wundr/otel: instrumentation-undici has no onRequestCreated; propagation headers set by the caller are appended to, not replaced');
    return new UndiciInstrumentation(config);
  }
  // Extended through a constructor type without the private hook.
  const Base = UndiciInstrumentation as unknown as new (c: UndiciInstrumentationConfig) => Instrumentation;
  class ReplacingUndiciInstrumentation extends Base {
    onRequestCreated(message: { request?: { headers?: unknown } }): void {
      stock!.call(this, message);
      const h = message?.request?.headers;
      if (Array.isArray(h)) dropShadowedPropagationHeaders(h);
    }
  }
  return new ReplacingUndiciInstrumentation(config);
}
