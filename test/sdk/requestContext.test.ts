/**
 * The one-object context of an incoming request answers as the two stacked
 * API contexts it replaces: for the span, the RPC metadata, whatever the
 * parent holds (a remote span context, baggage, a key of the app's), and for
 * every context derived from it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { context, createContextKey, propagation, ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { getRPCMetadata, isTracingSuppressed, RPCType, setRPCMetadata, suppressTracing, W3CBaggagePropagator, W3CTraceContextPropagator, CompositePropagator } from '@opentelemetry/core';
import { AlwaysOnSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { requestContext, requestContextKeysKnown } from '../../src/sdk/RequestContext.ts';

const APP_KEY = createContextKey('app key');
const OTHER_KEY = createContextKey('other key');
const propagator = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });

function parents(): Context[] {
  const remote = propagator.extract(
    ROOT_CONTEXT,
    { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', baggage: 'tenant=t1' },
    { get: (c, k) => (c as Record<string, string>)[k], keys: (c) => Object.keys(c as object) },
  );
  return [ROOT_CONTEXT, remote, remote.setValue(APP_KEY, 'app value')];
}

test('the API keys are learned from trace.setSpan and setRPCMetadata', () => {
  assert.equal(requestContextKeysKnown, true);
});

test('reads answer as the stacked contexts; derived contexts carry everything', () => {
  const tracer = new TracerProvider({ sampler: new AlwaysOnSampler() }).getTracer('t');
  for (const parent of parents()) {
    const span = tracer.startSpan('GET', {}, parent);
    const rpc = { type: RPCType.HTTP, span };
    const ours = requestContext(parent, rpc);
    const stacked = setRPCMetadata(trace.setSpan(parent, span), rpc);
    assert.notEqual(ours.constructor, stacked.constructor, 'not the stacked contexts themselves');
    for (const c of [ours, stacked]) {
      assert.equal(trace.getSpan(c), span);
      assert.equal(getRPCMetadata(c), rpc);
      assert.equal(c.getValue(APP_KEY), parent.getValue(APP_KEY));
      assert.equal(c.getValue(OTHER_KEY), undefined);
      assert.equal(propagation.getBaggage(c)?.getEntry('tenant')?.value, propagation.getBaggage(parent)?.getEntry('tenant')?.value);
    }
    const carrierOurs: Record<string, string> = {};
    const carrierStacked: Record<string, string> = {};
    propagator.inject(ours, carrierOurs, { set: (c, k, v) => ((c as Record<string, string>)[k] = v) });
    propagator.inject(stacked, carrierStacked, { set: (c, k, v) => ((c as Record<string, string>)[k] = v) });
    assert.deepEqual(carrierOurs, carrierStacked);
    assert.match(carrierOurs.traceparent!, new RegExp(`^00-${span.spanContext().traceId}-${span.spanContext().spanId}-01$`));

    const derived = ours.setValue(OTHER_KEY, 42);
    assert.equal(derived.getValue(OTHER_KEY), 42);
    assert.equal(trace.getSpan(derived), span);
    assert.equal(getRPCMetadata(derived), rpc);
    assert.equal(derived.getValue(APP_KEY), parent.getValue(APP_KEY));
    assert.equal(ours.getValue(OTHER_KEY), undefined, 'deriving leaves the request context as it was');

    const child = tracer.startSpan('child', {}, ours);
    assert.equal(child.spanContext().traceId, span.spanContext().traceId);
    assert.equal((child as unknown as { parentSpanContext?: { spanId: string } }).parentSpanContext?.spanId, span.spanContext().spanId);

    const childCtx = trace.setSpan(ours, child);
    assert.equal(trace.getSpan(childCtx), child);
    assert.equal(getRPCMetadata(childCtx), rpc);

    assert.equal(isTracingSuppressed(ours), false);
    assert.equal(isTracingSuppressed(suppressTracing(ours)), true);
    assert.equal(trace.getSpan(suppressTracing(ours)), span);

    const noSpan = trace.deleteSpan(ours);
    assert.equal(trace.getSpan(noSpan), undefined);
    assert.equal(getRPCMetadata(noSpan), rpc);
    assert.equal(trace.getSpan(ours), span);
    span.end();
    child.end();
  }
});

test('context.with makes it the active context, as any context', () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const tracer = new TracerProvider().getTracer('t');
  const span = tracer.startSpan('GET');
  const ctx = requestContext(ROOT_CONTEXT, { type: RPCType.HTTP, span });
  context.with(ctx, () => {
    assert.equal(context.active(), ctx);
    assert.equal(trace.getActiveSpan(), span);
  });
});
