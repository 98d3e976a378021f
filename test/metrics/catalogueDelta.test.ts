/**
 * A catalogue (wundr_) counter across an SDK restarted in the same process:
 * under OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta the new SDK
 * exports what the old one had not (recorded after its last collection,
 * while none ran, and since), never again what the old one exported; a
 * cumulative reader (OTLP cumulative, /metrics) keeps showing the total.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../support/child.ts';
import { loadConfig } from '../../src/config.ts';
import { startSdk, type WundrSdk } from '../../src/sdk/start.ts';
import { toolMetrics } from '../../src/metrics/wundrMetrics.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.ts';

let sdk: WundrSdk | undefined;
let receiver: OtlpReceiver | undefined;
after(async () => {
  await sdk?.shutdown();
  await receiver?.close();
});

async function start(port: number, temporality: 'delta' | 'cumulative'): Promise<WundrSdk> {
  const { config } = loadConfig({
    METRICS_PORT: String(port),
    METRICS_HOST: '127.0.0.1',
    OTEL_METRICS_EXPORTER: 'prometheus,otlp',
    OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: temporality,
    // The timeout cannot exceed the interval; a loaded machine needs more than 200 ms for the final export.
    OTEL_METRIC_EXPORT_INTERVAL: '500',
    OTEL_METRIC_EXPORT_TIMEOUT: '500',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver!.url,
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
  });
  const s = startSdk(config, { httpInstrumentation: false });
  await s.ready;
  return s;
}

function points(tool: string): { temporality?: string; value: number }[] {
  return receiver!
    .metrics()
    .filter((m) => m.name === 'wundr_tool_execution')
    .flatMap((m) => m.dataPoints.filter((p) => p.attributes.tool_name === tool).map((p) => ({ temporality: m.temporality, value: p.value! })));
}

const sum = (ps: { value: number }[]) => ps.reduce((a, p) => a + p.value, 0);
const inc = (tool: string, n: number) => toolMetrics.executionTotal.inc({ tool_name: tool, status: 'success' }, n);
/** One more export interval and then some: a point sent twice would show now. */
const settle = () => new Promise((r) => setTimeout(r, 1200));

async function scrape(port: number, tool: string): Promise<number | undefined> {
  const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = body.split('\n').find((l) => l.startsWith('wundr_tool_execution_total{') && l.includes(`tool_name="${tool}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('delta: a restarted SDK exports what the old one had not, never what it had; /metrics keeps the total', async () => {
  receiver = await startOtlpReceiver();
  const port = await freePort();
  const tool = 'delta-restart';
  sdk = await start(port, 'delta');
  inc(tool, 5);
  await receiver.waitFor(() => sum(points(tool)) >= 5, 10_000, '5 executions');
  inc(tool, 3);
  await receiver.waitFor(() => sum(points(tool)) >= 8, 10_000, '8 executions');
  await settle();
  assert.ok(points(tool).every((p) => p.temporality === 'delta'), JSON.stringify(points(tool)));
  assert.equal(sum(points(tool)), 8, JSON.stringify(points(tool)));

  // Recorded after the old SDK's last periodic collection: its final export at shutdown carries it.
  inc(tool, 4);
  await sdk.shutdown();
  await receiver.waitFor(() => sum(points(tool)) >= 12, 10_000, "the old SDK's final export");
  assert.equal(sum(points(tool)), 12, `the old SDK's final export: ${JSON.stringify(points(tool))}`);

  receiver.clear();
  // Recorded while no SDK runs: nobody exported it yet.
  inc(tool, 6);
  sdk = await start(port, 'delta');
  inc(tool, 2);
  await receiver.waitFor(() => sum(points(tool)) >= 8, 10_000, '8 executions after the restart');
  await settle();
  const afterRestart = points(tool);
  assert.ok(afterRestart.every((p) => p.temporality === 'delta'), JSON.stringify(afterRestart));
  assert.equal(sum(afterRestart), 8, `the new SDK exports the 6 + 2 not exported yet, not the earlier 12 again: ${JSON.stringify(afterRestart)}`);

  assert.equal(await scrape(port, tool), 20, '/metrics shows the process total');
  await sdk.shutdown();
  sdk = undefined;
});

test('cumulative: a restarted SDK exports the whole count, over OTLP and on /metrics', async () => {
  await sdk?.shutdown();
  receiver ??= await startOtlpReceiver();
  receiver.clear();
  const port = await freePort();
  const tool = 'cumulative-restart';
  sdk = await start(port, 'cumulative');
  inc(tool, 5);
  await receiver.waitFor(() => points(tool).some((p) => p.value === 5), 10_000, 'a total of 5');
  await sdk.shutdown();
  inc(tool, 6);
  receiver.clear();
  sdk = await start(port, 'cumulative');
  inc(tool, 2);
  await receiver.waitFor(() => points(tool).some((p) => p.value >= 13), 10_000, 'a total of 13');
  await settle();
  const ps = points(tool);
  assert.ok(ps.every((p) => p.temporality === 'cumulative'), JSON.stringify(ps));
  assert.equal(ps[ps.length - 1].value, 13, JSON.stringify(ps));
  assert.equal(await scrape(port, tool), 13);
});
