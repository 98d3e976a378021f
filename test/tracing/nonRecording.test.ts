/**
 * Tracing on, no trace exporter: the W3C processing model's participation,
 * with non-recording spans (fresh ids, the sampler's flag).
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { context, isSpanContextValid, propagation, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { resetGlobals } from './harness.ts';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { NonRecordingTracer, NonRecordingTracerProvider } from '../../src/tracing/NonRecordingTracerProvider.ts';
import { parseTraceState } from '../../src/tracing/parseTraceState.ts';
import { loadConfig } from '../../src/config.ts';
import { startSdk, type WundrSdk } from '../../src/sdk/start.ts';
import { tracingFeature } from '../../src/tracing/feature.ts';
import { startSpan } from '../../src/tracing/spans.ts';
import { llmTraceMetadata } from '../../src/tracing/agentSpans.ts';
import { configureLogging, InMemoryLogWriter, StructuredLogger } from '../../src/logging/index.ts';
import { resetLoggingForTests } from '../../src/logging/runtime.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const remote = (traceFlags: TraceFlags, traceId = TRACE, spanId = SPAN) =>
  trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags, isRemote: true, traceState: parseTraceState('congo=t61rcWkgMzE') });
const parentBased = new ParentBasedSampler({ root: new AlwaysOnSampler() });

let sdk: WundrSdk | undefined;
afterEach(async () => {
  await resetGlobals(sdk);
  sdk = undefined;
});

test('no parent: a new trace id and span id, the sampler\'s flag, nothing recorded', () => {
  const on = new NonRecordingTracer(new AlwaysOnSampler()).startSpan('x', {}, ROOT_CONTEXT);
  const sc = on.spanContext();
  assert.ok(isSpanContextValid(sc));
  assert.equal(on.isRecording(), false);
  assert.equal(sc.traceFlags, TraceFlags.SAMPLED);
  assert.equal(sc.isRemote, undefined);
  const off = new NonRecordingTracer(new AlwaysOffSampler()).startSpan('x', {}, ROOT_CONTEXT).spanContext();
  assert.ok(isSpanContextValid(off));
  assert.equal(off.traceFlags, TraceFlags.NONE);
  assert.notEqual(off.traceId, sc.traceId);
  // A ratio sampler decides by trace id, as with export on.
  const half = new NonRecordingTracer(new TraceIdRatioBasedSampler(0.5));
  const sampled = Array.from({ length: 2000 }, () => half.startSpan('x', {}, ROOT_CONTEXT).spanContext().traceFlags).filter((f) => f === TraceFlags.SAMPLED).length;
  assert.ok(sampled > 800 && sampled < 1200, `sampled ${sampled} of 2000`);
});

test('a valid parent: same trace, a fresh span id (the current operation), parent-based flag, tracestate kept', () => {
  const t = new NonRecordingTracer(parentBased);
  const child = t.startSpan('x', {}, remote(TraceFlags.SAMPLED)).spanContext();
  assert.equal(child.traceId, TRACE);
  assert.notEqual(child.spanId, SPAN);
  assert.match(child.spanId, /^[0-9a-f]{16}$/);
  assert.equal(child.traceFlags, TraceFlags.SAMPLED);
  assert.equal(child.traceState?.get('congo'), 't61rcWkgMzE');
  assert.equal(t.startSpan('x', {}, remote(TraceFlags.NONE)).spanContext().traceFlags, TraceFlags.NONE, 'an unsampled parent is followed');
  const grandchild = t.startSpan('y', {}, trace.setSpanContext(ROOT_CONTEXT, child)).spanContext();
  assert.equal(grandchild.traceId, TRACE);
  assert.notEqual(grandchild.spanId, child.spanId);
});

test('an invalid parent or root: true starts a new trace', () => {
  const t = new NonRecordingTracer(parentBased);
  const bad = t.startSpan('x', {}, remote(TraceFlags.SAMPLED, '0'.repeat(32))).spanContext();
  assert.ok(isSpanContextValid(bad));
  assert.notEqual(bad.traceId, '0'.repeat(32));
  const root = t.startSpan('x', { root: true }, remote(TraceFlags.SAMPLED)).spanContext();
  assert.notEqual(root.traceId, TRACE);
  assert.equal(root.traceState, undefined);
});

test('startActiveSpan makes the span active for its callback, with each overload', () => {
  const t = new NonRecordingTracerProvider(parentBased).getTracer();
  context.setGlobalContextManager(new (require('@opentelemetry/context-async-hooks').AsyncLocalStorageContextManager)().enable());
  const ids = [
    t.startActiveSpan('a', (s) => [s.spanContext().spanId, trace.getActiveSpan()?.spanContext().spanId]),
    t.startActiveSpan('b', { kind: SpanKind.CLIENT }, (s) => [s.spanContext().spanId, trace.getActiveSpan()?.spanContext().spanId]),
    t.startActiveSpan('c', {}, remote(TraceFlags.SAMPLED), (s) => [s.spanContext().traceId, trace.getActiveSpan()?.spanContext().traceId]),
  ];
  for (const [a, b] of ids) assert.equal(a, b);
  assert.equal(ids[2]![0], TRACE);
});

test('startSdk with OTEL_TRACES_EXPORTER=none: helpers get fresh ids, injection and trace fields carry them', async () => {
  const { config } = loadConfig({ OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', METRICS_ENABLED: 'false', OTEL_LOG_LEVEL: 'none' });
  sdk = startSdk(config, { features: [tracingFeature()], endpoint: false, httpInstrumentation: false });
  const span = startSpan('op', {}, remote(TraceFlags.SAMPLED));
  assert.equal(span.isRecording(), false);
  const sc = span.spanContext();
  assert.equal(sc.traceId, TRACE);
  assert.notEqual(sc.spanId, SPAN, 'the current operation has its own id');
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), headers);
  assert.equal(headers.traceparent, `00-${TRACE}-${sc.spanId}-01`);
  assert.equal(headers.tracestate, 'congo=t61rcWkgMzE');
  const fresh = startSpan('root-op');
  assert.ok(isSpanContextValid(fresh.spanContext()), 'no incoming context: a new trace');
  const fields = llmTraceMetadata(trace.setSpan(ROOT_CONTEXT, fresh));
  assert.equal(fields.trace_id, fresh.spanContext().traceId);
  assert.match(String(fields.traceparent), new RegExp(`^00-${fresh.spanContext().traceId}-${fresh.spanContext().spanId}-01$`));
});

test('OTEL_TRACES_EXPORTER=none: a log line inside a request without a context carries the new trace id', async () => {
  const { config } = loadConfig({ OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', METRICS_ENABLED: 'false', OTEL_LOG_LEVEL: 'none' });
  sdk = startSdk(config, { features: [tracingFeature()], endpoint: false, httpInstrumentation: false });
  const mem = new InMemoryLogWriter();
  configureLogging({ format: 'json', level: 'info', destination: mem });
  try {
    const span = trace.getTracer('t').startSpan('request');
    context.with(trace.setSpan(ROOT_CONTEXT, span), () => new StructuredLogger('Api').info('handled'));
    const line = JSON.parse(mem.lines.at(-1)!) as { traceId?: string; spanId?: string };
    assert.equal(line.traceId, span.spanContext().traceId);
    assert.equal(line.spanId, span.spanContext().spanId);
    assert.match(line.traceId!, /^[0-9a-f]{32}$/);
  } finally {
    resetLoggingForTests();
  }
});

test('TRACING_ENABLED=false keeps forwarding mode: the incoming context passes through unchanged', async () => {
  const { config } = loadConfig({ TRACING_ENABLED: 'false', OTEL_LOGS_EXPORTER: 'none', METRICS_ENABLED: 'false', OTEL_LOG_LEVEL: 'none' });
  sdk = startSdk(config, { features: [tracingFeature()], endpoint: false, httpInstrumentation: false });
  const span = startSpan('op', {}, remote(TraceFlags.SAMPLED));
  assert.equal(span.spanContext().spanId, SPAN);
});
