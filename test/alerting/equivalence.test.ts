/**
 * One definition, two evaluators: each default rule gets the same induced
 * data in the in-process evaluator and in Prometheus (`promtool test rules`
 * on the exported file), and both must fire at the same step with the same
 * labels and annotations — and not one step earlier.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { AlertEvaluator } from '../../src/alerting/AlertEvaluator.ts';
import { defaultAlertRules } from '../../src/alerting/defaultRules.ts';
import { StaticMetricSource } from '../../src/metrics/MetricSnapshot.ts';
import { toPrometheusRuleYaml } from '../../src/alerting/PrometheusRuleSerializer.ts';
import { CASES } from './cases.ts';

const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));
const STEP_S = 30;

function seriesId(name: string, labels: Record<string, string>): string {
  const l = Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
  return l ? `${name}{${l}}` : name;
}

test('each default rule fires at the same step, with the same labels and annotations, in-process and in Prometheus', async (t) => {
  if (!PROMTOOL) {
    t.skip('promtool is not installed (Debian package "prometheus"): only the in-process half could run');
    return;
  }
  const rules = defaultAlertRules();
  const dir = mkdtempSync(join(tmpdir(), 'wundr-equiv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'wundr.rules.yml'), toPrometheusRuleYaml(rules));

  const tests: unknown[] = [];
  for (const rule of rules) {
    const c = CASES[rule.name]!;
    let now = 0;
    const src = new StaticMetricSource();
    const ev = new AlertEvaluator({ rules: [rule], source: src, now: () => now, logger: { info() {}, warn() {}, error() {} } });
    const steps: Map<string, number>[] = [];
    const record = async () => {
      const snap = await src.collect();
      const m = new Map<string, number>();
      for (const [name, list] of snap.series) for (const s of list) m.set(seriesId(name, s.labels), s.value);
      steps.push(m);
      await ev.evaluate();
    };
    await record(); // t = 0, nothing recorded yet
    let fireStep: number | undefined;
    for (let i = 1; i <= 40 && fireStep === undefined; i++) {
      now = i * STEP_S * 1000;
      c.induce(src);
      await record();
      if (ev.getFiringAlerts().length > 0) fireStep = i;
    }
    assert.ok(fireStep !== undefined, `${rule.name}: never fired in-process`);
    assert.ok(fireStep * STEP_S >= rule.duration + STEP_S, `${rule.name}: fired after holding for its duration`);
    const firing = ev.getFiringAlerts();

    // The same samples as Prometheus input series; a series absent at a step is a 0 (it did not exist yet).
    const ids = new Set(steps.flatMap((m) => [...m.keys()]));
    const inputSeries = [...ids].map((id) => ({ series: id, values: steps.map((m) => String(m.get(id) ?? 0)).join(' ') }));
    const expected = firing.map((a) => ({ exp_labels: { severity: a.severity, ...a.labels }, exp_annotations: a.annotations }));
    tests.push({
      name: rule.name,
      interval: `${STEP_S}s`,
      input_series: inputSeries,
      alert_rule_test: [
        // One step before: not firing yet in Prometheus either (promtool lists firing alerts only).
        ...(rule.duration > 0 ? [{ eval_time: `${(fireStep! - 1) * STEP_S}s`, alertname: rule.name, exp_alerts: [] }] : []),
        { eval_time: `${fireStep! * STEP_S}s`, alertname: rule.name, exp_alerts: expected },
      ],
    });
  }
  writeFileSync(join(dir, 'test.yml'), stringify({ rule_files: ['wundr.rules.yml'], evaluation_interval: `${STEP_S}s`, tests }));
  const r = spawnSync(PROMTOOL, ['test', 'rules', 'test.yml'], { cwd: dir, encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, `promtool disagrees with the in-process evaluator:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /SUCCESS/);
});
