import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildWundrDashboard, dashboardExpressions, dashboardJson, metric } from '../../src/dashboard/wundrDashboard.ts';
import { defaultAlertRules } from '../../src/alerting/defaultRules.ts';
import { rulePromQL } from '../../src/alerting/PrometheusRuleSerializer.ts';
import { CATALOGUE, getMetricDef } from '../../src/metrics/catalogue.ts';
import { ROOT } from '../support/child.ts';

const COMMITTED = join(ROOT, 'deploy', 'grafana', 'dashboards', 'wundr.json');
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));

/** Metric names in a PromQL expression: identifiers outside label lists, by/without clauses and strings. */
export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\{[^}]*\}/g, '');
  const FUNCS = new Set(['sum', 'max', 'min', 'avg', 'count', 'rate', 'irate', 'increase', 'histogram_quantile', 'topk', 'bottomk', 'by', 'without', 'le']);
  return (stripped.match(/\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()/g) ?? []).filter((t) => !FUNCS.has(t) && !/^\d/.test(t) && !/^[smhdwy]$/.test(t) && !/^\d+[smhdwy]$/.test(t));
}

test('the committed deploy/grafana/dashboards/wundr.json is exactly what the builder makes (regenerate: wundr-otel dashboard > deploy/grafana/dashboards/wundr.json)', () => {
  assert.equal(readFileSync(COMMITTED, 'utf8'), dashboardJson());
});

test('the eight sections of seed §9, in order, each with panels', () => {
  const d = buildWundrDashboard();
  const rows = (d.panels ?? []).filter((p) => p.type === 'row').map((p) => (p as { title: string }).title);
  assert.deepEqual(rows, ['Agent Overview', 'Session Performance', 'Memory System', 'Tool Execution', 'WebSocket Health', 'Model Routing', 'System Resources', 'Budget Tracking']);
  const ids = (d.panels ?? []).map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const p of d.panels ?? []) {
    const g = p.gridPos!;
    assert.ok(g.x + g.w <= 24, `${(p as { title?: string }).title} fits the 24-column grid`);
  }
  assert.ok((d.panels ?? []).some((p) => p.type === 'heatmap'), 'a latency heatmap (seed: Model Routing)');
});

test('every PromQL metric name in the dashboard and in the rules exists in the catalogue', () => {
  const exprs = [...dashboardExpressions().map((e) => ({ where: `panel "${e.panel}"`, expr: e.expr })), ...defaultAlertRules().map((r) => ({ where: `rule ${r.name}`, expr: rulePromQL(r) }))];
  assert.ok(exprs.length > 40);
  const used = new Set<string>();
  for (const { where, expr } of exprs) {
    const names = promqlMetricNames(expr);
    assert.ok(names.length > 0, `${where}: no metric in ${expr}`);
    for (const n of names) {
      assert.ok(getMetricDef(n), `${where}: ${n} in "${expr}" is not in the catalogue`);
      used.add(getMetricDef(n)!.name);
    }
  }
  // The extractor itself can fail: a made-up name must be caught.
  assert.deepEqual(promqlMetricNames('sum by (queue_name) (rate(wundr_made_up_total{a="b"}[5m])) * 60'), ['wundr_made_up_total']);
  // Every seed metric (§3.1 and §2.1) has a panel.
  const missing = CATALOGUE.filter((d) => (d.source === 'seed' || d.source === 'legacy') && !used.has(d.name)).map((d) => d.name);
  assert.deepEqual(missing, [], 'seed metrics without a panel');
});

test('metric() refuses names outside the catalogue', () => {
  assert.throws(() => metric('wundr_no_such_metric'), /not a metric family of the catalogue/);
  assert.throws(() => metric('wundr_agent_duration_seconds_bucket'), /not a metric family/);
  assert.equal(metric('wundr_queue_depth'), 'wundr_queue_depth');
});

test('rule thresholds are drawn on their panels', () => {
  const d = buildWundrDashboard();
  const budget = (d.panels ?? []).find((p) => (p as { title?: string }).title === 'Budget utilization by period') as any;
  const steps = budget.fieldConfig.defaults.thresholds.steps;
  assert.deepEqual(steps[1], { value: 90, color: 'red' });
  assert.equal(budget.fieldConfig.defaults.custom.thresholdsStyle.mode, 'dashed');
});

test('promtool parses every dashboard expression', (t) => {
  if (!PROMTOOL) {
    t.skip('promtool is not installed (Debian package "prometheus")');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'wundr-dash-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const exprs = dashboardExpressions();
  const file = join(dir, 'dash.rules.yml');
  writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules: exprs.map((e, i) => ({ record: `wundr:dashboard_expr_${i}`, expr: e.expr })) }] }));
  const r = spawnSync(PROMTOOL, ['check', 'rules', file], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, new RegExp(`SUCCESS: ${exprs.length} rules found`));
});
