/**
 * The context of an incoming request: its parent (what propagation
 * extracted), its SERVER span and its RPC metadata, in one small object
 * instead of the two contexts `trace.setSpan` and `setRPCMetadata` would
 * stack (each the API's BaseContext: an object, a copy of the parent's Map
 * and three closures). Per request that was most of the allocation the
 * server span adds, and the contexts a keep-alive socket's timer still
 * holds after the request are what V8 copies at every young collection
 * (docs/BENCHMARKS.md).
 *
 * It is a Context as the API defines one (getValue, setValue,
 * deleteValue): reading the span, the RPC metadata or anything the parent
 * holds answers as the stacked contexts would, and so does every context
 * derived from it (a child span's, suppressed tracing, baggage), which
 * holds its own keys and reads the rest through this one.
 *
 * The span is read from the RPC metadata (its `span`, the request's
 * SERVER span) at each read, so the request's end can swap the ended span
 * for a non-recording one of the same span context: a keep-alive timer
 * that still holds this context then holds a few bytes, not the ended
 * span with its attributes and times (docs/PERFORMANCE.md).
 *
 * The two keys are the API's own, learned at load by handing a probe
 * context to `trace.setSpan` and `setRPCMetadata`: no private member is
 * read. Should either not be learned, `requestContext` stacks the
 * contexts as before.
 */
import { INVALID_SPAN_CONTEXT, trace, type Context, type Span } from '@opentelemetry/api';
import { RPCType, setRPCMetadata, type RPCMetadata } from '@opentelemetry/core';

function keyOf(set: (ctx: Context) => Context): symbol | undefined {
  let key: symbol | undefined;
  const probe: Context = {
    getValue: () => undefined,
    setValue(k: symbol) {
      key = k;
      return probe;
    },
    deleteValue: () => probe,
  };
  try {
    set(probe);
  } catch {
    return undefined;
  }
  return key;
}

const SPAN_KEY = keyOf((c) => trace.setSpan(c, trace.wrapSpanContext(INVALID_SPAN_CONTEXT)));
const RPC_KEY = keyOf((c) => setRPCMetadata(c, { type: RPCType.HTTP, span: trace.wrapSpanContext(INVALID_SPAN_CONTEXT) }));

/** The RPC metadata of an HTTP request, with its SERVER span. */
export type RequestMetadata = RPCMetadata & { span: Span };

class RequestContext implements Context {
  constructor(
    private readonly parent: Context,
    private readonly rpc: RequestMetadata,
  ) {}

  getValue(key: symbol): unknown {
    if (key === SPAN_KEY) return this.rpc.span;
    if (key === RPC_KEY) return this.rpc;
    return this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return new DerivedContext(this, new Map([[key, value]]));
  }

  deleteValue(key: symbol): Context {
    return this.setValue(key, undefined);
  }
}

/**
 * A context derived from a request's (a child span's, suppressed tracing,
 * baggage, a key of the app's): its own keys over the request context,
 * which it reads through rather than copies, so it too sees the ended
 * span's view once the request has ended instead of holding the span.
 * A deleted key is kept as undefined (what getValue answers for it).
 */
class DerivedContext implements Context {
  constructor(
    private readonly base: RequestContext,
    private readonly own: Map<symbol, unknown>,
  ) {}

  getValue(key: symbol): unknown {
    return this.own.has(key) ? this.own.get(key) : this.base.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    const own = new Map(this.own);
    own.set(key, value);
    return new DerivedContext(this.base, own);
  }

  deleteValue(key: symbol): Context {
    return this.setValue(key, undefined);
  }
}

/** Whether the API's keys were learned: without them `requestContext` stacks the API's contexts, which hold the span itself. */
export const requestContextKeysKnown = SPAN_KEY !== undefined && RPC_KEY !== undefined;

/** `parent` with `rpc.span` as the active span and `rpc` as the RPC metadata. */
export function requestContext(parent: Context, rpc: RequestMetadata): Context {
  if (!requestContextKeysKnown) return setRPCMetadata(trace.setSpan(parent, rpc.span), rpc);
  return new RequestContext(parent, rpc);
}
