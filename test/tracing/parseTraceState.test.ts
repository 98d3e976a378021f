import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isValidTraceStateKey,
  isValidTraceStateValue,
  parseTraceState,
  parseTraceStateMembers,
  truncateTraceStateMembers,
} from '../../src/tracing/parseTraceState.ts';

// One test per rule of the current W3C Trace Context text
// (w3c/trace-context spec/20-http_request_header_format.md, "Tracestate Header"),
// with the spec's own examples.

test('the spec examples: one and two tracing systems', () => {
  assert.deepEqual(parseTraceStateMembers('rojo=00f067aa0ba902b7'), [['rojo', '00f067aa0ba902b7']]);
  assert.equal(parseTraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')?.serialize(), 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
  assert.equal(
    parseTraceState('vendorname1=opaqueValue1,vendorname2=opaqueValue2')?.get('vendorname2'),
    'opaqueValue2',
  );
});

test('a valid list keeps its members in order', () => {
  assert.deepEqual(parseTraceStateMembers('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'), [
    ['congo', 't61rcWkgMzE'],
    ['rojo', '00f067aa0ba902b7'],
  ]);
  assert.equal(parseTraceState('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7')?.serialize(), 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
});

test('key = ( lcalpha / DIGIT ) 0*255 keychar, keychar = lcalpha / DIGIT / _ - * / @', () => {
  const all = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/@';
  for (const k of ['a', '0', '0a', 'a0_-*/', 'z'.repeat(256), 'foo/bar*baz', 'foo@', 'foo@bar', 'foo@bar@baz', 'foo@@bar', '0@', all, `${'t'.repeat(242)}@v`, `t@${'v'.repeat(15)}`]) {
    assert.ok(isValidTraceStateKey(k), k);
  }
  for (const k of ['', 'A', 'aB', '_a', '@foo', '-a', '*a', '/a', 'a b', 'a.b', 'a'.repeat(257), 'a=b', 'é', 'FOO', 'foo ', ' foo']) {
    assert.ok(!isValidTraceStateKey(k), k);
  }
});

test('"foo@=1" and a 256-character key are valid members', () => {
  assert.equal(parseTraceState('foo@=1')?.get('foo@'), '1');
  const k256 = 'z'.repeat(256);
  assert.deepEqual(parseTraceStateMembers(`foo=1,${k256}=1`), [
    ['foo', '1'],
    [k256, '1'],
  ]);
  assert.deepEqual(parseTraceStateMembers(['foo=1', 't'.repeat(241) + '@' + 'v'.repeat(14) + '=1'])?.length, 2);
});

test('all allowed key and value characters', () => {
  const key = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/@a-z0-9_-*/';
  let value = '';
  for (let c = 0x20; c <= 0x7e; c++) if (c !== 0x2c && c !== 0x3d) value += String.fromCharCode(c);
  assert.equal(parseTraceState(`${key}=${value}`)?.get(key), value);
});

test('value: 1-256 chars of 0x20-0x7E without "," and "=", not ending in a space', () => {
  for (const v of ['x', ' x', 'a b', '!~', 'v'.repeat(256), '"quoted"']) assert.ok(isValidTraceStateValue(v), JSON.stringify(v));
  for (const v of ['', ' ', 'x ', 'a,b', 'a=b', 'v'.repeat(257), 'a\tb', 'a\nb', 'a\x00b', 'a\x7fb', 'é']) {
    assert.ok(!isValidTraceStateValue(v), JSON.stringify(v));
  }
});

test('an invalid key drops that member only', () => {
  assert.deepEqual(parseTraceStateMembers('good=1,Bad=2,also=3'), [
    ['good', '1'],
    ['also', '3'],
  ]);
  assert.equal(parseTraceState('good=1,foo.bar=2,FOO=3,foo =4')?.serialize(), 'good=1');
  assert.equal(parseTraceState(['foo=1', 'z'.repeat(257) + '=1'])?.serialize(), 'foo=1');
  assert.equal(parseTraceState('Bad=2'), undefined, 'nothing valid left');
});

test('an invalid value drops that member only', () => {
  assert.deepEqual(parseTraceStateMembers('good=1,bad=a=b'), [['good', '1']]);
  assert.deepEqual(parseTraceStateMembers('good=1,bad=\x01'), [['good', '1']]);
  assert.deepEqual(parseTraceStateMembers('foo=,bar=3'), [['bar', '3']]);
});

test('a member without "=" drops that member only', () => {
  assert.deepEqual(parseTraceStateMembers('good=1,justakey'), [['good', '1']]);
  assert.deepEqual(parseTraceStateMembers('=value,a=1'), [['a', '1']]);
});

test('32 members are kept; of more, the first 32', () => {
  const members = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v${i}`).join(',');
  assert.equal(parseTraceStateMembers(members(32))?.length, 32);
  const of33 = parseTraceStateMembers(members(33))!;
  assert.equal(of33.length, 32);
  assert.deepEqual(of33[0], ['k0', 'v0']);
  assert.deepEqual(of33[31], ['k31', 'v31']);
});

test('a duplicated key keeps its first entry, never drops the whole header', () => {
  assert.deepEqual(parseTraceStateMembers('a=1,b=2,a=3'), [
    ['a', '1'],
    ['b', '2'],
  ]);
  assert.equal(parseTraceState('foo=1,foo=1')?.serialize(), 'foo=1');
  assert.equal(parseTraceState(['foo=1', 'foo=2'])?.get('foo'), '1');
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
  assert.deepEqual(parseTraceStateMembers('a =1,b=2'), [['b', '2']], 'no whitespace between key and "="');
  assert.equal(parseTraceState('\t foo=1 \t')?.get('foo'), '1');
});

test('several tracestate headers are one list (RFC 9110 field combination)', () => {
  assert.deepEqual(parseTraceStateMembers(['a=1', 'b=2']), [
    ['a', '1'],
    ['b', '2'],
  ]);
  assert.deepEqual(parseTraceStateMembers(['a=1', 'a=2']), [['a', '1']], 'a key duplicated across headers');
  assert.equal(parseTraceStateMembers(['a=1', 3 as unknown as string]), undefined);
});

test('non-string input and absurdly long input are refused without parsing', () => {
  assert.equal(parseTraceStateMembers(undefined), undefined);
  assert.equal(parseTraceStateMembers(42), undefined);
  assert.equal(parseTraceStateMembers({}), undefined);
  assert.equal(parseTraceStateMembers('a=1,'.repeat(100_000)), undefined);
});

test('W3CTraceState: set moves the key to the front, validates with the current grammar, stays at 32', () => {
  const ts = parseTraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')!;
  assert.equal(ts.set('congo', 'x').serialize(), 'congo=x,rojo=00f067aa0ba902b7');
  assert.equal(ts.set('foo@', '1').serialize(), 'foo@=1,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
  assert.equal(ts.set('Bad', '1'), ts, 'an invalid key is refused');
  assert.equal(ts.set('ok', 'a,b'), ts, 'an invalid value is refused');
  assert.equal(ts.unset('rojo').serialize(), 'congo=t61rcWkgMzE');
  assert.equal(ts.serialize(), 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', 'immutable');
  let full = parseTraceState(Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(','))!;
  full = full.set('new', 'v');
  assert.equal(full.get('new'), 'v');
  assert.equal(full.get('k31'), undefined, 'the rightmost went');
  assert.equal(full.serialize().split(',').length, 32);
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
