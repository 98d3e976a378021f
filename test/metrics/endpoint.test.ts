/**
 * GET /metrics on the package's endpoint: the exporter's text with the text
 * format's version in the content type; a failed collection is a 500 (so
 * Prometheus marks the target down), never an empty 200.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../support/child.ts';
import { loadConfig } from '../../src/config.ts';
import { startSdk, type WundrSdk } from '../../src/sdk/start.ts';
import { recordToolExecution } from '../../src/metrics/wundrMetrics.ts';

let sdk: WundrSdk | undefined;
after(() => sdk?.shutdown());

test('/metrics answers 200 with the versioned text format, and 500 when the collection fails', async () => {
  const port = await freePort();
  const { config } = loadConfig({ METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1', OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' });
  sdk = startSdk(config, { httpInstrumentation: false });
  await sdk.ready;
  recordToolExecution('grep', 'success', 0.2);
  let res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  assert.match(await res.text(), /^wundr_tool_execution_duration_seconds_bucket\{tool_name="grep",status="success",le="0.5"\} 1$/m);

  // The reader is gone (as at shutdown): the scrape fails visibly.
  await sdk.meterProvider!.shutdown();
  res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 500);
  assert.match(await res.text(), /^# failed to export metrics: MetricReader is shutdown/);
});
