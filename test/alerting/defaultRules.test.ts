import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlertEvaluator, type AlertLogger } from '../../src/alerting/AlertEvaluator.ts';
import { defaultAlertRules } from '../../src/alerting/defaultRules.ts';
import { StaticMetricSource } from '../../src/metrics/MetricSnapshot.ts';
import { rulePromQL } from '../../src/alerting/PrometheusRuleSerializer.ts';
import type { Alert } from '../../src/alerting/types.ts';
import { CASES, HEAP_LIMIT } from './cases.ts';

test('the eight default rules of seed §7.2 ship, each with a test case here', () => {
  const names = defaultAlertRules().map((r) => r.name).sort();
  assert.equal(names.length, 8);
  assert.deepEqual(names, Object.keys(CASES).sort());
});

// The default MemoryPressure divides by the reported limit; the fixed-limit variant is run too.
for (const rule of [...defaultAlertRules(), defaultAlertRules({ heapLimitBytes: HEAP_LIMIT }).find((r) => r.name === 'MemoryPressure')!]) {
  test(`${rule.name}: inactive -> pending -> firing after ${rule.duration}s -> resolved (${rulePromQL(rule)})`, async () => {
    const c = CASES[rule.name]!;
    let now = Date.parse('2026-01-01T00:00:00Z');
    const src = new StaticMetricSource();
    const logged: string[] = [];
    const logger: AlertLogger = { info: (m) => logged.push(`info ${m}`), warn: (m) => logged.push(`warn ${m}`), error: (m) => logged.push(`error ${m}`) };
    const ev = new AlertEvaluator({ rules: [rule], source: src, now: () => now, logger });
    const events: Alert[] = [];
    for (const s of ['pending', 'firing', 'resolved']) ev.on(s, (a: Alert) => events.push(a));
    const step = async (f: (s: StaticMetricSource) => void) => {
      now += 30_000;
      f(src);
      await ev.evaluate();
    };

    await ev.evaluate(); // baseline, nothing recorded
    assert.equal(ev.getActiveAlerts().length, 0, 'inactive before the condition');

    // Rates over [5m] divide by the whole window (as PromQL's rate() does): a fresh counter
    // needs a few steps to cross its threshold. Step until the condition holds.
    let active = ev.getActiveAlerts();
    for (let i = 0; i < 10 && active.length === 0; i++) {
      await step(c.induce);
      active = ev.getActiveAlerts();
    }
    assert.equal(active.length, 1, `exactly one alert instance: ${JSON.stringify(active)}`);
    assert.equal(active[0]!.state, 'pending');
    if (c.labels) for (const [k, v] of Object.entries(c.labels)) assert.equal(active[0]!.labels[k], v);
    assert.ok(active[0]!.value > rule.threshold || (rule.condition === 'gte' && active[0]!.value >= rule.threshold));

    // Still pending just before `duration` has passed, firing once it has.
    const steps = Math.ceil(rule.duration / 30);
    for (let i = 1; i < steps; i++) {
      await step(c.induce);
      assert.equal(ev.getActiveAlerts()[0]?.state, 'pending', `step ${i}: still pending`);
    }
    await step(c.induce);
    active = ev.getActiveAlerts();
    assert.equal(active[0]?.state, 'firing');
    assert.equal(ev.getFiringAlerts().length, 1);
    assert.ok(logged.some((l) => l.includes(`alert ${rule.name} firing`)), 'log action wrote the firing line');
    assert.ok(logged.some((l) => l.startsWith(rule.severity === 'critical' ? 'error' : 'warn')));

    // End the condition: resolved within the rule's window (plus a step).
    let resolved = false;
    for (let i = 0; i < 20 && !resolved; i++) {
      await step(c.recover);
      resolved = ev.getResolvedAlerts().some((a) => a.rule === rule.name);
    }
    assert.ok(resolved, 'resolved once the condition ended');
    assert.equal(ev.getActiveAlerts().length, 0);
    assert.deepEqual(events.map((e) => e.state), ['pending', 'firing', 'resolved']);
    assert.ok(logged.some((l) => l.startsWith('info') && l.includes('resolved')));
    assert.equal(ev.getSummary().firing, 0);
  });
}

test('a condition that ends while pending goes back to inactive without resolving', async () => {
  let now = 0;
  const src = new StaticMetricSource();
  const ev = new AlertEvaluator({ rules: defaultAlertRules().filter((r) => r.name === 'QueueBacklog'), source: src, now: () => now });
  const seen: string[] = [];
  ev.on('alert', (a: Alert) => seen.push(a.state));
  src.set('wundr_queue_depth', 500, { queue_name: 'q' });
  await ev.evaluate();
  now += 30_000;
  src.set('wundr_queue_depth', 0, { queue_name: 'q' });
  await ev.evaluate();
  assert.deepEqual(seen, ['pending']);
  assert.equal(ev.getActiveAlerts().length, 0);
  assert.equal(ev.getResolvedAlerts().length, 0);
});

test('below-threshold data does not alert (10% failure rate is not > 10%)', async () => {
  let now = 0;
  const src = new StaticMetricSource();
  const ev = new AlertEvaluator({ rules: defaultAlertRules(), source: src, now: () => now });
  await ev.evaluate();
  for (let i = 0; i < 12; i++) {
    now += 30_000;
    src.add('wundr_agent_spawned_total', 10, { orchestrator_id: 'o', session_type: 's' });
    src.add('wundr_agent_failed_total', 1, { orchestrator_id: 'o', session_type: 's', error_type: 'e' });
    src.add('wundr_tool_errors_total', 2, { tool_name: 't', error_type: 'e' }); // 4/min, threshold 5
    src.set('wundr_queue_depth', 100, { queue_name: 'q' }); // not > 100
    await ev.evaluate();
  }
  assert.deepEqual(ev.getActiveAlerts(), []);
});

test('MemoryPressure divides each series by the limit with the same labels; a series without its limit drops out', async () => {
  const rule = defaultAlertRules().find((r) => r.name === 'MemoryPressure')!;
  const src = new StaticMetricSource();
  // Two daemons behind one evaluator (as in Prometheus): one at 90% of a small heap, one at 10% of a large one.
  src.set('wundr_process_memory_heap_bytes', 900, { instance: 'a' }).set('wundr_process_memory_heap_limit_bytes', 1000, { instance: 'a' });
  src.set('wundr_process_memory_heap_bytes', 1000, { instance: 'b' }).set('wundr_process_memory_heap_limit_bytes', 10_000, { instance: 'b' });
  src.set('wundr_process_memory_heap_bytes', 5000, { instance: 'c' }); // no limit reported: no ratio
  const { evaluateQuery, indexSnapshot } = await import('../../src/alerting/expressions.ts');
  const v = evaluateQuery(rule, [indexSnapshot(await src.collect())]);
  assert.deepEqual([...v.values()].map((x) => x.value), [0.9]);
});
