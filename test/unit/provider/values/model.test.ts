import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import {
  CtyNumber,
  TypedValue,
  Unknown,
  equalValues,
  inferType,
  isUnknown,
  isWhollyKnown,
  ty,
  typeToJSON,
  unknown,
} from '../../../../provider/values';

const num = (s: string) => CtyNumber.parse(s);

describe('equalValues', () => {
  it('numbers by exact value, across representations', () => {
    assert.ok(equalValues(num('1.50'), num('1.5')));
    assert.ok(equalValues(num('1.5'), 1.5));
    assert.ok(equalValues(num('18446744073709551615'), 18446744073709551615n));
    assert.ok(equalValues(0.1, num('0.1')));
    assert.ok(!equalValues(num('9007199254740993'), 9007199254740992));
    assert.ok(!equalValues(num('9007199254740993'), num('9007199254740992')));
    assert.ok(!equalValues(num('1'), '1'));
  });

  it('null, unknown, primitives', () => {
    assert.ok(equalValues(null, undefined));
    assert.ok(!equalValues(null, ''));
    assert.ok(!equalValues(null, Unknown.plain));
    assert.ok(equalValues(Unknown.plain, unknown({ notNull: true })), 'refinements are ignored');
    assert.ok(!equalValues('a', 'b'));
    assert.ok(!equalValues(true, 'true'));
  });

  it('lists are ordered, sets (with a type) are not', () => {
    assert.ok(!equalValues(['a', 'b'], ['b', 'a']));
    assert.ok(!equalValues(['a', 'b'], ['b', 'a'], ty.list(ty.string)));
    assert.ok(equalValues(['a', 'b'], ['b', 'a'], ty.set(ty.string)));
    assert.ok(!equalValues(['a', 'a'], ['a', 'b'], ty.set(ty.string)));
    assert.ok(equalValues(new Set(['x', 'y']), ['y', 'x'], ty.set(ty.string)));
    assert.ok(equalValues([{ n: num('1') }, { n: num('2') }], [{ n: 2 }, { n: 1 }], ty.set(ty.object({ n: ty.number }))));
  });

  it('maps and objects', () => {
    assert.ok(equalValues(new Map([['a', '1']]), { a: '1' }));
    assert.ok(!equalValues(new Map([['a', '1']]), new Map([['a', '1'], ['b', '2']])));
    assert.ok(!equalValues(new Map([['a', null]]), new Map(), ty.map(ty.string)), 'a null map element is not a missing key');
    assert.ok(equalValues({ a: null, b: 'x' }, { b: 'x' }), 'untyped: null attribute == missing attribute');
    assert.ok(equalValues({ a: null, b: 'x' }, { b: 'x' }, ty.object({ a: ty.string, b: ty.string })));
    assert.ok(!equalValues({ b: 'x' }, { b: 'y' }));
    assert.ok(equalValues({ list: [{ n: num('10') }] }, { list: [{ n: 10 }] }));
  });

  it('typed (dynamic) values compare types and values', () => {
    assert.ok(equalValues(new TypedValue(ty.list(ty.number), [num('1')]), new TypedValue(ty.list(ty.number), [1])));
    assert.ok(!equalValues(new TypedValue(ty.list(ty.number), [1]), new TypedValue(ty.set(ty.number), [1])));
    assert.ok(equalValues(new TypedValue(ty.set(ty.number), [1, 2]), new TypedValue(ty.set(ty.number), [2, 1])));
  });
});

describe('isWhollyKnown / isUnknown', () => {
  it('finds unknowns anywhere', () => {
    assert.ok(isWhollyKnown({ a: [1, { b: new Map([['k', 'v']]) }] }));
    assert.ok(!isWhollyKnown({ a: [1, { b: new Map([['k', Unknown.plain]]) }] }));
    assert.ok(!isWhollyKnown(new TypedValue(ty.string, Unknown.plain)));
    assert.ok(!isWhollyKnown(new Set([Unknown.plain])));
    assert.ok(isUnknown(Unknown.plain) && !isUnknown(null));
  });
});

describe('inferType (bare values at dynamic positions)', () => {
  it('infers the natural type', () => {
    assert.equal(typeToJSON(inferType('s')), '"string"');
    assert.equal(typeToJSON(inferType(1n)), '"number"');
    assert.equal(typeToJSON(inferType([1, 'a'])), '["tuple",["number","string"]]');
    assert.equal(typeToJSON(inferType({ b: true, a: num('1') })), '["object",{"a":"number","b":"bool"}]');
    assert.equal(typeToJSON(inferType(new Map([['x', 'y']]))), '["map","string"]');
    assert.equal(typeToJSON(inferType(new Map<string, unknown>([['x', 'y'], ['n', 1]]) as Map<string, string>)), '["object",{"n":"number","x":"string"}]');
    assert.equal(typeToJSON(inferType(new TypedValue(ty.set(ty.string), []))), '["set","string"]');
    assert.throws(() => inferType(null), /cannot infer a cty type for null/);
    assert.throws(() => inferType([Unknown.plain]), /cannot infer a cty type for an unknown value/);
  });
});
