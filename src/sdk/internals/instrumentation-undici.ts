/**
 * fetch() and undici requests: @opentelemetry/instrumentation-undici, with
 * one change. The stock instrumentation adds `traceparent`, `tracestate` and
 * `baggage` with undici's `addHeader`, which appends: a request that already
 * carries them (built with `federationHeaders()`, or by a client that
 * propagates itself) would leave with two `traceparent` values, which a
 * receiver joins into one invalid header and answers with a fresh trace.
 * Here a header the propagator writes replaces one of the same name.
 */
import { diag } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { UndiciInstrumentationConfig } from '@opentelemetry/instrumentation-undici';

interface UndiciRequestLike {
  headers?: unknown;
  addHeader?: (name: string, value: string) => unknown;
}

type Hook = (message: { request: UndiciRequestLike }) => void;

/**
 * undici >= 6 (the one in Node 22+) keeps request headers as a flat
 * `[name, value, …]` array; older ones as a string, left to the stock path.
 */
function replacingAddHeader(request: UndiciRequestLike, original: (name: string, value: string) => unknown) {
  return (name: string, value: string): unknown => {
    const h = request.headers;
    if (Array.isArray(h)) {
      const lower = name.toLowerCase();
      let found = -1;
      for (let i = 0; i < h.length; i += 2) {
        if (typeof h[i] === 'string' && (h[i] as string).toLowerCase() === lower) {
          if (found === -1) {
            found = i;
            h[i + 1] = value;
          } else {
            h.splice(i, 2);
            i -= 2;
          }
        }
      }
      if (found !== -1) return request;
    }
    return original.call(request, name, value);
  };
}

/** The undici instrumentation (throws when the package is missing). */
export function createUndiciInstrumentation(config: UndiciInstrumentationConfig = {}): Instrumentation {
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  const proto = UndiciInstrumentation.prototype as unknown as { onRequestCreated?: Hook };
  if (typeof proto.onRequestCreated !== 'function') {
    diag.debug('@wundr/otel: instrumentation-undici has no onRequestCreated; propagation headers set by the caller are appended to, not replaced');
    return new UndiciInstrumentation(config);
  }
  const stock = proto.onRequestCreated;
  // The hook is private in the typings: extended through a constructor type without it.
  const Base = UndiciInstrumentation as unknown as new (c: UndiciInstrumentationConfig) => Instrumentation;
  class ReplacingUndiciInstrumentation extends Base {
    onRequestCreated(message: { request: UndiciRequestLike }): void {
      const request = message?.request;
      const add = request?.addHeader;
      if (typeof add !== 'function' || !Array.isArray(request.headers)) return stock.call(this, message);
      const own = Object.hasOwn(request, 'addHeader');
      // Shadows the method for the duration of the call only.
      request.addHeader = replacingAddHeader(request, add);
      try {
        stock.call(this, message);
      } finally {
        if (own) request.addHeader = add;
        else delete request.addHeader;
      }
    }
  }
  return new ReplacingUndiciInstrumentation(config);
}
