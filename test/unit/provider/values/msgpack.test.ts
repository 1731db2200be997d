// Byte-exact msgpack vectors for DynamicValue.msgpack: cty values encoded against their type.
// Expected bytes are written out by hand from the msgpack spec.
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { VECTORS } from '../../../fixtures/msgpack-vectors';
import {
  CtyNumber,
  CtyValueError,
  TypedValue,
  Unknown,
  decodeDynamic,
  encodeDynamic,
  equalValues,
  ty,
  type CtyType,
  type CtyValue,
  type EncodableValue,
} from '../../../../provider/values';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const ascii = (s: string) => Buffer.from(s, 'utf8').toString('hex');
const num = (s: string) => CtyNumber.parse(s);

const disk = ty.object({ size: ty.number, type: ty.string });
const vm = ty.object({ name: ty.string, disk: ty.list(disk) });

describe('msgpack encoding (byte-exact)', () => {
  for (const v of VECTORS) {
    it(v.name, () => {
      const expected = v.hex.replace(/\s+/g, '');
      assert.equal(hex(encodeDynamic(v.value, v.type)), expected);
      // and back: decoding gives an equal value, re-encoding the same bytes
      const decoded = decodeDynamic(bytes(expected), v.type);
      assert.ok(equalValues(decoded, v.value, v.type), `decoded value differs: ${String(decoded)}`);
      assert.equal(hex(encodeDynamic(decoded, v.type)), expected);
    });
  }

  it('accepts JS numbers and bigints for numbers, Sets for sets, plain objects for maps', () => {
    assert.equal(hex(encodeDynamic(42, ty.number)), '2a');
    assert.equal(hex(encodeDynamic(0.1, ty.number)), 'cb3fb999999999999a');
    assert.equal(hex(encodeDynamic(2n ** 64n - 1n, ty.number)), 'cfffffffffffffffff');
    assert.equal(hex(encodeDynamic(2 ** 40, ty.number)), 'cf0000010000000000');
    assert.equal(hex(encodeDynamic(new Set(['x']), ty.set(ty.string))), '91a178');
    assert.equal(hex(encodeDynamic({ b: '2', a: '1' }, ty.map(ty.string))), '82a161a131a162a132');
    assert.equal(hex(encodeDynamic({ __proto__: null, k: 'v' } as EncodableValue, ty.map(ty.string))), '81a16ba176');
    assert.equal(hex(encodeDynamic('hi', ty.dynamic)), `92c408${ascii('"string"')}a26869`, 'bare value at a dynamic position: type inferred');
  });

  it('map keys that are special in JS survive', () => {
    const m = new Map([['__proto__', 'x'], ['constructor', 'y']]);
    const encoded = encodeDynamic(m, ty.map(ty.string));
    assert.equal(hex(encoded), `82 a9${ascii('__proto__')} a1 78 ab${ascii('constructor')} a1 79`.replace(/\s+/g, ''), 'sorted: "_" (0x5f) before "c"');
  });
});

