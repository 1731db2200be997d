// JSON values: RawState.json / DynamicValue.json decoding without precision loss, and encoding.
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import {
  CtyNumber,
  CtyValueError,
  JsonNumber,
  JsonSyntaxError,
  TypedValue,
  Unknown,
  decodeJsonValue,
  encodeDynamic,
  encodeJsonValue,
  encodeJsonValueBytes,
  equalValues,
  parseJsonLossless,
  ty,
  type CtyValue,
} from '../../../../provider/values';

const num = (s: string) => CtyNumber.parse(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const stateType = ty.object({
  id: ty.string,
  count: ty.number,
  huge: ty.number,
  ratio: ty.number,
  enabled: ty.bool,
  tags: ty.map(ty.string),
  network: ty.list(ty.object({ name: ty.string, mtu: ty.number })),
  zones: ty.set(ty.string),
});

describe('lossless JSON reader', () => {
  it('keeps number text exactly', () => {
    const v = parseJsonLossless('{"a":12345678901234567890,"b":1e400,"c":-0.1000000000000000000001,"d":[1.5E+3,-0]}') as Map<string, unknown>;
    assert.equal((v.get('a') as JsonNumber).text, '12345678901234567890');
    assert.equal((v.get('b') as JsonNumber).text, '1e400');
    assert.equal((v.get('c') as JsonNumber).text, '-0.1000000000000000000001');
    assert.deepEqual((v.get('d') as JsonNumber[]).map((x) => x.text), ['1.5E+3', '-0']);
  });

  it('strings with escapes and surrogate pairs; duplicate keys keep the last', () => {
    const v = parseJsonLossless('{"s":"a\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00","s":"last","__proto__":1}') as Map<string, unknown>;
    assert.equal(v.get('s'), 'last');
    assert.equal((parseJsonLossless('"a\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00"')), 'a"b\\c/d\né😀');
    assert.ok(v.has('__proto__'));
  });

  it('rejects invalid JSON with an offset', () => {
    for (const bad of ['', '01', '1.', '+1', '.5', '[1,]', '{"a" 1}', '{"a":1,}', 'nul', '"\\x"', '"a', '[1] 2', '"\u0001"', '-', '1e']) {
      assert.throws(() => parseJsonLossless(bad), JsonSyntaxError, JSON.stringify(bad));
    }
  });

  it('handles deep nesting', () => {
    const depth = 2000;
    const v = parseJsonLossless('['.repeat(depth) + ']'.repeat(depth));
    assert.ok(Array.isArray(v));
  });
});

describe('decodeJsonValue', () => {
  const state = `{
    "id": "pool-1",
    "count": 12345678901234567890,
    "huge": 1e400,
    "ratio": 0.1,
    "enabled": true,
    "tags": {"env": "prod", "__proto__": "p"},
    "network": [{"name": "a", "mtu": 1500}, {"name": "b", "mtu": 9001}],
    "zones": ["z1", "z2"]
  }`;

  it('decodes state JSON with a 20-digit integer and a 1e400 number without losing precision', () => {
    const v = decodeJsonValue(state, stateType) as Record<string, CtyValue>;
    assert.ok((v.count as CtyNumber).equals(num('12345678901234567890')));
    assert.equal((v.count as CtyNumber).toString(), '12345678901234567890');
    assert.ok((v.huge as CtyNumber).equals(num('1e400')));
    assert.equal((v.huge as CtyNumber).toString(), '1e400');
    assert.equal((v.ratio as CtyNumber).toString(), '0.1');
    assert.equal(v.enabled, true);
    assert.ok(v.tags instanceof Map);
    assert.equal((v.tags as Map<string, CtyValue>).get('__proto__'), 'p');
    assert.equal(((v.network as CtyValue[])[1] as Record<string, CtyValue>).name, 'b');
    assert.deepEqual(v.zones, ['z1', 'z2']);
    // and msgpack for the current schema keeps them exact too
    const packed = hex(encodeDynamic(v, stateType));
    assert.ok(packed.includes('a5636f756e74cfab54a98ceb1f0ad2'), 'count as uint64');
    assert.ok(packed.includes('a468756765a531653430'), 'huge as the string "1e400"');
  });

  it('encodes the same state back to exact JSON (sorted attributes)', () => {
    const v = decodeJsonValue(state, stateType);
    assert.equal(
      encodeJsonValue(v, stateType),
      '{"count":12345678901234567890,"enabled":true,"huge":1e400,"id":"pool-1","network":[{"mtu":1500,"name":"a"},{"mtu":9001,"name":"b"}],"ratio":0.1,"tags":{"__proto__":"p","env":"prod"},"zones":["z1","z2"]}',
    );
  });

  it('a missing attribute is null (state written by an older schema); bytes input works', () => {
    const v = decodeJsonValue(Buffer.from('{"id":"x"}'), stateType) as Record<string, CtyValue>;
    assert.equal(v.id, 'x');
    assert.equal(v.count, null);
    assert.equal(v.network, null);
    assert.deepEqual(Object.keys(v).sort(), [...stateType.attributes.keys()].sort());
  });

  it('an extra attribute is an error naming its path', () => {
    assert.throws(
      () => decodeJsonValue('{"id":"x","network":[{"name":"a","mtu":1,"speed":10}]}', stateType),
      (e: unknown) => e instanceof CtyValueError && e.message === 'at .network[0].speed: unsupported attribute "speed": object({mtu=number, name=string}) has no such attribute',
    );
  });

  it('type mismatches name the path', () => {
    const cases: Array<[string, RegExp]> = [
      ['{"count":"many"}', /^at \.count: number required, got the JSON string "many"$/],
      ['{"network":[{"mtu":[1]}]}', /^at \.network\[0\]\.mtu: number required, got a JSON array of 1 elements$/],
      ['{"tags":{"env":{}}}', /^at \.tags\["env"\]: string required, got a JSON object with 0 keys$/],
      ['{"enabled":"yes"}', /^at \.enabled: bool required, got the JSON string "yes"$/],
      ['{"zones":"z1"}', /^at \.zones: set\(string\) required/],
      ['[]', /^at \(root\): object\(\{.*\}\) required, got a JSON array/],
      ['{"id":', /^at \(root\): invalid JSON: unexpected end of JSON at offset 6$/],
    ];
    for (const [json, re] of cases) {
      assert.throws(() => decodeJsonValue(json, stateType), (e: unknown) => e instanceof CtyValueError && re.test(e.message), json);
    }
  });

  it('primitive leniency like go-cty: numbers/bools into strings, numeric strings into numbers', () => {
    const t = ty.object({ s: ty.string, n: ty.number, b: ty.bool });
    const v = decodeJsonValue('{"s":12.50,"n":"1e400","b":"false"}', t) as Record<string, CtyValue>;
    assert.equal(v.s, '12.50');
    assert.ok((v.n as CtyNumber).equals(num('1e400')));
    assert.equal(v.b, false);
    assert.equal((decodeJsonValue('{"s":true}', t) as Record<string, CtyValue>).s, 'true');
  });

  it('dynamic values are {"value": ..., "type": ...}', () => {
    const t = ty.object({ d: ty.dynamic });
    const v = decodeJsonValue('{"d":{"value":[1,"a"],"type":["tuple",["number","string"]]}}', t) as Record<string, CtyValue>;
    assert.ok(v.d instanceof TypedValue);
    assert.equal((v.d as TypedValue).type.kind, 'tuple');
    assert.ok(equalValues(v.d, new TypedValue(ty.tuple([ty.number, ty.string]), [num('1'), 'a'])));
    assert.equal(encodeJsonValue(v, t), '{"d":{"value":[1,"a"],"type":["tuple",["number","string"]]}}');
    assert.equal((decodeJsonValue('{"d":null}', t) as Record<string, CtyValue>).d, null);
    assert.throws(() => decodeJsonValue('{"d":{"value":1}}', t), /^CtyValueError: at \.d: a dynamic value must be a JSON object/);
    assert.throws(() => decodeJsonValue('{"d":{"value":1,"type":"int"}}', t), /^CtyValueError: at \.d: invalid type JSON at \$: unsupported type name "int"/);
  });

  it('tuples check their length', () => {
    assert.throws(() => decodeJsonValue('[1]', ty.tuple([ty.number, ty.number])), /requires 2 elements, got 1/);
  });
});

describe('encodeJsonValue', () => {
  it('writes every attribute, nulls for missing ones, exact numbers, sorted map keys', () => {
    const t = ty.object({ b: ty.number, a: ty.map(ty.number), c: ty.list(ty.bool), d: ty.string });
    assert.equal(
      encodeJsonValue({ b: num('9007199254740993'), a: { z: 1, y: 0.1 } }, t),
      '{"a":{"y":0.1,"z":1},"b":9007199254740993,"c":null,"d":null}',
    );
    assert.equal(Buffer.from(encodeJsonValueBytes('x<y', ty.string)).toString(), '"x\\u003cy"');
    assert.equal(encodeJsonValue(new Set(['a']), ty.set(ty.string)), '["a"]');
    assert.equal(encodeJsonValue(2n ** 70n, ty.number), '1180591620717411303424');
    assert.equal(encodeJsonValue('plain', ty.dynamic), '{"value":"plain","type":"string"}');
  });

  it('refuses unknowns, infinities and mismatches, naming the path', () => {
    const t = ty.object({ a: ty.list(ty.number) });
    assert.throws(() => encodeJsonValue({ a: [1, Unknown.plain] }, t), /^CtyValueError: at \.a\[1\]: unknown values cannot be encoded as JSON$/);
    assert.throws(() => encodeJsonValue({ a: [CtyNumber.POSITIVE_INFINITY] }, t), /^CtyValueError: at \.a\[0\]: Infinity cannot be encoded as JSON$/);
    assert.throws(() => encodeJsonValue({ a: ['1'] }, t), /^CtyValueError: at \.a\[0\]: number required, got the string "1"$/);
    assert.throws(() => encodeJsonValue({ b: 1 }, t), /^CtyValueError: at \.b: unsupported attribute "b"/);
  });

  it('round-trips through decodeJsonValue', () => {
    const t = ty.object({ n: ty.list(ty.number), m: ty.map(ty.object({ x: ty.string })) });
    const value = { n: [num('1e400'), num('-0.000000000000000000000000001'), num('18446744073709551616')], m: new Map([['k', { x: 'y' }]]) };
    const back = decodeJsonValue(encodeJsonValue(value, t), t);
    assert.ok(equalValues(back, value, t));
  });
});
