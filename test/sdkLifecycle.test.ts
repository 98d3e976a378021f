/**
 * Stopping and starting the SDK in one process: metrics recorded while the
 * SDK shuts down reach its last OTLP export; a stopped SDK keeps its API
 * globals (a host serving on keeps propagation) until the next start, which
 * releases only what the stopped SDK registered; a host's own registrations
 * survive both.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { propagation, ROOT_CONTEXT, trace, type TextMapPropagator } from '@opentelemetry/api';
import { freePort } from './support/child.ts';
import { startOtlpReceiver, type OtlpReceiver } from './support/otlpReceiver.ts';
import { loadConfig } from '../src/config.ts';
import { startSdk, type WundrSdk } from '../src/sdk/start.ts';
import { recordAgentSpawned } from '../src/metrics/wundrMetrics.ts';

let receiver: OtlpReceiver | undefined;
let sdk: WundrSdk | undefined;
after(async () => {
  await sdk?.shutdown();
  await receiver?.close();
});

async function config(extra: Record<string, string> = {}) {
  return loadConfig({
    METRICS_PORT: String(await freePort()),
    METRICS_HOST: '127.0.0.1',
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_METRICS_EXPORTER: 'none',
    ...extra,
  }).config;
}

const hostPropagator: TextMapPropagator = {
  inject: (_ctx, carrier, setter) => setter.set(carrier, 'x-host', '1'),
  extract: (ctx) => ctx,
  fields: () => ['x-host'],
};

// First in the file: the host registers before any SDK of ours ever ran.
test("a host's own propagator, registered first, survives our start, stop and next start", async () => {
  assert.ok(propagation.setGlobalPropagator(hostPropagator));
  sdk = startSdk(await config(), { httpInstrumentation: false });
  await sdk.shutdown();
  sdk = startSdk(await config(), { httpInstrumentation: false });
  assert.deepEqual(propagation.fields(), ['x-host']);
  await sdk.shutdown();
  sdk = undefined;
  propagation.disable(); // the host leaves; the next tests start clean
});

test('metrics recorded after shutdown() was called reach the final OTLP export', async () => {
  receiver = await startOtlpReceiver();
  sdk = startSdk(
    await config({ OTEL_METRICS_EXPORTER: 'otlp', OTEL_METRIC_EXPORT_INTERVAL: '600000', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }),
    { httpInstrumentation: false },
  );
  recordAgentSpawned('late', 'x');
  const stopping = sdk.shutdown();
  // The host is still draining its work while the SDK stops.
  recordAgentSpawned('late', 'x');
  await stopping;
  const points = receiver
    .metrics()
    .filter((m) => m.name === 'wundr_agent_spawned')
    .flatMap((m) => m.dataPoints.filter((p) => p.attributes.orchestrator_id === 'late'));
  assert.deepEqual(points.map((p) => p.value), [2]);
});

test('a stopped SDK keeps propagating until the next start, which registers its own', async () => {
  sdk = startSdk(await config({ OTEL_PROPAGATORS: 'tracecontext' }), { httpInstrumentation: false });
  await sdk.shutdown();
  // A request still being served after shutdown keeps its trace context flowing downstream.
  const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 });
  const carrier: Record<string, string> = {};
  propagation.inject(parent, carrier);
  assert.equal(carrier.traceparent, `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`);
  assert.ok(!propagation.fields().includes('baggage'));

  // The next SDK's propagator is the global one (the stopped SDK's was released, not refused).
  sdk = startSdk(await config({ OTEL_PROPAGATORS: 'tracecontext,baggage' }), { httpInstrumentation: false });
  assert.ok(propagation.fields().includes('baggage'), propagation.fields().join());
  await sdk.shutdown();
});
