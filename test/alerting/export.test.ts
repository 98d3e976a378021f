import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { defaultAlertRules } from '../../src/alerting/defaultRules.ts';
import { promDuration, rulePromQL, toPrometheusRuleYaml } from '../../src/alerting/PrometheusRuleSerializer.ts';
import { ruleMetrics } from '../../src/alerting/defineAlertRule.ts';
import { getMetricDef } from '../../src/metrics/catalogue.ts';
import { bucketQuantile } from '../../src/alerting/expressions.ts';

const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));

test('every metric a rule reads exists in the catalogue, with the kind its expression needs', () => {
  for (const r of defaultAlertRules()) {
    for (const m of ruleMetrics(r)) {
      const d = getMetricDef(m);
      assert.ok(d, `rule ${r.name} names ${m}, which is not in the catalogue`);
      assert.equal(d.name, m);
    }
    // Every metric-like token in the PromQL too (catches a serializer adding a wrong suffix).
    const expr = rulePromQL(r);
    // Label names in `by (...)` are not metric names.
    for (const tok of expr.replace(/by \([^)]*\)/g, '').match(/\b(?:wundr|orchestrator)_[a-z0-9_]+/g) ?? []) {
      assert.ok(getMetricDef(tok), `${r.name}: ${tok} in "${expr}" is not a catalogue series`);
    }
  }
});

test('PromQL for each default rule (exact strings)', () => {
  const got = Object.fromEntries(defaultAlertRules().map((r) => [r.name, rulePromQL(r)]));
  assert.deepEqual(got, {
    HighAgentFailureRate: 'sum(rate(wundr_agent_failed_total[5m])) / sum(rate(wundr_agent_spawned_total[5m])) > 0.1',
    SessionDurationHigh: 'histogram_quantile(0.99, sum by (le) (rate(wundr_session_duration_seconds_bucket[5m]))) >= 300',
    MemoryPressure: 'max(wundr_process_memory_heap_bytes / wundr_process_memory_heap_limit_bytes) > 0.8',
    WebSocketErrorRate: 'sum(rate(wundr_ws_errors_total[5m])) * 60 > 10',
    BudgetExhaustion: 'max by (orchestrator_id, period) (orchestrator_budget_utilization_percent) > 90',
    LLMLatencyHigh: 'histogram_quantile(0.95, sum by (le, provider, model) (rate(wundr_model_request_duration_seconds_bucket[5m]))) > 30',
    QueueBacklog: 'max by (queue_name) (wundr_queue_depth) > 100',
    ToolFailureRate: 'sum(rate(wundr_tool_errors_total[5m])) * 60 > 5',
  });
  const fixed = defaultAlertRules({ heapLimitBytes: 2147483648 }).find((r) => r.name === 'MemoryPressure')!;
  assert.equal(rulePromQL(fixed), 'max(wundr_process_memory_heap_bytes) / 2147483648 > 0.8');
});

test('durations in Prometheus form', () => {
  assert.equal(promDuration(300), '5m');
  assert.equal(promDuration(5400), '1h30m');
  assert.equal(promDuration(90), '1m30s');
  assert.equal(promDuration(0.5), '500ms');
  assert.equal(promDuration(86400), '1d');
});

test('rule file structure: groups/rules/alert/expr/for/labels/annotations', () => {
  const doc = parse(toPrometheusRuleYaml(defaultAlertRules())) as { groups: { name: string; rules: Record<string, any>[] }[] };
  assert.equal(doc.groups.length, 1);
  assert.equal(doc.groups[0]!.name, 'wundr_alerts');
  const first = doc.groups[0]!.rules[0]!;
  assert.deepEqual(Object.keys(first), ['alert', 'expr', 'for', 'labels', 'annotations']);
  assert.equal(first.alert, 'HighAgentFailureRate');
  assert.equal(first.for, '5m');
  assert.deepEqual(first.labels, { severity: 'warning' });
  assert.equal(first.annotations.summary, 'Agent failure rate exceeds 10%');
  assert.equal(doc.groups[0]!.rules.length, 8);
});

test('promtool check rules accepts the exported file', (t) => {
  if (!PROMTOOL) {
    t.skip('promtool is not installed (Debian package "prometheus"); the rule file was not checked by Prometheus');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'wundr-rules-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'wundr.rules.yml');
  writeFileSync(file, toPrometheusRuleYaml(defaultAlertRules()));
  const out = execFileSync(PROMTOOL, ['check', 'rules', file], { encoding: 'utf8', timeout: 30000 });
  assert.match(out, /SUCCESS: 8 rules found/);
});

test('promtool test rules: Prometheus fires QueueBacklog and HighAgentFailureRate on the same induced data', (t) => {
  if (!PROMTOOL) {
    t.skip('promtool is not installed');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'wundr-rules-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'wundr.rules.yml'), toPrometheusRuleYaml(defaultAlertRules()));
  // 30 s scrapes: queue at 150 for 10 minutes; 10 spawned and 3 failed agents per scrape.
  writeFileSync(
    join(dir, 'test.yml'),
    `rule_files: [wundr.rules.yml]
evaluation_interval: 30s
tests:
  - interval: 30s
    input_series:
      - series: 'wundr_queue_depth{queue_name="tasks"}'
        values: '150x20'
      - series: 'wundr_agent_spawned_total{orchestrator_id="o1",session_type="s"}'
        values: '0+10x20'
      - series: 'wundr_agent_failed_total{orchestrator_id="o1",session_type="s",error_type="e"}'
        values: '0+3x20'
    alert_rule_test:
      - eval_time: 4m
        alertname: QueueBacklog
        exp_alerts: []
      - eval_time: 6m
        alertname: QueueBacklog
        exp_alerts:
          - exp_labels: { severity: warning, queue_name: tasks }
            exp_annotations:
              summary: Queue tasks holds more than 100 items
              description: Queue depth exceeds 100
      - eval_time: 10m
        alertname: HighAgentFailureRate
        exp_alerts:
          - exp_labels: { severity: warning }
            exp_annotations:
              summary: Agent failure rate exceeds 10%
              description: Agent failure rate exceeds 10%
`,
  );
  const r = spawnSync(PROMTOOL, ['test', 'rules', 'test.yml'], { cwd: dir, encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
});

test('bucketQuantile follows histogram_quantile', () => {
  const b = [
    { le: 1, count: 10 },
    { le: 2, count: 20 },
    { le: Infinity, count: 20 },
  ];
  assert.equal(bucketQuantile(0.5, b), 1);
  assert.equal(bucketQuantile(0.75, b), 1.5);
  assert.equal(bucketQuantile(0.25, b), 0.5);
  assert.equal(bucketQuantile(0.99, [{ le: 1, count: 0 }, { le: Infinity, count: 5 }]), 1, 'rank in +Inf: highest finite bound');
  assert.ok(Number.isNaN(bucketQuantile(0.5, [{ le: 1, count: 0 }, { le: Infinity, count: 0 }])));
});

test('the firing-alerts gauge is a catalogue metric with the labels the evaluator sets', async () => {
  const { ALERTS_FIRING_METRIC } = await import('../../src/alerting/AlertEvaluator.ts');
  const d = getMetricDef(ALERTS_FIRING_METRIC);
  assert.ok(d, `${ALERTS_FIRING_METRIC} is in the catalogue`);
  assert.equal(d.kind, 'gauge');
  assert.deepEqual([...d.labels], ['alertname', 'severity']);
});
