import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import {
  CtyTypeError,
  ty,
  typeEquals,
  typeFromJSON,
  typeToJSON,
  typeToJSONBytes,
  typeToString,
  type CtyType,
} from '../../../../provider/values';

describe('cty type JSON', () => {
  const cases: Array<[CtyType, string]> = [
    [ty.string, '"string"'],
    [ty.number, '"number"'],
    [ty.bool, '"bool"'],
    [ty.dynamic, '"dynamic"'],
    [ty.list(ty.string), '["list","string"]'],
    [ty.set(ty.number), '["set","number"]'],
    [ty.map(ty.bool), '["map","bool"]'],
    [ty.list(ty.list(ty.dynamic)), '["list",["list","dynamic"]]'],
    [ty.object({ b: ty.number, a: ty.string }), '["object",{"a":"string","b":"number"}]'],
    [ty.object({}), '["object",{}]'],
    [ty.object({ b: ty.number, a: ty.string }, ['b']), '["object",{"a":"string","b":"number"},["b"]]'],
    [ty.object({ z: ty.bool, y: ty.bool, x: ty.bool }, ['z', 'x']), '["object",{"x":"bool","y":"bool","z":"bool"},["x","z"]]'],
    [ty.tuple([ty.string, ty.bool]), '["tuple",["string","bool"]]'],
    [ty.tuple([]), '["tuple",[]]'],
    [ty.map(ty.object({ a: ty.string, b: ty.number })), '["map",["object",{"a":"string","b":"number"}]]'],
    [
      ty.object({ disk: ty.list(ty.object({ size: ty.number, type: ty.string })), name: ty.string }),
      '["object",{"disk":["list",["object",{"size":"number","type":"string"}]],"name":"string"}]',
    ],
  ];

  for (const [type, json] of cases) {
    it(`writes ${json} and reads it back`, () => {
      assert.equal(typeToJSON(type), json);
      assert.equal(Buffer.from(typeToJSONBytes(type)).toString('utf8'), json);
      const back = typeFromJSON(json);
      assert.ok(typeEquals(back, type), typeToString(back));
      assert.equal(typeToJSON(back), json);
      assert.ok(typeEquals(typeFromJSON(Buffer.from(json)), type), 'from bytes');
    });
  }

  it('reads non-canonical JSON (whitespace, any key order) into the same type', () => {
    const t = typeFromJSON(' [ "object" , { "b" : [ "set" , "string" ] , "a" : "number" } , [ "a" ] ] ');
    assert.equal(typeToJSON(t), '["object",{"a":"number","b":["set","string"]},["a"]]');
  });

  it('sorts attribute names by code point (UTF-8 byte order), like Go', () => {
    const t = ty.object({ b: ty.string, B: ty.string, a_1: ty.string, a: ty.string, 'é': ty.string, z: ty.string });
    assert.equal(typeToJSON(t), '["object",{"B":"string","a":"string","a_1":"string","b":"string","z":"string","é":"string"}]');
  });

  it('escapes names the way Go encoding/json does', () => {
    assert.equal(typeToJSON(ty.object({ 'a<b>&"c': ty.string })), '["object",{"a\\u003cb\\u003e\\u0026\\"c":"string"}]');
  });

  it('rejects invalid type JSON with a clear message', () => {
    const bad: Array<[string, RegExp]> = [
      ['list(string)', /invalid type JSON/],
      ['string', /invalid type JSON/],
      ['"str"', /unsupported type name "str"/],
      ['["list"]', /expected a type name string or a \[kind, \.\.\.\] array/],
      ['["list","string","number"]', /list takes exactly one element type/],
      ['["object",[]]', /object attributes must be a JSON object/],
      ['["object",{"a":"string"},["b"]]', /optional attribute "b" is not an attribute/],
      ['["object",{"a":"string"},[1]]', /optional attributes must be an array of names/],
      ['["tuple","string"]', /tuple takes an array of element types/],
      ['["frob","string"]', /unsupported type kind "frob"/],
      ['["list",["map","strin"]]', /at \$\[1\]\[1\]: unsupported type name "strin"/],
      ['42', /expected a type name/],
    ];
    for (const [json, re] of bad) {
      assert.throws(() => typeFromJSON(json), (e: unknown) => e instanceof CtyTypeError && re.test(e.message), json);
    }
  });

  it('typeEquals distinguishes kinds, element types and optional attributes', () => {
    assert.ok(typeEquals(ty.list(ty.string), ty.list(ty.string)));
    assert.ok(!typeEquals(ty.list(ty.string), ty.set(ty.string)));
    assert.ok(!typeEquals(ty.list(ty.string), ty.list(ty.number)));
    assert.ok(!typeEquals(ty.object({ a: ty.string }), ty.object({ a: ty.string }, ['a'])));
    assert.ok(!typeEquals(ty.object({ a: ty.string }), ty.object({ b: ty.string })));
    assert.ok(!typeEquals(ty.tuple([ty.string]), ty.tuple([ty.string, ty.string])));
  });

  it('typeToString is readable', () => {
    assert.equal(typeToString(ty.map(ty.object({ a: ty.string, b: ty.number }, ['b']))), 'map(object({a=string, b=optional(number)}))');
    assert.equal(typeToString(ty.tuple([ty.dynamic, ty.bool])), 'tuple([any, bool])');
  });

  it('object types reject duplicate attributes and unknown optional names', () => {
    assert.throws(() => ty.object([['a', ty.string], ['a', ty.number]]), /duplicate object attribute "a"/);
    assert.throws(() => ty.object({ a: ty.string }, ['x']), /optional attribute "x"/);
  });
});
