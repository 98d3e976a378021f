/**
 * /metrics over the real Prometheus exporter and a prom-client registry
 * bridged in: a producer that throws is counted and warned about at most
 * once a minute, concurrent scrapes share one collection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { Registry, Gauge, Counter } from 'prom-client';
import { EndpointServer } from '../../src/endpoint/EndpointServer.ts';
import { PrometheusScrape, COLLECTION_ERRORS_METRIC } from '../../src/endpoint/PrometheusScrape.ts';
import { PromClientBridge } from '../../src/metrics/PromClientBridge.ts';
import { createPrometheusSerializer } from '../../src/sdk/prometheusSerializer.ts';
import { send } from './support.ts';

async function setup(registries: Registry[], now: () => number) {
  const reader = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, metricProducers: [new PromClientBridge({ registries })] });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const scrape = new PrometheusScrape(reader, createPrometheusSerializer({ withoutScopeInfo: true }), { now });
  scrape.register(meterProvider);
  const server = new EndpointServer({ host: '127.0.0.1', port: 0 });
  server.addRoute(scrape.route());
  await server.start();
  return { server, scrape, meterProvider, port: server.port! };
}

function captureDiag(): string[] {
  const lines: string[] = [];
  const push = (m: string) => lines.push(m);
  diag.setLogger({ error: push, warn: push, info: () => {}, debug: () => {}, verbose: () => {} }, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  return lines;
}

test('a throwing producer: the scrape answers with the other families, the error is counted, one warning a minute', async (t) => {
  const good = new Registry();
  new Counter({ name: 'app_good_total', help: 'fine', registers: [good] }).inc(3);
  const bad = new Registry();
  new Gauge({
    name: 'app_broken',
    help: 'throws',
    registers: [bad],
    collect() {
      throw new Error('producer broke');
    },
  });
  let clock = 1_000_000;
  const lines = captureDiag();
  const { server, port, meterProvider } = await setup([good, bad], () => clock);
  t.after(async () => {
    diag.disable();
    await server.stop();
    await meterProvider.shutdown();
  });
  let last = '';
  for (let i = 0; i < 5; i++) {
    const r = await send(port, 'GET', '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.body, /^app_good_total 3$/m);
    last = r.body;
    clock += 1000;
  }
  const count = Number(/^wundr_otel_metric_collection_errors_total (\d+)/m.exec(last)?.[1]);
  assert.ok(count >= 4, `${COLLECTION_ERRORS_METRIC} = ${count}:\n${last}`);
  const warnings = () => lines.filter((l) => l.includes('metric producer error'));
  assert.equal(warnings().length, 1, lines.join('\n'));
  assert.match(warnings()[0]!, /producer broke/);
  clock += 61_000;
  await send(port, 'GET', '/metrics');
  assert.equal(warnings().length, 2, 'a minute later, one more');
  assert.match(warnings()[1]!, /^@wundr\/otel: \/metrics: 5 metric producer error/, 'it summarises the errors since the last warning');
});

test('concurrent scrapes share one collection', async (t) => {
  const reg = new Registry();
  let calls = 0;
  new Gauge({
    name: 'app_slow',
    help: 'slow collect',
    registers: [reg],
    async collect() {
      calls++;
      // Wide enough for ten fresh connections on a loaded machine.
      await new Promise((r) => setTimeout(r, 1000));
      this.set(calls);
    },
  });
  const { server, port, meterProvider } = await setup([reg], Date.now);
  t.after(async () => {
    await server.stop();
    await meterProvider.shutdown();
  });
  const answers = await Promise.all(Array.from({ length: 10 }, () => send(port, 'GET', '/metrics')));
  assert.equal(calls, 1);
  for (const a of answers) {
    assert.equal(a.status, 200);
    assert.match(a.body, /^app_slow 1$/m);
  }
  await send(port, 'GET', '/metrics');
  assert.equal(calls, 2, 'a later scrape collects anew');
});
