import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Command } from './Command.ts';
import { intOption, parseCommandArgs } from './UsageError.ts';

const USAGE = `Usage: wundr-otel rules [--check] [--heap-limit-bytes N] [--promtool PATH]

Prints the default alert rules as a Prometheus rule file (YAML), the same
definitions the in-process evaluator runs.

  --check               run "promtool check rules" on the file instead of printing it
  --heap-limit-bytes N  heap size the MemoryPressure rule measures against
                        (default: this Node's V8 heap limit)
  --promtool PATH       promtool binary (default: $PROMTOOL, then PATH)
`;

/** promtool from an explicit path, $PROMTOOL, or PATH. */
export function findPromtool(explicit?: string): string | undefined {
  if (explicit) return existsSync(explicit) ? explicit : undefined;
  if (process.env.PROMTOOL && existsSync(process.env.PROMTOOL)) return process.env.PROMTOOL;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'promtool'))) return join(dir, 'promtool');
  }
  return undefined;
}

export const rulesCommand: Command = {
  name: 'rules',
  summary: 'print the alert rules as Prometheus rule YAML (--check: run promtool on it)',
  usage: USAGE,
  run(args) {
    const { values } = parseCommandArgs(args, {
      check: { type: 'boolean' },
      'heap-limit-bytes': { type: 'string' },
      promtool: { type: 'string' },
    });
    const { defaultAlertRules } = require('../alerting/defaultRules') as typeof import('../alerting/defaultRules.ts');
    const { toPrometheusRuleYaml } = require('../alerting/PrometheusRuleSerializer') as typeof import('../alerting/PrometheusRuleSerializer.ts');
    const yaml = toPrometheusRuleYaml(defaultAlertRules({ heapLimitBytes: intOption('heap-limit-bytes', values['heap-limit-bytes']) }));
    if (!values.check) {
      process.stdout.write(yaml);
      return 0;
    }
    const promtool = findPromtool(values.promtool);
    if (!promtool) {
      process.stderr.write(
        `wundr-otel rules --check: promtool not found${values.promtool ? ` at ${values.promtool}` : ' (set PROMTOOL or install the Debian package "prometheus")'}; the rules were NOT checked\n`,
      );
      return 1;
    }
    const dir = mkdtempSync(join(tmpdir(), 'wundr-otel-rules-'));
    try {
      const file = join(dir, 'wundr.rules.yml');
      writeFileSync(file, yaml);
      const r = spawnSync(promtool, ['check', 'rules', file], { encoding: 'utf8', timeout: 60000 });
      process.stdout.write(r.stdout ?? '');
      process.stderr.write(r.stderr ?? '');
      if (r.error) {
        process.stderr.write(`wundr-otel rules --check: ${promtool} could not run: ${r.error.message}\n`);
        return 1;
      }
      return r.status === 0 ? 0 : 1;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
