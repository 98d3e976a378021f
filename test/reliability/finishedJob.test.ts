/**
 * A finished program under the preload, as real child processes: with no
 * collector (connection refused) it ends right after its work, without the
 * "shutdown did not finish" line; with a collector that accepts and then
 * never answers, the shutdown bound still ends it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as path from 'node:path';
import { FIXTURES, freePort, runChild } from '../support/child.ts';

const JOB = path.join(FIXTURES, 'oneSpanJob.cjs');

async function runJob(env: Record<string, string>): Promise<{ code: number | null; afterWorkMs: number; stderr: string }> {
  const child = runChild({ args: ['--require', '@wundr/otel/register', JOB], env: { METRICS_PORT: String(await freePort()), METRICS_HOST: '127.0.0.1', ALERTING_ENABLED: 'false', ...env } });
  const m = await child.waitForOutput(/done (\d+)/, 20000);
  const { code } = await child.exited(60000);
  return { code, afterWorkMs: Date.now() - Number(m[1]), stderr: child.stderr() };
}

test('no collector (connection refused): the job ends right after its work, well inside a long shutdown bound', async () => {
  const closed = await freePort();
  // A 20 s bound: an exit long before it shows the refusal ended the flush, not the bound.
  const r = await runJob({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closed}`, WUNDR_OTEL_SHUTDOWN_TIMEOUT: '20000' });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /shutdown did not finish/);
  assert.ok(r.afterWorkMs < 5000, `ended ${r.afterWorkMs} ms after its work (retrying a refused collector would take the 10 s OTLP timeout, the bound 20 s)`);
  assert.match(r.stderr, /ECONNREFUSED/, 'the failed export is reported');
});

test('a collector that accepts and never answers: the shutdown bound ends the job, with its line', async (t) => {
  const sockets: net.Socket[] = [];
  const hang = net.createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
  t.after(() => {
    for (const s of sockets) s.destroy();
    hang.close();
  });
  const port = (hang.address() as net.AddressInfo).port;
  const r = await runJob({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, WUNDR_OTEL_SHUTDOWN_TIMEOUT: '1500' });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(sockets.length > 0, 'the exporter did connect');
  assert.match(r.stderr, /shutdown did not finish within 1500 ms/);
  assert.ok(r.afterWorkMs >= 1400, `held for the bound: ${r.afterWorkMs} ms`);
});