describe('msgpack decoding of what Terraform may send', () => {
  const decodesTo = (h: string, type: CtyType, expected: EncodableValue) => {
    const v = decodeDynamic(bytes(h), type);
    assert.ok(equalValues(v, expected, type), `${h}: got ${String(v)}`);
    return v;
  };

  it('numbers in every encoding: int, uint64, float32/64, str, bin', () => {
    decodesTo('d0 9c', ty.number, num('-100'));
    decodesTo('cd 0100', ty.number, num('256'));
    decodesTo('ce ffffffff', ty.number, num('4294967295'));
    decodesTo('cf ffffffffffffffff', ty.number, num('18446744073709551615'));
    decodesTo('d3 8000000000000000', ty.number, num('-9223372036854775808'));
    decodesTo('d3 0000000000000005', ty.number, num('5'));
    decodesTo('ca 3f000000', ty.number, num('0.5'));
    decodesTo('cb 3fb999999999999a', ty.number, num('0.1'));
    decodesTo('cb 7ff0000000000000', ty.number, CtyNumber.POSITIVE_INFINITY);
    decodesTo(`a5 ${ascii('1e400')}`, ty.number, num('1e400'));
    decodesTo(`a2 ${ascii('12')}`, ty.number, num('12'));
    decodesTo(`c4 02 ${ascii('12')}`, ty.number, num('12'));
    const thirty = '123456789012345678901234567890';
    const v = decodesTo(`be ${ascii(thirty)}`, ty.number, num(thirty)) as CtyNumber;
    assert.equal(v.toString(), thirty);
    assert.equal(hex(encodeDynamic(v, ty.number)), `be${ascii(thirty)}`, 'written back with the same text');
    const frac = decodesTo(`d9 28 ${ascii('123456789012345678901234567890.123456789')}`, ty.number, num('123456789012345678901234567890.123456789')) as CtyNumber;
    assert.equal(frac.toString(), '123456789012345678901234567890.123456789');
  });

  it('strings as str or bin', () => {
    decodesTo('a2 6869', ty.string, 'hi');
    decodesTo('c4 02 6869', ty.string, 'hi');
    decodesTo('d9 03 616263', ty.string, 'abc');
  });

  it('ext 0 (fixext1) is a plain unknown', () => {
    const v = decodeDynamic(bytes('d4 00 00'), ty.string);
    assert.ok(v instanceof Unknown);
    assert.equal(v.extType, 0);
    assert.equal(v.refinements, undefined);
  });

  it('ext 12 refinements: known-not-null (ext8, ext16, ext32 forms)', () => {
    for (const h of ['c7 03 0c 81 01 c2', 'c8 0003 0c 81 01 c2', 'c9 00000003 0c 81 01 c2']) {
      const v = decodeDynamic(bytes(h), ty.string);
      assert.ok(v instanceof Unknown, h);
      assert.equal(v.extType, 12);
      assert.deepEqual(v.refinements, { notNull: true });
      assert.equal(hex(v.payload), '8101c2');
      assert.equal(hex(encodeDynamic(v, ty.string)), 'd40000', 'always written back as a plain unknown');
    }
  });

  it('ext 12 refinements: prefix, number bounds, length bounds, unknown keys ignored', () => {
    const prefix = decodeDynamic(bytes(`c7 07 0c 82 01 c2 02 a2 ${ascii('ab')}`), ty.string) as Unknown;
    assert.deepEqual(prefix.refinements, { notNull: true, stringPrefix: 'ab' });

    const bounds = decodeDynamic(bytes('c7 09 0c 82 03 92 00 c3 04 92 0a c2'), ty.number) as Unknown;
    assert.ok(bounds.refinements?.numberLowerBound?.value.equals(num('0')));
    assert.equal(bounds.refinements?.numberLowerBound?.inclusive, true);
    assert.ok(bounds.refinements?.numberUpperBound?.value.equals(num('10')));
    assert.equal(bounds.refinements?.numberUpperBound?.inclusive, false);

    const lengths = decodeDynamic(bytes('c7 05 0c 82 05 01 06 03'), ty.list(ty.string)) as Unknown;
    assert.deepEqual(lengths.refinements, { lengthLowerBound: 1, lengthUpperBound: 3 });

    const extra = decodeDynamic(bytes(`c7 06 0c 82 01 c2 63 a1 78`), ty.string) as Unknown;
    assert.deepEqual(extra.refinements, { notNull: true });

    const nullable = decodeDynamic(bytes('c7 03 0c 81 01 c3'), ty.string) as Unknown;
    assert.deepEqual(nullable.refinements, {});
  });

  it('ext 12 with a malformed payload is still an unknown', () => {
    for (const h of ['d4 0c c1', 'c7 02 0c 92 01', 'c7 01 0c 01', 'c7 00 0c']) {
      const v = decodeDynamic(bytes(h), ty.string);
      assert.ok(v instanceof Unknown, h);
      assert.equal(v.extType, 12);
    }
  });

  it('any other extension type is an unknown too (including -1, which is not a timestamp here)', () => {
    for (const [h, type] of [['d4 05 00', 5], ['d5 7f 0000', 127], ['d4 ff 00', -1], ['d6 ff 00000000', -1], ['d7 80 0000000000000000', -128], ['c7 00 01', 1]] as const) {
      const v = decodeDynamic(bytes(h), ty.number);
      assert.ok(v instanceof Unknown, h);
      assert.equal(v.extType, type, h);
    }
  });

  it('unknowns nested in objects, lists and maps', () => {
    const v = decodeDynamic(bytes('82 a161 92 01 c7030c8101c2 a162 81 a16b d40000'), ty.object({ a: ty.list(ty.number), b: ty.map(ty.string) })) as Record<string, CtyValue>;
    assert.ok((v.a as CtyValue[])[1] instanceof Unknown);
    assert.ok((v.b as Map<string, CtyValue>).get('k') instanceof Unknown);
  });

  it('object attributes may arrive in any order', () => {
    decodesTo('82 a162 01 a161 c0', ty.object({ a: ty.string, b: ty.number }), { a: null, b: num('1') });
  });

  it('decodes objects as plain objects, maps as Map, numbers as CtyNumber', () => {
    const v = decodeDynamic(bytes('81 a16d 81 a16b 01'), ty.object({ m: ty.map(ty.number) })) as Record<string, CtyValue>;
    assert.ok(v.m instanceof Map);
    assert.ok((v.m as Map<string, CtyValue>).get('k') instanceof CtyNumber);
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
  });

  it('optional attributes of an object type may be absent', () => {
    decodesTo('81 a161 a178', ty.object({ a: ty.string, b: ty.number }, ['b']), { a: 'x', b: null });
  });
});

