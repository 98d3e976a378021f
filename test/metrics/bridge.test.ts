/**
 * Backward compatibility, measured: for the same prom-client registry, the
 * text the OTel Prometheus exporter serves through the PromClientBridge
 * shows the same families, HELP, TYPE, label sets, bucket bounds and values
 * as prom-client's own `registry.metrics()`. Both texts are parsed strictly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry, Counter, Gauge, Histogram, Summary } from 'prom-client';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { CATALOGUE } from '../../src/metrics/catalogue.ts';
import { PromClientBridge } from '../../src/metrics/PromClientBridge.ts';
import { parseExposition, type Family } from './expositionParser.ts';

function orchestratorRegistry(): Registry {
  const reg = new Registry();
  for (const d of CATALOGUE) {
    if (d.via !== 'prom-client') continue;
    const cfg = { name: d.name, help: d.help, labelNames: [...d.labels], registers: [reg] };
    if (d.kind === 'counter') new Counter(cfg);
    else if (d.kind === 'gauge') new Gauge(cfg);
    else new Histogram({ ...cfg, buckets: [...d.buckets!] });
  }
  return reg;
}

function fill(reg: Registry): void {
  const m = (n: string) => reg.getSingleMetric(n) as unknown as Record<string, (l: object, v?: number) => void>;
  for (let i = 0; i < 5; i++) {
    m('orchestrator_sessions_active').set({ orchestrator_id: `o${i}`, session_type: 'claude-code' }, i + 1);
    m('orchestrator_tokens_used_total').inc({ orchestrator_id: `o${i}`, model: 'claude "q"\\x\nnl' }, 100 * i + 0.5);
    for (const v of [0.05, 0.3, 0.9, 1.5, 4, 12]) m('orchestrator_message_latency_seconds').observe({ orchestrator_id: `o${i}` }, v * (i + 1));
    m('orchestrator_tool_invocations_total').inc({ orchestrator_id: `o${i}`, tool_name: 'grep', status: i % 2 ? 'error' : 'success' });
    m('orchestrator_federation_delegations_total').inc({ from_orchestrator: `o${i}`, to_orchestrator: 'o9', status: 'rejected' }, 2);
    m('orchestrator_node_load').set({ node_id: `n${i}` }, -0.25 * i);
    m('orchestrator_errors_total').inc({ orchestrator_id: `o${i}`, error_type: 'timeout' });
    m('orchestrator_budget_utilization_percent').set({ orchestrator_id: `o${i}`, period: 'daily' }, 91.5);
  }
}

async function bridgedText(reg: Registry): Promise<string> {
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, metricProducers: [new PromClientBridge({ registries: [reg] })] });
  const mp = new MeterProvider({ readers: [exporter] });
  try {
    const { resourceMetrics, errors } = await exporter.collect();
    assert.deepEqual(errors, []);
    return new PrometheusSerializer(undefined, false, undefined, false, true).serialize(resourceMetrics);
  } finally {
    await mp.shutdown();
  }
}

function normalise(f: Family): { help: string | undefined; type: string; samples: string[] } {
  return {
    help: f.help,
    type: f.type,
    samples: f.samples
      .map((s) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())} ${s.value}`)
      .sort(),
  };
}

test('bridged orchestrator_ families equal prom-client\'s own output', async () => {
  const reg = orchestratorRegistry();
  fill(reg);
  const own = parseExposition(await reg.metrics());
  const bridged = parseExposition(await bridgedText(reg));
  assert.equal(own.size, 8);
  for (const [name, f] of own) {
    const b = bridged.get(name);
    assert.ok(b, `${name} missing from the bridged text`);
    assert.deepEqual(normalise(b), normalise(f), name);
  }
  // Nothing else than the families and the exporter's target_info.
  assert.deepEqual([...bridged.keys()].filter((n) => !own.has(n)), ['target_info']);
});

test('families without values keep HELP and TYPE', async () => {
  const reg = orchestratorRegistry();
  const own = parseExposition(await reg.metrics());
  const bridged = parseExposition(await bridgedText(reg));
  for (const [name, f] of own) assert.deepEqual(normalise(bridged.get(name)!), normalise(f), name);
});

test('a summary becomes gauges with the same series and values', async () => {
  const reg = new Registry();
  const s = new Summary({ name: 'req_seconds', help: 'h', labelNames: ['m'], percentiles: [0.5, 0.9], registers: [reg] });
  for (let i = 1; i <= 10; i++) s.observe({ m: 'GET' }, i);
  const own = parseExposition(await reg.metrics()).get('req_seconds')!;
  const bridged = parseExposition(await bridgedText(reg));
  const all = [...bridged.values()].filter((f) => f.name.startsWith('req_seconds')).flatMap((f) => f.samples);
  assert.deepEqual(
    all.map((x) => `${x.name}${JSON.stringify(Object.entries(x.labels).sort())} ${x.value}`).sort(),
    own.samples.map((x) => `${x.name}${JSON.stringify(Object.entries(x.labels).sort())} ${x.value}`).sort(),
  );
  assert.equal(bridged.get('req_seconds')!.type, 'gauge');
});

test('a failing registry is reported as an error while the others are still produced', async () => {
  const good = orchestratorRegistry();
  fill(good);
  const bad = new Registry();
  new Gauge({
    name: 'broken',
    help: 'h',
    registers: [bad],
    collect() {
      throw new Error('boom');
    },
  });
  const bridge = new PromClientBridge({ registries: [bad, good] });
  const { resourceMetrics, errors } = await bridge.collect();
  assert.equal(errors.length, 1);
  assert.match(String((errors[0] as Error).message), /boom/);
  assert.equal(resourceMetrics.scopeMetrics[0].metrics.length, 8);
});

test('values change between collections (read at collection time)', async () => {
  const reg = orchestratorRegistry();
  const bridge = new PromClientBridge({ registries: [reg] });
  const c = reg.getSingleMetric('orchestrator_errors_total') as Counter;
  c.inc({ orchestrator_id: 'o', error_type: 'x' });
  const v1 = (await bridge.collect()).resourceMetrics.scopeMetrics[0].metrics.find((m) => m.descriptor.name === 'orchestrator_errors_total')!;
  c.inc({ orchestrator_id: 'o', error_type: 'x' }, 4);
  const v2 = (await bridge.collect()).resourceMetrics.scopeMetrics[0].metrics.find((m) => m.descriptor.name === 'orchestrator_errors_total')!;
  assert.equal(v1.dataPoints[0].value, 1);
  assert.equal(v2.dataPoints[0].value, 5);
});

test('the default registry is read once something has loaded prom-client; the bridge never loads it itself', async () => {
  const { spawnSync } = await import('node:child_process');
  const { join } = await import('node:path');
  const bridge = join(__dirname, '..', '..', 'src', 'metrics', 'PromClientBridge.js');
  const script = `
    const { PromClientBridge } = require(${JSON.stringify(bridge)});
    const loaded = () => Object.keys(require.cache).some((k) => /[\\\\/]node_modules[\\\\/]prom-client[\\\\/]/.test(k));
    const names = (r) => r.resourceMetrics.scopeMetrics[0].metrics.map((m) => m.descriptor.name);
    (async () => {
      const b = new PromClientBridge();
      const first = names(await b.collect());
      const loadedByBridge = loaded();
      const pc = require('prom-client');
      new pc.Counter({ name: 'late_total', help: 'made after the first collection' }).inc();
      console.log(JSON.stringify({ first, loadedByBridge, second: names(await b.collect()) }));
    })();`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { first: string[]; loadedByBridge: boolean; second: string[] };
  assert.deepEqual(out.first, []);
  assert.equal(out.loadedByBridge, false, 'prom-client was loaded by the bridge');
  assert.deepEqual(out.second, ['late_total']);
});
