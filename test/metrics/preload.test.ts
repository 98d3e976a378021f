/**
 * Black box: the preload (`--require` / `--import @wundr/otel/register`)
 * starts the SDK, the host app records through `require('@wundr/otel')` or
 * `import … from '@wundr/otel'`, and /metrics of the child process serves
 * the recordings (wundr_ cells, histograms and bridged orchestrator_).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ROOT, eventually, freePort, request, runChild, type Child } from '../support/child.ts';
import { parseExposition } from './expositionParser.ts';

const FIX = path.join(ROOT, 'test', 'metrics', 'fixtures');
const children: Child[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
});

for (const [flag, app] of [
  ['--require', 'metrics-app.cjs'],
  ['--import', 'metrics-app.mjs'],
] as const) {
  test(`${flag} preload: the app's recordings are on /metrics`, async () => {
    const port = await freePort();
    const child = runChild({
      args: [flag, '@wundr/otel/register', path.join(FIX, app)],
      env: { METRICS_PORT: String(port), METRICS_HOST: '127.0.0.1', OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    });
    children.push(child);
    await child.waitForOutput(/recorded/, 15000);
    const fams = await eventually(async () => {
      const r = await request(port, '/metrics');
      assert.equal(r.status, 200);
      return parseExposition(r.body);
    }, 15000);
    const v = (name: string, pred: (l: Record<string, string>) => boolean) => fams.get(name)?.samples.find((s) => pred(s.labels))?.value;
    assert.equal(v('wundr_agent_spawned_total', (l) => l.orchestrator_id === 'o1'), 3);
    assert.equal(v('wundr_tool_execution_total', (l) => l.tool_name === 'grep'), 1);
    assert.equal(fams.get('wundr_tool_execution_duration_seconds')?.samples.find((s) => s.name.endsWith('_sum'))?.value, 0.25);
    assert.equal(v('orchestrator_tokens_used_total', (l) => l.model === 'm'), 9);
    assert.ok((fams.get('wundr_process_memory_rss_bytes')?.samples[0].value ?? 0) > 0);
    assert.equal(child.stderr().includes('NOT instrumented'), false, child.stderr());
    child.kill('SIGKILL');
  });
}
