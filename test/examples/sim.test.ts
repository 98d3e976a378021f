/**
 * The demo's simulated failures: the configured share of trials, and never a
 * long run without one, so a short demo run always shows its error series.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recurring, Rng } from '../../examples/daemon/sim.ts';

function hits(rate: number, seed: number, trials: number): number[] {
  const r = new Recurring(rate, new Rng(seed));
  const at: number[] = [];
  for (let i = 1; i <= trials; i++) if (r.hit()) at.push(i);
  return at;
}

test('Recurring: the configured share, the first within 1/rate trials, no gap over 1.5/rate', () => {
  for (const rate of [0.03, 0.05, 0.25]) {
    for (let seed = 1; seed <= 200; seed++) {
      const at = hits(rate, seed * 7919, 20_000);
      assert.ok(Math.abs(at.length / 20_000 - rate) < rate * 0.05, `rate ${rate} seed ${seed}: ${at.length} of 20000`);
      assert.ok(at[0]! <= Math.ceil(1 / rate), `rate ${rate} seed ${seed}: first at ${at[0]}`);
      for (let k = 1; k < at.length; k++) assert.ok(at[k]! - at[k - 1]! <= Math.ceil(1.5 / rate), `rate ${rate} seed ${seed}: gap ${at[k]! - at[k - 1]!}`);
    }
  }
});

test('Recurring: gaps vary (not a fixed period), rate 0 never fires, rate 1 always does', () => {
  const at = hits(0.03, 42, 3000);
  const gaps = new Set(at.slice(1).map((v, k) => v - at[k]!));
  assert.ok(gaps.size >= 10, `${gaps.size} distinct gaps`);
  assert.deepEqual(hits(0, 42, 1000), []);
  assert.equal(hits(1, 42, 1000).length, 1000);
});

test('the simulated provider fails at both configured shares: a 503 drawn on a rate-limited call comes on the next one', async () => {
  const { SimulatedLlmClient } = await import('../../examples/daemon/sim.ts');
  const llm = new SimulatedLlmClient('anthropic', new Rng(7), { errorRate: 0.3, rateLimitRate: 0.2, latencyScale: 0 });
  const got = { 429: 0, 503: 0, ok: 0 };
  for (let i = 0; i < 2000; i++) {
    try {
      await llm.chat({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
      got.ok++;
    } catch (e) {
      got[(e as { status: 429 | 503 }).status]++;
    }
  }
  // Without the carry-over, 503s would be 0.3 of the calls not rate-limited: about 480.
  assert.ok(Math.abs(got[503] - 600) <= 30, JSON.stringify(got));
  assert.ok(Math.abs(got[429] - 400) <= 30, JSON.stringify(got));
});
