/**
 * deploy/alertmanager/alertmanager.yml works out of the box (every alert to
 * the `null` receiver: kept and shown, sent nowhere, no delivery errors), and
 * its commented webhook, Slack and PagerDuty receivers are valid once
 * uncommented. amtool (Debian's prometheus-alertmanager) checks both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './support/child.ts';

const FILE = path.join(ROOT, 'deploy', 'alertmanager', 'alertmanager.yml');
const TEXT = readFileSync(FILE, 'utf8');
const AMTOOL = spawnSync('amtool', ['--version'], { encoding: 'utf8' }).status === 0;

interface Route {
  receiver: string;
  routes?: Route[];
}

function receiversOf(r: Route): string[] {
  return [r.receiver, ...(r.routes ?? []).flatMap(receiversOf)];
}

/** The file with its commented receiver examples uncommented. */
function uncommented(): string {
  return TEXT.split('\n')
    .map((l) => l.replace(/^ {2}# (-| {2})/, '  $1'))
    .join('\n');
}

test('by default every route ends at the null receiver, which notifies nothing', () => {
  const cfg = parse(TEXT) as { route: Route; receivers: Record<string, unknown>[] };
  assert.deepEqual([...new Set(receiversOf(cfg.route))], ['null']);
  assert.deepEqual(cfg.receivers, [{ name: 'null' }]);
  assert.doesNotMatch(TEXT.replace(/^\s*#.*$/gm, ''), /wundr-daemon:9464\/alerts\/webhook/, 'no receiver posts to a route nothing serves');
});

test('the commented examples are a webhook, a Slack and a PagerDuty receiver', () => {
  const cfg = parse(uncommented()) as { receivers: Record<string, unknown>[] };
  const names = cfg.receivers.map((r) => r.name);
  assert.deepEqual(names, ['null', 'wundr-webhook', 'wundr-slack', 'wundr-pagerduty']);
  assert.ok(cfg.receivers[1]!.webhook_configs);
  assert.ok(cfg.receivers[2]!.slack_configs);
  assert.ok(cfg.receivers[3]!.pagerduty_configs);
});

test('amtool accepts the file as shipped and with each example routed to', { skip: AMTOOL ? false : 'no amtool (apt-get install prometheus-alertmanager)' }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wundr-am-'));
  try {
    const check = (text: string, name: string) => {
      const f = path.join(dir, name);
      writeFileSync(f, text);
      const r = spawnSync('amtool', ['check-config', f], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${name}: ${r.stdout}${r.stderr}`);
    };
    check(TEXT, 'shipped.yml');
    for (const receiver of ['wundr-webhook', 'wundr-slack', 'wundr-pagerduty']) {
      check(uncommented().replace(/receiver: 'null'/g, `receiver: ${receiver}`), `${receiver}.yml`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
