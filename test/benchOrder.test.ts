/**
 * bench/http.ts interleaves the variants of a scenario in a Williams
 * design: each first once, each right after each other once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roundOrder } from '../bench/http.ts';

for (const n of [1, 2, 3, 4, 5, 6, 13]) {
  test(`roundOrder, ${n} variants: each round a permutation; each first equally often; each ordered pair adjacent equally often`, () => {
    const rounds = n % 2 === 0 ? n : 2 * n;
    const first = new Array<number>(n).fill(0);
    const pairs = new Map<string, number>();
    for (let r = 0; r < rounds; r++) {
      const order = roundOrder(r, n);
      assert.deepEqual([...order].sort((a, b) => a - b), [...Array(n).keys()], `round ${r}: ${order}`);
      first[order[0]!]!++;
      for (let j = 1; j < n; j++) pairs.set(`${order[j - 1]}>${order[j]}`, (pairs.get(`${order[j - 1]}>${order[j]}`) ?? 0) + 1);
    }
    assert.deepEqual(first, new Array<number>(n).fill(rounds / n));
    if (n > 1) {
      assert.equal(pairs.size, n * (n - 1), 'every ordered pair occurs');
      const each = new Set(pairs.values());
      assert.deepEqual([...each], [rounds / n], `every ordered pair ${rounds / n} times`);
    }
    assert.deepEqual(roundOrder(rounds, n), roundOrder(0, n), 'then it repeats');
  });
}
