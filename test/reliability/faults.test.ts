/**
 * Collector faults, with the preload in a real child process and a fake
 * collector we control (support/faultyCollector.ts): refusing connections,
 * hanging, 500, 503 and 429 with Retry-After, and coming back.
 * Scaled-down windows (the "after a minute" is a few seconds here):
 * the properties do not depend on the length.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from '../support/child.ts';
import { fileCollectors, type CollectorMode } from './support/faultyCollector.ts';
import { runLoad, percentile, type LoadResult } from './support/load.ts';
import { drops, killAll, startApp } from './support/app.ts';

const collector = fileCollectors(killAll);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Short steady load against an app exporting traces + logs to a collector in `mode`. */
async function latencyUnder(mode: CollectorMode): Promise<{ load: LoadResult; dropped: Record<string, number>; hanging: number }> {
  const col = await collector(mode);
  const app = await startApp({
    OTEL_EXPORTER_OTLP_ENDPOINT: col.url,
    // Batches leave every 200 ms, so the fault is hit many times in the window.
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_BLRP_SCHEDULE_DELAY: '200',
  });
  await runLoad(app.port, { durationMs: 500, concurrency: 4 }); // warm-up
  const load = await runLoad(app.port, { durationMs: 2500, concurrency: 4 });
  const dropped = await drops(app.metricsPort);
  const hanging = col.hanging();
  app.child.kill('SIGKILL');
  await app.child.exited();
  return { load, dropped, hanging };
}

test('app latency with the collector refusing, hanging, answering 500 or 429 stays near the healthy case; nothing fails', async () => {
  const healthy = await latencyUnder({ kind: 'up' });
  const h50 = percentile(healthy.load.latencies, 50);
  const h90 = percentile(healthy.load.latencies, 90);
  assert.equal(healthy.load.errors, 0);
  const rows = [`healthy: ${healthy.load.requests} req, p50 ${h50.toFixed(2)} ms, p90 ${h90.toFixed(2)} ms`];
  for (const mode of [
    { kind: 'down' },
    { kind: 'hang' },
    { kind: 'status', status: 500 },
    { kind: 'status', status: 429, headers: { 'Retry-After': '1' } },
  ] as CollectorMode[]) {
    const r = await latencyUnder(mode);
    const p50 = percentile(r.load.latencies, 50);
    const p90 = percentile(r.load.latencies, 90);
    const name = mode.kind === 'status' ? String(mode.status) : mode.kind;
    rows.push(`${name}: ${r.load.requests} req, p50 ${p50.toFixed(2)} ms, p90 ${p90.toFixed(2)} ms, dropped ${JSON.stringify(r.dropped)}, hanging sockets ${r.hanging}`);
    assert.equal(r.load.errors, 0, `${name}: every app request succeeds`);
    // Generous: other test files share the CPU. The plain SDK's failure is
    // not slowness but growth; the bound catches a blocked event loop.
    assert.ok(p50 <= Math.max(4 * h50, h50 + 10), `${name}: p50 ${p50} vs healthy ${h50}`);
    assert.ok(p90 <= Math.max(4 * h90, h90 + 25), `${name}: p90 ${p90} vs healthy ${h90}`);
    if (mode.kind === 'hang') assert.ok(r.hanging <= 2, `one export in flight per signal, got ${r.hanging} hanging requests`);
  }
  console.log(rows.join('\n'));
});

test('503: retries back off (about 1 s, then growing), and the failed batch is counted once the retries are spent', async () => {
  const col = await collector({ kind: 'status', status: 503 });
  const app = await startApp({
    OTEL_EXPORTER_OTLP_ENDPOINT: col.url,
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_EXPORTER_OTLP_TIMEOUT: '6000',
  });
  assert.equal((await request(app.port, '/spans?n=5&tag=backoff')).body, '5');
  const traces = () => col.arrivals().filter((a) => a.path === '/v1/traces');
  await col.receiver.waitFor(() => traces().length >= 4, 10000, '4 attempts of the same batch');
  const at = traces().map((a) => a.at);
  const gaps = at.slice(1).map((t, i) => t - at[i]!);
  console.log(`503 retry gaps (ms): ${gaps.join(', ')}`);
  for (const g of gaps.slice(0, 3)) assert.ok(g >= 700, `retry gap ${g} ms: backed off`);
  assert.ok(gaps[2]! > gaps[0]!, `gaps grow: ${gaps.join(', ')}`);
  // 6 s budget: the exporter gives up, the batch is dropped and counted.
  const d = await (async () => {
    for (let i = 0; i < 80; i++) {
      const x = await drops(app.metricsPort);
      if ((x['traces/export_failed'] ?? 0) > 0) return x;
      await sleep(100);
    }
    return drops(app.metricsPort);
  })();
  assert.ok((d['traces/export_failed'] ?? 0) >= 5, `dropped: ${JSON.stringify(d)}`);
  app.child.kill('SIGKILL');
  await app.child.exited();
});

