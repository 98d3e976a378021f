/**
 * The example daemon with the demo's defaults (only the ports moved, and the
 * OTLP address pointed at a closed port) shows every seed catalogue family on
 * /metrics within 30 s of listening: no tuned environment needed.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { CATALOGUE, seriesNames } from '../../src/metrics/catalogue.ts';
import { freePort, request, ROOT, runChild, type Child } from '../support/child.ts';

const MAIN = path.join(ROOT, 'build', 'examples', 'daemon', 'main.js');
const REGISTER = path.join(ROOT, 'build', 'src', 'register.js');
const SEED = CATALOGUE.filter((d) => (d.source === 'seed' || d.source === 'legacy') && (d.platform !== 'linux' || process.platform === 'linux'));

let child: Child | undefined;
after(() => child?.kill('SIGKILL'));

test('every seed catalogue family is on /metrics within 30 s with the demo defaults', async () => {
  const port = await freePort();
  child = runChild({
    args: ['--require', REGISTER, MAIN, '--duration', '60'],
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
      LOG_LEVEL: 'error',
      APP_PORT: '0',
      METRICS_PORT: String(port),
      PEER_METRICS_PORT: String(await freePort()),
    },
  });
  await child.waitForOutput(/open http:\/\/127\.0\.0\.1:\d+\//, 30000);
  const listening = Date.now();
  const names = SEED.flatMap((d) => seriesNames(d));
  let missing = names;
  while (Date.now() - listening < 30_000) {
    const body = (await request(port, '/metrics')).body;
    const present = new Set(body.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/[{ ]/, 1)[0]));
    missing = names.filter((n) => !present.has(n));
    if (missing.length === 0) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  assert.deepEqual(missing, [], `missing ${Math.round((Date.now() - listening) / 1000)} s after the daemon listened`);
  assert.ok(SEED.length >= 56, `${SEED.length} seed families`);
});
