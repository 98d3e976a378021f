/**
 * Heap held by sdk-metrics for a pull reader that is never read (a /metrics
 * nobody scrapes while alerting reads every 30 s), against the same reader
 * read every other collection (what the idle-reader drain does at 60 s):
 * a day of 30 s collections, 100 counter series changing between them.
 *
 * Run: node_modules/.bin/node --expose-gc build/bench/idleReader.js [collections]
 */
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { METER_NAME, catalogueViews } from '../src/metrics/feature.ts';
import { MeterBinding } from '../src/metrics/families/index.ts';
import { resetWundrMetrics, toolMetrics, wundrFamilies } from '../src/metrics/wundrMetrics.ts';

class PullReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const COLLECTIONS = Number(process.argv[2] ?? 2880);
const gc = (globalThis as { gc?: () => void }).gc;

async function heldMiB(readIdleEvery: number): Promise<number> {
  resetWundrMetrics();
  const busy = new PullReader();
  const idle = new PullReader();
  const mp = new MeterProvider({ readers: [busy, idle], views: catalogueViews() });
  const binding = new MeterBinding(mp.getMeter(METER_NAME), () => wundrFamilies().values());
  gc!();
  const before = process.memoryUsage().heapUsed;
  for (let i = 1; i <= COLLECTIONS; i++) {
    for (let t = 0; t < 100; t++) toolMetrics.executionTotal.inc({ tool_name: `t${t}`, status: 'success' });
    await busy.collect();
    if (readIdleEvery > 0 && i % readIdleEvery === 0) await idle.collect();
  }
  gc!();
  const held = (process.memoryUsage().heapUsed - before) / 1048576;
  binding.close();
  await mp.shutdown();
  return held;
}

async function main(): Promise<void> {
  if (!gc) throw new Error('run with --expose-gc');
  const never = await heldMiB(0);
  const drained = await heldMiB(2);
  console.log(`${COLLECTIONS} collections of the busy reader, 100 changed series each`);
  console.log(`  idle reader never read:        heap +${never.toFixed(1)} MiB`);
  console.log(`  idle reader read every 2nd:    heap +${drained.toFixed(1)} MiB`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
