/** Redaction and sanitising: any depth, normalised keys, hostile values never throw. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createRedactor, redact, REDACTED } from '../../src/logging/redact.ts';
import { DEFAULT_REDACT_KEYS } from '../../src/config.ts';

test('default keys are redacted at any depth, in objects, arrays, Maps and Error properties', () => {
  const err = Object.assign(new Error('x'), { token: 't0' });
  const out = redact({
    user: 'ann',
    Authorization: 'Bearer abc',
    nested: { deeper: { 'api-key': 'k1', API_KEY: 'k2', apiKey: 'k3', list: [{ password: 'p' }, { ok: 1 }] } },
    cookies: new Map([['Set-Cookie', 'c=1']]),
    err,
    refresh_token: 'r',
    secret: { any: 'shape' },
  }) as any;
  assert.equal(out.user, 'ann');
  assert.equal(out.Authorization, REDACTED);
  assert.equal(out.nested.deeper['api-key'], REDACTED);
  assert.equal(out.nested.deeper.API_KEY, REDACTED);
  assert.equal(out.nested.deeper.apiKey, REDACTED);
  assert.equal(out.nested.deeper.list[0].password, REDACTED);
  assert.deepEqual(out.nested.deeper.list[1], { ok: 1 });
  assert.equal(out.cookies['Set-Cookie'], REDACTED);
  assert.equal(out.err.token, REDACTED);
  assert.equal(out.err.message, 'x');
  assert.equal(out.refresh_token, REDACTED);
  assert.equal(out.secret, REDACTED, 'a whole subtree under a redacted key goes');
  assert.ok(!JSON.stringify(out).match(/abc|k1|k2|k3|"p"|c=1|t0|"r"|shape/), JSON.stringify(out));
});

test('a custom key list replaces the defaults, and keys are compared normalised', () => {
  const r = createRedactor(['Session-Secret']);
  assert.deepEqual(r.redact({ session_secret: 's', SESSIONSECRET: 's', password: 'kept' }), {
    session_secret: REDACTED,
    SESSIONSECRET: REDACTED,
    password: 'kept',
  });
  assert.equal(r.isRedactedKey('sessionSecret'), true);
  assert.equal(r.isRedactedKey('session'), false);
});

test('the input is not modified', () => {
  const input = { password: 'p', inner: { token: 't' } };
  redact(input);
  assert.deepEqual(input, { password: 'p', inner: { token: 't' } });
});

test('circular references, BigInt, symbols, functions, Dates, typed arrays', () => {
  const a: any = { n: 1n, s: Symbol('q'), f() {}, d: new Date(0), bad: new Date(NaN), buf: Buffer.from('secret-bytes') };
  a.self = a;
  a.list = [a, { back: a }];
  const out = redact(a) as any;
  assert.equal(out.n, '1');
  assert.equal(out.s, 'Symbol(q)');
  assert.equal('f' in out, false);
  assert.equal(out.d, '1970-01-01T00:00:00.000Z');
  assert.equal(out.bad, 'Invalid Date');
  assert.equal(out.buf, '[Buffer(12 bytes)]');
  assert.equal(out.self, '[Circular]');
  assert.equal(out.list[0], '[Circular]');
  assert.equal(out.list[1].back, '[Circular]');
  // Shared (non-circular) references are printed, not marked.
  const shared = { v: 1 };
  assert.deepEqual(redact({ x: shared, y: shared }), { x: { v: 1 }, y: { v: 1 } });
});

test('throwing getters, throwing toJSON and hostile proxies never throw', () => {
  const o = {
    get boom(): never {
      throw new Error('getter exploded');
    },
    ok: 1,
  };
  const j = {
    toJSON() {
      throw new Error('toJSON exploded');
    },
  };
  const p = new Proxy(
    {},
    {
      ownKeys() {
        throw new Error('no keys');
      },
    },
  );
  const out = redact({ o, j, p }) as any;
  assert.equal(out.o.boom, '[Throws: getter exploded]');
  assert.equal(out.o.ok, 1);
  assert.equal(out.j, '[Unserializable: toJSON exploded]');
  assert.equal(out.p, '[Unserializable: no keys]');
});

test('long strings are cut with a marker; surrogate pairs are not split', () => {
  const r = createRedactor(DEFAULT_REDACT_KEYS, { maxStringLength: 16 });
  assert.equal(r.redact('x'.repeat(40)), `${'x'.repeat(16)}…[truncated 24 chars]`);
  const emoji = `${'a'.repeat(15)}😀tail`;
  const cut = r.redact(emoji) as string;
  assert.ok(cut.startsWith('a'.repeat(15) + '…'), cut);
  assert.equal(Buffer.from(cut, 'utf8').toString('utf8'), cut, 'valid UTF-16 (no lone surrogate)');
  assert.equal(r.redact('short'), 'short');
});

test('depth and array length are bounded', () => {
  let deep: any = { leaf: 1 };
  for (let i = 0; i < 30; i++) deep = { d: deep };
  const s = JSON.stringify(redact(deep));
  assert.match(s, /"\[Object\]"/);
  const big = redact(Array.from({ length: 1500 }, (_, i) => i)) as unknown[];
  assert.equal(big.length, 1001);
  assert.equal(big[1000], '…[500 more items]');
});

test('__proto__ keys are copied as data, never as a prototype', () => {
  const input = JSON.parse('{"__proto__":{"polluted":true},"a":1}');
  const out = redact(input) as any;
  assert.equal(({} as any).polluted, undefined);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.deepEqual(Object.keys(out), ['__proto__', 'a']);
});

test('misuse at definition time throws a precise message', () => {
  assert.throws(() => createRedactor('password' as never), /redaction keys must be an array of strings/);
  assert.throws(() => createRedactor([], { maxStringLength: 0 }), /maxStringLength must be a positive integer; got 0/);
});

test('property: any value redacts without throwing into something JSON.stringify accepts, with no default secret left', () => {
  const secretKey = fc.constantFrom('password', 'Authorization', 'api_key', 'TOKEN', 'client-secret');
  const tree = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true }),
      fc.dictionary(fc.oneof(fc.string(), secretKey), tie('node'), { maxKeys: 4 }),
      fc.record({ k: secretKey, v: tie('node') }).map(({ k, v }) => ({ [k]: 'SECRET-VALUE', other: v })),
      fc.array(tie('node'), { maxLength: 4 }),
    ),
  })).node;
  fc.assert(
    fc.property(tree, (v) => {
      const out = redact(v);
      const s = JSON.stringify(out) ?? '';
      assert.ok(!s.includes('SECRET-VALUE'), s);
    }),
    { numRuns: 400 },
  );
});
