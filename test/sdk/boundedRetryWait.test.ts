/**
 * BoundedExporter over a real stock OTLP/HTTP exporter whose collector
 * refuses connections: with `releaseOnRetryWait` the SDK's batch processor
 * is answered as soon as the batch in flight waits for its retry, not after
 * `maxHoldMs`. The processors' export timer is ref()ed: held through the
 * backoff, a finished program could not reach its final flush (the one that
 * ends a refused export at once) until the hold ran out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BoundedExporter } from '../../src/sdk/BoundedExporter.ts';
import { TelemetryDrops } from '../../src/sdk/TelemetryDrops.ts';
import { finalFlushBegins, onRetryWait, unrefRetryTimers } from '../../src/sdk/internals/otlp-exporter-base.ts';
import { freePort } from '../support/child.ts';

const HOLD_MS = 60_000;

function spans(n: number): ReadableSpan[] {
  const tracer = new TracerProvider().getTracer('t');
  return Array.from({ length: n }, (_, i) => {
    const s = tracer.startSpan(`s${i}`);
    s.end();
    return s as unknown as ReadableSpan;
  });
}

/** A stock exporter towards a port nobody listens on, adopted as otlp.ts adopts it, and a promise of its first retry wait. */
async function refusedExporter(): Promise<{ exporter: OTLPTraceExporter; firstWait: Promise<void> }> {
  const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${await freePort()}/v1/traces`, timeoutMillis: 10_000 });
  assert.equal(unrefRetryTimers(exporter), true);
  let waited: () => void;
  const firstWait = new Promise<void>((r) => (waited = r));
  assert.equal(onRetryWait(exporter, () => waited()), true);
  return { exporter, firstWait };
}

function exportOnce(bounded: BoundedExporter<ReadableSpan>, items: ReadableSpan[]): { answered: () => ExportResult | undefined; done: Promise<ExportResult> } {
  let result: ExportResult | undefined;
  const done = new Promise<ExportResult>((resolve) =>
    bounded.export(items, (r) => {
      result = r;
      resolve(r);
    }),
  );
  return { answered: () => result, done };
}

test('releaseOnRetryWait: the processor is answered when the refused export starts its backoff, long before the hold; the final flush then ends the export at the refusal', async () => {
  const { exporter, firstWait } = await refusedExporter();
  const drops = new TelemetryDrops();
  const bounded = new BoundedExporter<ReadableSpan>(exporter, { signal: 'traces', drops, maxHoldMs: HOLD_MS, releaseOnRetryWait: true });
  const first = exportOnce(bounded, spans(3));
  await firstWait;
  assert.equal((await first.done).code, ExportResultCode.SUCCESS, 'released during the backoff');
  assert.equal(drops.get('traces', 'export_failed'), 0, 'the batch is still being retried, not given up on');
  // The next batch arrives while the first still waits to retry: answered at once, kept at the door.
  const second = exportOnce(bounded, spans(2));
  assert.equal(second.answered()?.code, ExportResultCode.SUCCESS);
  assert.equal(bounded.waitingBatches, 1);
  // The program ends: the waiting retry is made now, refused, final; then the door batch, refused, final.
  const t = Date.now();
  finalFlushBegins();
  await bounded.shutdown();
  assert.ok(Date.now() - t < HOLD_MS);
  assert.equal(drops.get('traces', 'export_failed'), 5, 'both batches counted as failed');
});

test('without releaseOnRetryWait (the encoding processors, whose timers are unref()ed) the processor stays held through the backoff', async () => {
  const { exporter, firstWait } = await refusedExporter();
  const drops = new TelemetryDrops();
  const bounded = new BoundedExporter<ReadableSpan>(exporter, { signal: 'traces', drops, maxHoldMs: HOLD_MS });
  const first = exportOnce(bounded, spans(1));
  await firstWait;
  await new Promise((r) => setImmediate(r));
  assert.equal(first.answered(), undefined, 'still held');
  finalFlushBegins();
  await bounded.shutdown();
  assert.equal((await first.done).code, ExportResultCode.SUCCESS);
  assert.equal(drops.get('traces', 'export_failed'), 1);
});

test('releaseOnRetryWait: while the processor\'s own queue overflows (the app still producing), it stays held through the backoff', async () => {
  const { exporter, firstWait } = await refusedExporter();
  const drops = new TelemetryDrops();
  const bounded = new BoundedExporter<ReadableSpan>(exporter, { signal: 'traces', drops, maxHoldMs: HOLD_MS, releaseOnRetryWait: true });
  const first = exportOnce(bounded, spans(1));
  drops.add('traces', 'queue_full', 10);
  await firstWait;
  await new Promise((r) => setImmediate(r));
  assert.equal(first.answered(), undefined, 'held: new spans are dropped at the processor, young');
  finalFlushBegins();
  await bounded.shutdown();
  assert.equal((await first.done).code, ExportResultCode.SUCCESS);
});
