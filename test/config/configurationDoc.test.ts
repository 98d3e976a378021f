import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_VARIABLES } from '../../src/config.ts';
import { IGNORED_SPEC_VARIABLES, SPEC_OTEL_VARIABLES, STOCK_READ_VARIABLES } from '../../src/config/otelVariables.ts';
import { INSTRUMENTATION_NAMES } from '../../src/config/nodeSettings.ts';

const ROOT = join(__dirname, '..', '..', '..');
const doc = readFileSync(join(ROOT, 'docs', 'CONFIGURATION.md'), 'utf8');

/** Every variable name the doc mentions, with `X_{A,B}_Y` expanded. */
function mentioned(): Set<string> {
  const out = new Set<string>();
  for (const m of doc.matchAll(/`([A-Z_]*(?:\{[A-Z_,]+\}[A-Z_]*)?)`/g)) {
    const raw = m[1]!;
    const brace = /^(.*)\{([A-Z_,]+)\}(.*)$/.exec(raw);
    if (brace) for (const part of brace[2]!.split(',')) out.add(`${brace[1]}${part}${brace[3]}`);
    else out.add(raw);
  }
  return out;
}

test('docs/CONFIGURATION.md names every variable the package reads and every specification variable', () => {
  const names = mentioned();
  const missing = [...new Set([...CONFIG_VARIABLES, ...SPEC_OTEL_VARIABLES])].filter((v) => !names.has(v));
  assert.deepEqual(missing, []);
});

test('docs/CONFIGURATION.md gives the status the code applies', () => {
  const rowOf = (v: string) => doc.split('\n').find((l) => l.startsWith('| ') && l.includes(`\`${v}\``)) ?? '';
  for (const v of IGNORED_SPEC_VARIABLES) assert.match(rowOf(v), /\| ignored, warned \|/, v);
  for (const v of STOCK_READ_VARIABLES.filter((x) => !x.includes('_TRACES_') && !x.includes('_METRICS_') && !x.includes('_LOGS_'))) assert.match(rowOf(v), /\| stock \|/, v);
  for (const v of CONFIG_VARIABLES.filter((x) => x.startsWith('OTEL_') && !/_(TRACES|METRICS|LOGS)_/.test(x))) {
    const row = rowOf(v);
    if (row) assert.match(row, /\| supported \|/, v);
  }
  for (const n of INSTRUMENTATION_NAMES) assert.match(doc, new RegExp(`^\\| \`${n}\` \\| (on|off) \\|`, 'm'), n);
});
