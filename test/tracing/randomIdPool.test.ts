/**
 * RandomIdPool: W3C-valid ids taken in order from a pool of random bytes,
 * refilled when an id no longer fits, never the all-zero invalid id; and
 * the preload's tracer providers use it.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { isValidSpanId, isValidTraceId, trace } from '@opentelemetry/api';
import { RandomIdPool } from '../../src/tracing/RandomIdPool.ts';
import { loadConfig } from '../../src/config.ts';
import { startSdk, type WundrSdk } from '../../src/sdk/start.ts';
import { tracingFeature } from '../../src/tracing/feature.ts';
import { resetGlobals } from './harness.ts';

let sdk: WundrSdk | undefined;
afterEach(async () => {
  await resetGlobals(sdk);
  sdk = undefined;
});

/** A fill that writes 0, 1, 2, … (mod 256) across refills, counting its calls. */
function countingFill(): { fill: (b: Buffer) => void; calls: () => number } {
  let next = 0;
  let calls = 0;
  return {
    fill: (b) => {
      calls++;
      for (let i = 0; i < b.length; i++) b[i] = next++ & 0xff;
    },
    calls: () => calls,
  };
}

const hexOf = (from: number, n: number): string => Buffer.from(Array.from({ length: n }, (_, i) => (from + i) & 0xff)).toString('hex');

test('ids are the pool\'s bytes in order, as lowercase hex; an id that does not fit takes a fresh pool', () => {
  const c = countingFill();
  const pool = new RandomIdPool(c.fill);
  // Byte 0 is 0x00 but the id is not all zeros: it is kept.
  assert.equal(pool.generateTraceId(), hexOf(0, 16));
  assert.equal(pool.generateSpanId(), hexOf(16, 8));
  assert.equal(c.calls(), 1);
  // 2,048 bytes: after 24, 253 more span ids fit exactly (24 + 253 * 8 = 2048).
  for (let i = 0; i < 253; i++) assert.equal(pool.generateSpanId(), hexOf(24 + i * 8, 8));
  assert.equal(c.calls(), 1);
  // The next id starts a new pool at its first byte.
  assert.equal(pool.generateTraceId(), hexOf(2048, 16));
  assert.equal(c.calls(), 2);
  // 8 bytes left is not enough for a trace id: a fresh pool, nothing straddles two.
  const d = countingFill();
  const p2 = new RandomIdPool(d.fill);
  for (let i = 0; i < 255; i++) p2.generateSpanId();
  assert.equal(d.calls(), 1);
  assert.equal(p2.generateTraceId(), hexOf(2048, 16));
  assert.equal(d.calls(), 2);
});

test('the all-zero id (invalid in W3C) is skipped, for trace and span ids alike', () => {
  let calls = 0;
  const zerosThenOnes = (b: Buffer): void => {
    calls++;
    b.fill(calls === 1 ? 0 : 1);
  };
  const pool = new RandomIdPool(zerosThenOnes);
  const traceId = pool.generateTraceId();
  assert.equal(traceId, '01'.repeat(16));
  assert.ok(isValidTraceId(traceId));
  assert.equal(calls, 2, 'the zero pool was used up, then refilled');
  const p2 = new RandomIdPool(zerosThenOnes);
  calls = 0;
  const spanId = p2.generateSpanId();
  assert.equal(spanId, '01'.repeat(8));
  assert.ok(isValidSpanId(spanId));
});

test('with crypto randomness: 20,000 ids of each kind, all valid, all distinct', () => {
  const pool = new RandomIdPool();
  const traces = new Set<string>();
  const spans = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const t = pool.generateTraceId();
    const s = pool.generateSpanId();
    assert.ok(isValidTraceId(t) && /^[0-9a-f]{32}$/.test(t), t);
    assert.ok(isValidSpanId(s) && /^[0-9a-f]{16}$/.test(s), s);
    traces.add(t);
    spans.add(s);
  }
  assert.equal(traces.size, 20_000);
  assert.equal(spans.size, 20_000);
});

/** Heap in use after full collections (V8's gc exposed for the test). */
function heapAfterGc(): number {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

test('a kept span id does not keep its pool\'s hex string alive; a kept trace id does (bounded by traces)', () => {
  // One id kept per refill (256 span ids or 128 trace ids use up a pool), so each kept id is from another pool string (4 KiB).
  const keep = (make: (p: RandomIdPool) => string, perPool: number): { ids: string[]; bytes: number } => {
    const pool = new RandomIdPool();
    const before = heapAfterGc();
    const ids: string[] = [];
    for (let i = 0; i < 2000 * perPool; i++) {
      const id = make(pool);
      if (i % perPool === 0) ids.push(id);
    }
    return { ids, bytes: heapAfterGc() - before };
  };
  const spans = keep((p) => p.generateSpanId(), 256);
  const traces = keep((p) => p.generateTraceId(), 128);
  assert.equal(spans.ids.length, 2000);
  assert.equal(traces.ids.length, 2000);
  // 2,000 pool strings would be 8 MiB: the trace ids show the measure sees them, the span ids must not hold them.
  assert.ok(traces.bytes > 6 * 1024 * 1024, `trace ids: ${traces.bytes} bytes`);
  assert.ok(spans.bytes < 1024 * 1024, `span ids: ${spans.bytes} bytes`);
});

test('the preload\'s SDK tracer takes its ids from a RandomIdPool', () => {
  const { config } = loadConfig({
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
    OTEL_LOGS_EXPORTER: 'none',
    METRICS_ENABLED: 'false',
    OTEL_LOG_LEVEL: 'none',
  });
  sdk = startSdk(config, { features: [tracingFeature()], endpoint: false, httpInstrumentation: false });
  // sdk-trace 3.1 keeps the provider's id generator on each tracer (Tracer#_idGenerator).
  const tracer = trace.getTracer('t') as unknown as { _idGenerator?: unknown };
  assert.ok(tracer._idGenerator instanceof RandomIdPool);
  const span = trace.getTracer('t').startSpan('x');
  assert.ok(span.isRecording());
  assert.ok(isValidTraceId(span.spanContext().traceId));
  span.end();
});
