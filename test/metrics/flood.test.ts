/**
 * Seed §12: a flood of 100,000 distinct tool names leaves /metrics and
 * memory bounded, and the overflow is visible in the self-metric.
 */
import { test, after } from 'node:test';
import { freePort } from '../support/child.ts';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadConfig } from '../../src/config.ts';
import { startSdk, type WundrSdk } from '../../src/sdk/start.ts';
import { LABEL_CAPS, OVERFLOW_VALUE } from '../../src/metrics/catalogue.ts';
import { recordToolExecution, toolMetrics } from '../../src/metrics/wundrMetrics.ts';
import { parseExposition } from './expositionParser.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let sdk: WundrSdk | undefined;
after(async () => {
  await sdk?.shutdown();
});

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

test('100,000 distinct tool names: bounded series, bounded heap, overflow counted', async () => {
  const { config } = loadConfig({
    METRICS_PORT: String(await freePort()),
    METRICS_HOST: '127.0.0.1',
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    METRICS_COLLECT_DEFAULT: 'false',
  });
  sdk = startSdk(config, { httpInstrumentation: false });
  await sdk.ready;
  const url = `http://127.0.0.1:${sdk.endpoint!.port}/metrics`;
  await (await fetch(url)).text();

  const N = 100_000;
  const cap = LABEL_CAPS.tool_name;
  const before = heapAfterGc();
  for (let i = 0; i < N; i++) recordToolExecution(`tool-${i}-${'x'.repeat(40)}`, 'success', 0.01 * (i % 100));
  const body = await (await fetch(url)).text();
  const grown = heapAfterGc() - before;
  console.log(`flood: heap +${(grown / 1048576).toFixed(2)} MB, /metrics ${body.length} bytes`);

  const fams = parseExposition(body);
  const total = fams.get('wundr_tool_execution_total')!;
  assert.equal(total.samples.length, cap + 1, 'cap distinct names + other');
  assert.equal(total.samples.find((s) => s.labels.tool_name === OVERFLOW_VALUE)?.value, N - cap);
  assert.equal(total.samples.reduce((a, s) => a + s.value, 0), N, 'nothing lost, only folded');

  const hist = fams.get('wundr_tool_execution_duration_seconds')!;
  const counts = hist.samples.filter((s) => s.name.endsWith('_count'));
  assert.equal(counts.length, cap + 1);
  assert.equal(counts.reduce((a, s) => a + s.value, 0), N);
  assert.ok(!body.includes('otel_metric_overflow'), 'the guard acts before the SDK limit');

  const overflow = fams.get('wundr_metrics_label_overflow_total')!;
  const of = (metric: string) => overflow.samples.find((s) => s.labels.metric === metric && s.labels.label === 'tool_name')?.value;
  assert.equal(of('wundr_tool_execution_total'), N - cap);
  assert.equal(of('wundr_tool_execution_duration_seconds'), N - cap);

  // A second flood of new names leaves the body the same size (only values change).
  for (let i = N; i < 2 * N; i++) recordToolExecution(`tool-${i}`, 'success', 0.5);
  const body2 = await (await fetch(url)).text();
  assert.ok(Math.abs(body2.length - body.length) < 200, `/metrics went from ${body.length} to ${body2.length} bytes`);
  assert.ok(body.length < 500_000, `/metrics is ${body.length} bytes`);
  // Unbounded, the 100k names would hold tens of MB (cells, SDK accumulations, strings).
  assert.ok(grown < 8 * 1024 * 1024, `heap grew by ${(grown / 1048576).toFixed(1)} MB`);
  assert.equal(toolMetrics.executionTotal.cells.size, cap + 1);
});