test('429 with Retry-After: the retry waits as told, and the batch arrives once the collector accepts', async () => {
  const col = await collector({ kind: 'status', status: 429, headers: { 'Retry-After': '2' } });
  const app = await startApp({
    OTEL_EXPORTER_OTLP_ENDPOINT: col.url,
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
  await request(app.port, '/spans?n=3&tag=throttled');
  const traces = () => col.arrivals().filter((a) => a.path === '/v1/traces');
  await col.receiver.waitFor(() => traces().length >= 2, 8000, 'a retry');
  const [a, b] = traces();
  assert.ok(b!.at - a!.at >= 1900, `retried after ${b!.at - a!.at} ms (Retry-After: 2)`);
  await col.set({ kind: 'up' });
  await col.receiver.waitFor(
    () => col.receiver.spans().filter((s) => s.name.startsWith('throttled-')).length === 3,
    8000,
    'the throttled batch',
  );
  app.child.kill('SIGKILL');
  await app.child.exited();
});

test('500 (not retryable): one attempt per batch, counted as dropped; the app runs on', async () => {
  const col = await collector({ kind: 'status', status: 500 });
  const app = await startApp({ OTEL_EXPORTER_OTLP_ENDPOINT: col.url, OTEL_LOGS_EXPORTER: 'none', OTEL_BSP_SCHEDULE_DELAY: '100' });
  await request(app.port, '/spans?n=4&tag=five-hundred');
  await col.receiver.waitFor(() => col.arrivals().some((a) => a.path === '/v1/traces'), 5000, 'an attempt');
  await sleep(1500);
  assert.equal(col.arrivals().filter((a) => a.path === '/v1/traces').length, 1, 'no retry of a 500');
  const d = await drops(app.metricsPort);
  assert.ok((d['traces/export_failed'] ?? 0) >= 4, JSON.stringify(d));
  assert.equal((await request(app.port, '/')).body, 'ok');
  assert.match(app.child.stderr(), /telemetry export failed \(traces\): OTLPExporterError 500/);
  app.child.kill('SIGKILL');
  await app.child.exited();
});

test('collector down, then back (scaled: 4 s instead of a minute): new spans and logs arrive, the outage is counted, one warning per kind', async () => {
  const col = await collector({ kind: 'down' });
  const app = await startApp({
    OTEL_EXPORTER_OTLP_ENDPOINT: col.url,
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_BLRP_SCHEDULE_DELAY: '200',
    OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
  });
  const load = await runLoad(app.port, { durationMs: 4000, concurrency: 2, path: '/spans?n=5&tag=outage' });
  assert.equal(load.errors, 0);
  const during = await drops(app.metricsPort);
  assert.ok((during['traces/export_failed'] ?? 0) + (during['traces/queue_full'] ?? 0) > 0, JSON.stringify(during));
  assert.ok((during['logs/export_failed'] ?? 0) + (during['logs/queue_full'] ?? 0) > 0, JSON.stringify(during));

  await col.set({ kind: 'up' });
  // Whatever was still being retried may land too; what counts is new work.
  await sleep(2500);
  await request(app.port, '/spans?n=20&tag=back');
  await col.receiver.waitFor(
    () => col.receiver.spans().filter((s) => s.name.startsWith('back-')).length === 20,
    10000,
    'the 20 spans made after the collector came back',
  );
  await col.receiver.waitFor(
    () => col.receiver.logs().filter((l) => JSON.stringify(l.attributes).includes('"back"')).length === 20,
    10000,
    'the 20 log records made after the collector came back',
  );
  const warnings = app.child.stderr().split('\n').filter((l) => /telemetry export failed \((traces|logs)\): .*ECONNREFUSED/.test(l));
  assert.ok(warnings.length >= 1 && warnings.length <= 2, `one warning per signal kind, got ${warnings.length}:\n${app.child.stderr()}`);
  assert.doesNotMatch(app.child.stderr(), /"stack":/, 'no JSON stack per failed export');
  app.child.kill('SIGKILL');
  await app.child.exited();
});

test('in process: export errors are warned once per kind and signal, then summarised once per interval', async () => {
  const { diag, DiagLogLevel } = await import('@opentelemetry/api');
  const { createExportErrorHandler, exportError } = await import('../../src/sdk/exportErrorHandler.ts');
  const lines: string[] = [];
  diag.setLogger({ error: () => {}, warn: (m: string) => lines.push(m), info: () => {}, debug: () => {}, verbose: () => {} }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  try {
    let now = 0;
    const h = createExportErrorHandler({ intervalMs: 60_000, now: () => now });
    const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4318'), { code: 'ECONNREFUSED' });
    for (let i = 0; i < 1000; i++) {
      now = i * 10; // 1000 failures in 10 s
      h(exportError('traces', refused()) as Error);
      h(exportError('logs', refused()) as Error);
    }
    h(new Error('something else in the SDK'));
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.match(lines[0]!, /telemetry export failed \(traces\): Error ECONNREFUSED: connect ECONNREFUSED/);
    assert.match(lines[1]!, /telemetry export failed \(logs\)/);
    assert.match(lines[2]!, /OpenTelemetry SDK error: Error: something else/);
    now = 61_000;
    h(exportError('traces', refused()) as Error);
    assert.equal(lines.length, 4);
    assert.match(lines[3]!, /telemetry export failed \(traces\), again: .* \(1000 times in the last 61 s\)/);
    assert.doesNotThrow(() => h(Object.freeze(new Error('frozen'))));
    assert.doesNotThrow(() => h(undefined as never));
  } finally {
    diag.disable();
  }
});
