import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { resetGlobals } from './harness.ts';
import { loadConfig } from '../../src/config.ts';
import { startSdk, type WundrSdk } from '../../src/sdk/start.ts';
import { tracingFeature } from '../../src/tracing/feature.ts';
import { spanTtlTracker, startSpan } from '../../src/tracing/spans.ts';
import { startToolSpan } from '../../src/tracing/agentSpans.ts';
import { extractPayloadContext } from '../../src/tracing/payloadCarrier.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.ts';

let receiver: OtlpReceiver;
let sdk: WundrSdk | undefined;
before(async () => {
  receiver = await startOtlpReceiver();
});
after(async () => {
  await receiver.close();
});
afterEach(async () => {
  await resetGlobals(sdk);
  sdk = undefined;
});

function start(env: Record<string, string>): WundrSdk {
  const { config } = loadConfig({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_LOGS_EXPORTER: 'none',
    METRICS_ENABLED: 'false',
    OTEL_LOG_LEVEL: 'none',
    ...env,
  });
  return startSdk(config, { features: [tracingFeature()], endpoint: false, httpInstrumentation: false });
}

test('the SDK wires the helpers: a leaked helper span is ended by the TTL sweep and exported as expired', async () => {
  sdk = start({ TRACING_SPAN_TTL_MS: '1000', OTEL_SERVICE_NAME: 'ttl-svc' });
  startToolSpan({ toolName: 'never_ended' });
  startToolSpan({ toolName: 'ended' }).end();
  await receiver.waitFor(() => receiver.spans().some((s) => s.name === 'execute_tool never_ended'), 10000, 'the expired span');
  const s = receiver.spans().find((x) => x.name === 'execute_tool never_ended')!;
  assert.equal(s.status.code, 2);
  assert.equal(s.attributes['wundr.span.expired'], true);
  assert.equal(s.resource['service.name'], 'ttl-svc');
  assert.equal(spanTtlTracker()?.stats().expired, 1);
});

test('the SDK propagator follows the current tracestate grammar and accepts the legacy id', () => {
  sdk = start({});
  const bad = extractPayloadContext({ traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, tracestate: 'ok=1,x=a=b,foo@=2' }, ROOT_CONTEXT);
  assert.equal(trace.getSpanContext(bad)?.traceState?.serialize(), 'ok=1,foo@=2', 'the invalid member dropped, the rest kept');
  const legacy = extractPayloadContext({ 'x-trace-id': 'c'.repeat(32) }, ROOT_CONTEXT);
  assert.equal(trace.getSpanContext(legacy)?.traceId, 'c'.repeat(32));
});

test('TRACING_ENABLED=false: helpers pass the caller context through, nothing is recorded, no TTL tracker', async () => {
  sdk = start({ TRACING_ENABLED: 'false', OTEL_SERVICE_NAME: 'off-svc' });
  const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'd'.repeat(32), spanId: 'e'.repeat(16), traceFlags: TraceFlags.SAMPLED, isRemote: true });
  const s = startToolSpan({ toolName: 'x' }, parent);
  assert.equal(s.isRecording(), false);
  assert.equal(s.spanContext().spanId, 'e'.repeat(16));
  assert.equal(s.spanContext().traceFlags, TraceFlags.SAMPLED);
  s.end();
  startSpan('root').end();
  assert.equal(spanTtlTracker(), undefined);
  await sdk.forceFlush();
  assert.ok(!receiver.spans().some((x) => x.resource['service.name'] === 'off-svc'));
});
