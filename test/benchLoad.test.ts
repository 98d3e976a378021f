/**
 * bench/load.ts, the benchmarks' load generator: autocannon in its own
 * process, with each 2xx response's latency kept at hrtime resolution (the
 * p99 the report compares), not autocannon's whole milliseconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { quantile } from '../bench/load.ts';
import { runLoad } from '../bench/proc.ts';

test('quantile: nearest rank over sorted values', () => {
  const v = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(quantile(v, 0.5), 5);
  assert.equal(quantile(v, 0.99), 10);
  assert.equal(quantile(v, 0.1), 1);
  assert.equal(quantile(v, 0), 1);
  assert.equal(quantile(new Float64Array(0), 0.99), 0);
});

test('runLoad: fractional-ms latencies of the 2xx answers (after 5 ms); the non-2xx are counted apart', async () => {
  let n = 0;
  const server = http.createServer((req, res) => {
    // Three requests in five get a 503 at once: were they among the latencies, the median would be under 1 ms.
    if (++n % 5 < 3) {
      res.statusCode = 503;
      res.end();
      return;
    }
    setTimeout(() => res.end('ok'), 5);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    const r = await runLoad({ url: `http://127.0.0.1:${port}/`, durationS: 1, connections: 2 });
    assert.ok(r.total > 20, `total ${r.total}`);
    assert.ok(r.non2xx > 0 && r.non2xx < r.total, `non2xx ${r.non2xx} of ${r.total}`);
    // A 5 ms timer can fire up to 1 ms early by the clock (libuv's loop time is taken once per turn), never sooner.
    assert.ok(r.p50Ms >= 4, `p50 ${r.p50Ms}`);
    assert.ok(r.p99Ms >= r.p50Ms);
    assert.ok(!Number.isInteger(r.p50Ms) || !Number.isInteger(r.p99Ms), `fractional: ${r.p50Ms}, ${r.p99Ms}`);
    assert.ok(Number.isInteger(r.wholeMsP99), `autocannon's own: ${r.wholeMsP99}`);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('runLoad rejects with the generator\'s own message when autocannon refuses its options', async () => {
  await assert.rejects(runLoad({ url: 'http://127.0.0.1:9/', durationS: 1, connections: 0 }), /the load generator exited 1: .*connections/);
});
