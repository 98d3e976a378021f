/**
 * Under OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta the bridged
 * prom-client (`orchestrator_`) counters report what changed, as the
 * catalogue counters do, also across an SDK restarted in the same process;
 * /metrics keeps the totals.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../support/child.ts';
import { loadConfig } from '../../src/config.ts';
import { startSdk, type WundrSdk } from '../../src/sdk/start.ts';
import { recordTokensUsed } from '../../src/metrics/daemonMetrics.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.ts';
import { deltaMetricsEnv } from '../support/metricsEnv.ts';

let sdk: WundrSdk | undefined;
let receiver: OtlpReceiver | undefined;
after(async () => {
  await sdk?.shutdown();
  await receiver?.close();
});

async function start(port: number): Promise<WundrSdk> {
  const { config } = loadConfig(deltaMetricsEnv(port, receiver!.url));
  const s = startSdk(config, { httpInstrumentation: false });
  await s.ready;
  return s;
}

const points = () =>
  receiver!
    .metrics()
    .filter((m) => m.name === 'orchestrator_tokens_used_total')
    .flatMap((m) => m.dataPoints.filter((p) => p.attributes.model === 'delta-model').map((p) => ({ temporality: m.temporality, value: p.value! })));

/** Records `n` tokens, waits for them over OTLP, and returns every point received meanwhile. */
async function recordAndReceive(n: number): Promise<{ temporality?: string; value: number }[]> {
  receiver!.clear();
  recordTokensUsed({ orchestrator_id: 'o-delta', model: 'delta-model' }, n);
  await receiver!.waitFor(() => points().some((p) => p.value > 0), 10_000, `${n} tokens`);
  // One more interval: anything re-exported would show now.
  await new Promise((r) => setTimeout(r, 500));
  return points();
}

test('bridged orchestrator_ counters are deltas under a delta preference, across an SDK restart; /metrics keeps the total', async () => {
  receiver = await startOtlpReceiver();
  const port = await freePort();
  sdk = await start(port);
  const first = await recordAndReceive(5);
  assert.ok(first.every((p) => p.temporality === 'delta'), JSON.stringify(first));
  assert.equal(first.reduce((a, p) => a + p.value, 0), 5, JSON.stringify(first));

  const second = await recordAndReceive(3);
  assert.deepEqual(second.filter((p) => p.value !== 0), [{ temporality: 'delta', value: 3 }], 'only the interval, never the running total');

  await sdk.shutdown();
  sdk = await start(port);
  const afterRestart = await recordAndReceive(2);
  assert.equal(afterRestart.reduce((a, p) => a + p.value, 0), 2, `a restarted SDK does not export the earlier 8 again: ${JSON.stringify(afterRestart)}`);

  const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  assert.match(body, /^orchestrator_tokens_used_total\{[^}]*model="delta-model"[^}]*\} 10$/m);
});
