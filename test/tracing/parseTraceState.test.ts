import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isValidTraceStateKey,
  isValidTraceStateValue,
  parseTraceState,
  parseTraceStateMembers,
  truncateTraceStateMembers,
} from '../../src/tracing/parseTraceState.ts';

// One test per rule of W3C Trace Context Level 2, §3.3 (tracestate).

test('a valid list keeps its members in order', () => {
  assert.deepEqual(parseTraceStateMembers('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'), [
    ['congo', 't61rcWkgMzE'],
    ['rojo', '00f067aa0ba902b7'],
  ]);
  assert.equal(parseTraceState('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7')?.serialize(), 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
});

test('simple-key: starts with lcalpha, then lcalpha / DIGIT / _ - * /, up to 256 chars', () => {
  for (const k of ['a', 'a0_-*/', 'z'.repeat(256), 'foo/bar*baz']) assert.ok(isValidTraceStateKey(k), k);
  for (const k of ['', 'A', 'aB', '0a', '_a', 'a b', 'a.b', 'a'.repeat(257), 'a=b', 'é']) assert.ok(!isValidTraceStateKey(k), k);
});

test('multi-tenant key: tenant (lcalpha/DIGIT first, <=241) @ system (lcalpha first, <=14)', () => {
  for (const k of ['t@s', '0t@s', 'tenant_1@vendor-x', `${'t'.repeat(241)}@s`, `t@${'s'.repeat(14)}`]) assert.ok(isValidTraceStateKey(k), k);
  for (const k of [
    '@s',
    't@',
    't@0s',
    '_t@s',
    `${'t'.repeat(242)}@s`,
    `t@${'s'.repeat(15)}`,
    't@s@x',
    'T@s',
    't@S',
  ])
    assert.ok(!isValidTraceStateKey(k), k);
});

test('value: 1-256 chars of 0x20-0x7E without "," and "=", not ending in a space', () => {
  for (const v of ['x', ' x', 'a b', '!~', 'v'.repeat(256), '"quoted"']) assert.ok(isValidTraceStateValue(v), JSON.stringify(v));
  for (const v of ['', ' ', 'x ', 'a,b', 'a=b', 'v'.repeat(257), 'a\tb', 'a\nb', 'a\x00b', 'a\x7fb', 'é']) {
    assert.ok(!isValidTraceStateValue(v), JSON.stringify(v));
  }
});

test('an invalid key anywhere discards the whole tracestate', () => {
  assert.equal(parseTraceStateMembers('good=1,Bad=2,also=3'), undefined);
  assert.equal(parseTraceState('good=1,Bad=2'), undefined);
});

test('an invalid value anywhere discards the whole tracestate', () => {
  assert.equal(parseTraceStateMembers('good=1,bad=a=b'), undefined);
  assert.equal(parseTraceStateMembers('good=1,bad=\x01'), undefined);
  assert.equal(parseTraceStateMembers('good=1,bad='), undefined);
});

test('a member without "=" discards the whole tracestate', () => {
  assert.equal(parseTraceStateMembers('good=1,justakey'), undefined);
  assert.equal(parseTraceStateMembers('=value'), undefined);
});

test('32 members are accepted, a 33rd discards the whole tracestate', () => {
  const members = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v${i}`).join(',');
  assert.equal(parseTraceStateMembers(members(32))?.length, 32);
  assert.equal(parseTraceStateMembers(members(33)), undefined);
});

test('a duplicated key discards the whole tracestate', () => {
  assert.equal(parseTraceStateMembers('a=1,b=2,a=3'), undefined);
});

test('empty and whitespace-only members are allowed and do not count', () => {
  assert.deepEqual(parseTraceStateMembers('a=1,, \t ,b=2,'), [
    ['a', '1'],
    ['b', '2'],
  ]);
  const many = Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(',,');
  assert.equal(parseTraceStateMembers(many)?.length, 32);
  assert.deepEqual(parseTraceStateMembers(''), []);
  assert.equal(parseTraceState(''), undefined);
});

test('optional whitespace (SP, HTAB) around members is trimmed; a leading space belongs to the value only after "="', () => {
  assert.deepEqual(parseTraceStateMembers(' a=1 ,\tb= 2\t'), [
    ['a', '1'],
    ['b', ' 2'],
  ]);
  assert.equal(parseTraceStateMembers('a =1'), undefined, 'no whitespace between key and "="');
});

test('several tracestate headers are one list (RFC 9110 field combination)', () => {
  assert.deepEqual(parseTraceStateMembers(['a=1', 'b=2']), [
    ['a', '1'],
    ['b', '2'],
  ]);
  assert.equal(parseTraceStateMembers(['a=1', 'a=2']), undefined, 'a key duplicated across headers');
  assert.equal(parseTraceStateMembers(['a=1', 3 as unknown as string]), undefined);
});

test('non-string input and absurdly long input are refused without parsing', () => {
  assert.equal(parseTraceStateMembers(undefined), undefined);
  assert.equal(parseTraceStateMembers(42), undefined);
  assert.equal(parseTraceStateMembers({}), undefined);
  assert.equal(parseTraceStateMembers('a=1,'.repeat(100_000)), undefined);
});

test('propagation truncates past 512 chars: members over 128 chars first, then from the end', () => {
  const big = `big=${'x'.repeat(200)}`;
  const small = Array.from({ length: 20 }, (_, i) => `k${i}=${'v'.repeat(20)}`);
  const members = parseTraceStateMembers([big, ...small].join(','))!;
  const kept = truncateTraceStateMembers(members);
  assert.ok(!kept.some(([k]) => k === 'big'), 'the long member went first');
  const serialized = kept.map(([k, v]) => `${k}=${v}`).join(',');
  assert.ok(serialized.length <= 512);
  assert.deepEqual(
    kept.map(([k]) => k),
    small.slice(0, kept.length).map((m) => m.split('=')[0]),
    'then members from the end',
  );
  assert.equal(parseTraceState([big, ...small].join(','))?.serialize(), serialized);
});
