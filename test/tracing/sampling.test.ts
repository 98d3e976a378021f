import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ROOT_CONTEXT, SamplingDecision, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { loadConfig } from '../../src/config.ts';
import { buildSampler } from '../../src/sdk/resource.ts';

const N = 20_000;

function sampledFraction(env: Record<string, string>, parent?: TraceFlags): number {
  const sampler = buildSampler(loadConfig(env).config);
  let kept = 0;
  for (let i = 0; i < N; i++) {
    const traceId = randomBytes(16).toString('hex');
    const ctx =
      parent === undefined
        ? ROOT_CONTEXT
        : trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: randomBytes(8).toString('hex'), traceFlags: parent, isRemote: true });
    if (sampler.shouldSample(ctx, traceId, 'x', SpanKind.INTERNAL, {}, []).decision === SamplingDecision.RECORD_AND_SAMPLED) kept++;
  }
  return kept / N;
}

// Binomial: 5 standard deviations, so a correct sampler fails about once in 3.5 million runs.
function assertNear(observed: number, p: number, what: string): void {
  const sd = Math.sqrt((p * (1 - p)) / N);
  assert.ok(Math.abs(observed - p) <= 5 * sd + 1e-9, `${what}: sampled ${observed}, expected ${p} ± ${(5 * sd).toFixed(4)}`);
}

test('TRACING_SAMPLE_RATE maps to a trace-id ratio at the root', () => {
  for (const rate of [0.1, 0.25, 0.5, 0.9]) assertNear(sampledFraction({ TRACING_SAMPLE_RATE: String(rate) }), rate, `rate ${rate}`);
  assert.equal(sampledFraction({ TRACING_SAMPLE_RATE: '1' }), 1);
  assert.equal(sampledFraction({ TRACING_SAMPLE_RATE: '0' }), 0);
});

test('the ratio is parent-based: a sampled parent is followed, an unsampled one too', () => {
  assert.equal(sampledFraction({ TRACING_SAMPLE_RATE: '0.1' }, TraceFlags.SAMPLED), 1);
  assert.equal(sampledFraction({ TRACING_SAMPLE_RATE: '0.9' }, TraceFlags.NONE), 0);
});

test('TRACING_ENABLED=false samples nothing; OTEL_TRACES_SAMPLER wins over TRACING_SAMPLE_RATE', () => {
  assert.equal(sampledFraction({ TRACING_ENABLED: 'false' }), 0);
  assertNear(sampledFraction({ TRACING_SAMPLE_RATE: '0.9', OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.2' }), 0.2, 'OTEL wins');
  assert.equal(sampledFraction({ TRACING_SAMPLE_RATE: '0.1', OTEL_TRACES_SAMPLER: 'always_on' }), 1);
});

test('the same trace id gets the same decision (consistent across services)', () => {
  const a = buildSampler(loadConfig({ TRACING_SAMPLE_RATE: '0.5' }).config);
  const b = buildSampler(loadConfig({ TRACING_SAMPLE_RATE: '0.5' }).config);
  for (let i = 0; i < 1000; i++) {
    const id = randomBytes(16).toString('hex');
    assert.equal(
      a.shouldSample(ROOT_CONTEXT, id, 'x', SpanKind.INTERNAL, {}, []).decision,
      b.shouldSample(ROOT_CONTEXT, id, 'y', SpanKind.SERVER, {}, []).decision,
    );
  }
});