describe('msgpack errors name the attribute path', () => {
  const throwsAt = (fn: () => unknown, message: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof CtyValueError && message.test(e.message), message.source);

  it('decode: wrong primitive deep inside a block list', () => {
    const h = `82 a4${ascii('disk')} 92 82 a4${ascii('size')} 0a a4${ascii('type')} a3${ascii('ssd')} 82 a4${ascii('size')} a3${ascii('big')} a4${ascii('type')} c0 a4${ascii('name')} a2${ascii('vm')}`;
    throwsAt(() => decodeDynamic(bytes(h), vm), /^at \.disk\[1\]\.size: number required, got a msgpack string "big" that is not a number$/);
    try {
      decodeDynamic(bytes(h), vm);
    } catch (e) {
      assert.deepEqual((e as CtyValueError).path, [{ attr: 'disk' }, { index: 1 }, { attr: 'size' }]);
    }
  });

  it('decode: unsupported and missing attributes, wrong container kinds, tuple length', () => {
    throwsAt(() => decodeDynamic(bytes('82 a161 c0 a178 c0'), ty.object({ a: ty.string })), /^at \.x: unsupported attribute "x"/);
    throwsAt(() => decodeDynamic(bytes('80'), ty.object({ a: ty.string })), /^at \.a: missing attribute "a"/);
    throwsAt(() => decodeDynamic(bytes('81 a174 81 a16b 01'), ty.object({ t: ty.map(ty.string) })), /^at \.t\["k"\]: string required, got a msgpack number 1$/);
    throwsAt(() => decodeDynamic(bytes('a178'), ty.list(ty.string)), /^at \(root\): list\(string\) required, got a msgpack string "x"$/);
    throwsAt(() => decodeDynamic(bytes('91 01'), ty.tuple([ty.number, ty.number])), /requires 2 elements, got 1/);
    throwsAt(() => decodeDynamic(bytes('c3'), ty.number), /number required, got a msgpack bool true/);
    throwsAt(() => decodeDynamic(bytes('01'), ty.bool), /bool required, got a msgpack number 1/);
  });

  it('decode: malformed dynamic values and malformed msgpack', () => {
    throwsAt(() => decodeDynamic(bytes('a2 6869'), ty.object({ d: ty.dynamic })), /object\(\{d=any\}\) required/);
    throwsAt(() => decodeDynamic(bytes('81 a164 a26869'), ty.object({ d: ty.dynamic })), /^at \.d: a dynamic value must be a 2-element array/);
    throwsAt(() => decodeDynamic(bytes(`81 a164 92 c4 05 ${ascii('"str"')} a26869`), ty.object({ d: ty.dynamic })), /^at \.d: invalid type JSON/);
    throwsAt(() => decodeDynamic(bytes('c1'), ty.string), /^at \(root\): invalid msgpack/);
    throwsAt(() => decodeDynamic(bytes('92 01'), ty.list(ty.number)), /invalid msgpack/);
  });

  it('encode: wrong types, extra attributes, tuple length', () => {
    throwsAt(() => encodeDynamic({ name: 'vm', disk: [{ size: 'big' }] }, vm), /^at \.disk\[0\]\.size: number required, got the string "big"$/);
    throwsAt(() => encodeDynamic({ name: 1 }, vm), /^at \.name: string required, got the number 1$/);
    throwsAt(() => encodeDynamic({ name: 'x', nmae: 'typo' }, vm), /^at \.nmae: unsupported attribute "nmae"/);
    throwsAt(() => encodeDynamic({ name: 'x', disk: 'no' }, vm), /^at \.disk: list\(object\(\{size=number, type=string\}\)\) required, got the string "no"$/);
    throwsAt(() => encodeDynamic(new Map([['k', 1]]), ty.map(ty.string)), /^at \["k"\]: string required/);
    throwsAt(() => encodeDynamic(['a'], ty.tuple([ty.string, ty.string])), /requires 2 elements, got 1/);
    throwsAt(() => encodeDynamic(NaN, ty.number), /NaN/);
    throwsAt(() => encodeDynamic(new Set(['a']), ty.list(ty.string)), /list\(string\) required, got a Set/);
    throwsAt(() => encodeDynamic(new TypedValue(ty.string, 'x'), ty.string), /got a dynamic \(typed\) value/);
    throwsAt(() => encodeDynamic(new TypedValue(ty.dynamic, 'x'), ty.dynamic), /must be concrete/);
  });
});

describe('known limitation of @msgpack/msgpack', () => {
  it('a map key "__proto__" cannot be decoded (the library refuses it) and fails with a clear error', () => {
    const encoded = encodeDynamic(new Map([['__proto__', 'x']]), ty.map(ty.string));
    assert.throws(() => decodeDynamic(encoded, ty.map(ty.string)), /^CtyValueError: at \(root\): invalid msgpack: The key __proto__ is not allowed/);
  });
});

describe('round trips of the numbers that must stay exact', () => {
  for (const text of ['9223372036854775807', '18446744073709551615', '9007199254740993', '0.1', '1e400', '-1e-400', '123456789012345678901234567890', '3.14159265358979323846264338327950288']) {
    it(text, () => {
      const back = decodeDynamic(encodeDynamic(num(text), ty.number), ty.number) as CtyNumber;
      assert.ok(back.equals(num(text)), back.toString());
    });
  }
});
