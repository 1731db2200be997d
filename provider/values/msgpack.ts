// DynamicValue.msgpack: cty values encoded against a type.
//
// Writing:
//   null -> nil (c0); unknown -> ext 0 `d4 00 00`; string -> str; bool -> true/false;
//   number -> int when integral and within int64/uint64 (compact: fixint, int8..int64, uint8..uint64),
//             else float64 when a float64 represents it exactly (see CtyNumber.toFloat64IfExact),
//             else str holding the decimal text; +-Infinity -> float64 +-Inf;
//   list/set/tuple -> array; map -> map (keys sorted); object -> map with exactly one entry per
//   attribute of the type (sorted; missing attributes written as nil);
//   dynamic -> [bin(type JSON), value encoded with that type].
// Reading accepts everything Terraform may send: str or bin for strings; int, uint64, float32/64
// or str for numbers; any extension type as unknown (ext 12 refinements decoded leniently).
import { Decoder, Encoder, ExtData, ExtensionCodec } from '@msgpack/msgpack';
import { CtyNumber, CtyNumberSyntaxError } from './cty-number';
import { CtyType, ObjectType, typeFromJSON, typeToJSONBytes, typeToString } from './cty-type';
import { CtyPath, CtyValueError, PathStep } from './path';
import { Unknown, REFINEMENTS_EXT_TYPE } from './unknown';
import {
  CtyMap,
  CtyObject,
  CtyValue,
  EncodableValue,
  TypedValue,
  describeValue,
  inferType,
  isPlainObject,
  setOwn,
} from './value-model';

/** Payload of the plain unknown: one zero byte, so the encoder picks fixext1 (`d4 00 00`). */
const PLAIN_UNKNOWN_PAYLOAD = new Uint8Array([0]);

/**
 * Extension codec: writes Unknown as ext 0; reads ext 0, ext 12 and ext -1 (which would
 * otherwise become a Date) as Unknown. Every other extension type comes back as ExtData and is
 * turned into an Unknown by the typed decoder.
 */
export const ctyExtensionCodec: ExtensionCodec = (() => {
  const codec = new ExtensionCodec();
  const decodeUnknown = (data: Uint8Array, type: number) => Unknown.fromExtension(type, data);
  codec.register({ type: 0, encode: (v: unknown) => (v instanceof Unknown ? PLAIN_UNKNOWN_PAYLOAD : null), decode: decodeUnknown });
  codec.register({ type: REFINEMENTS_EXT_TYPE, encode: () => null, decode: decodeUnknown });
  codec.register({ type: -1, encode: () => null, decode: decodeUnknown });
  return codec;
})();

// sortKeys: map keys and object attributes are written in sorted order (JS string order, which is
// UTF-8 byte order except between astral characters and U+E000..U+FFFF), so output is deterministic.
const encoder = new Encoder({ extensionCodec: ctyExtensionCodec, useBigInt64: true, sortKeys: true, maxDepth: 1000 });
const decoder = new Decoder({ extensionCodec: ctyExtensionCodec, useBigInt64: true });

const UINT32_LIMIT = 0x1_0000_0000n;
const INT32_MIN = -0x8000_0000n;

/** Encodes `value` as msgpack against `type`. Throws CtyValueError naming the path on a mismatch. */
export function encodeDynamic(value: EncodableValue, type: CtyType): Uint8Array {
  const wire = toWire(value, type, []);
  return encoder.encode(wire);
}

/** Decodes msgpack produced against `type`. Throws CtyValueError naming the path on a mismatch. */
export function decodeDynamic(bytes: Uint8Array, type: CtyType): CtyValue {
  let raw: unknown;
  try {
    raw = decoder.decode(bytes);
  } catch (e) {
    throw new CtyValueError([], `invalid msgpack: ${(e as Error).message}`);
  }
  return fromWire(raw, type, []);
}

// ---------------------------------------------------------------------------------------------
// Encoding: build the plain structure @msgpack/msgpack writes.

type Wire = null | boolean | number | bigint | string | Uint8Array | Unknown | Wire[] | { [k: string]: Wire };

function at(path: CtyPath, step: PathStep): CtyPath {
  return [...path, step];
}

function mismatch(path: CtyPath, type: CtyType, value: unknown): CtyValueError {
  return new CtyValueError(path, `${typeToString(type)} required, got ${describeValue(value)}`);
}

/** Number as written: int for int64/uint64 integers, float64 when exact, else decimal text. */
export function numberToWire(n: CtyNumber): number | bigint | string {
  const int = n.toInt64OrUint64();
  if (int !== undefined) {
    // @msgpack/msgpack (useBigInt64) writes JS numbers in [-2^31, 2^32) compactly and bigints as
    // 9-byte int64/uint64, which is also the compact form outside that range.
    return int >= INT32_MIN && int < UINT32_LIMIT ? Number(int) : int;
  }
  const f = n.toFloat64IfExact();
  if (f !== undefined) return f;
  return n.toString();
}

function toWire(value: EncodableValue, type: CtyType, path: CtyPath): Wire {
  if (value === null || value === undefined) return null;
  if (value instanceof Unknown) return value;
  if (type.kind === 'dynamic') return dynamicToWire(value, path);
  if (value instanceof TypedValue) throw new CtyValueError(path, `${typeToString(type)} required, got a dynamic (typed) value`);
  switch (type.kind) {
    case 'string':
      if (typeof value !== 'string') throw mismatch(path, type, value);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw mismatch(path, type, value);
      return value;
    case 'number':
      return numberToWire(toCtyNumber(value, type, path));
    case 'list':
    case 'set': {
      const items = sequence(value, type, path);
      if (!items) throw mismatch(path, type, value);
      return items.map((v, i) => toWire(v, type.element, at(path, { index: i })));
    }
    case 'tuple': {
      const items = sequence(value, type, path);
      if (!items) throw mismatch(path, type, value);
      if (items.length !== type.elements.length) {
        throw new CtyValueError(path, `${typeToString(type)} requires ${type.elements.length} elements, got ${items.length}`);
      }
      return items.map((v, i) => toWire(v, type.elements[i], at(path, { index: i })));
    }
    case 'map': {
      const entries = mapEntries(value);
      if (!entries) throw mismatch(path, type, value);
      const out: { [k: string]: Wire } = Object.create(null);
      for (const [k, v] of entries) setOwn(out, k, toWire(v, type.element, at(path, { key: k })));
      return out;
    }
    case 'object':
      return objectToWire(value, type, path);
  }
}

function toCtyNumber(value: EncodableValue, type: CtyType, path: CtyPath): CtyNumber {
  if (value instanceof CtyNumber) return value;
  if (typeof value === 'bigint') return CtyNumber.fromBigInt(value);
  if (typeof value === 'number') {
    if (Number.isNaN(value)) throw new CtyValueError(path, 'NaN is not a valid number');
    return CtyNumber.fromFloat64(value);
  }
  throw mismatch(path, type, value);
}

function sequence(value: EncodableValue, type: CtyType, path: CtyPath): EncodableValue[] | undefined {
  if (Array.isArray(value)) return value as EncodableValue[];
  if (value instanceof Set) {
    if (type.kind !== 'set') throw mismatch(path, type, value);
    return [...(value as ReadonlySet<EncodableValue>)];
  }
  return undefined;
}

function mapEntries(value: EncodableValue): Array<[string, EncodableValue]> | undefined {
  if (value instanceof Map) {
    const out: Array<[string, EncodableValue]> = [];
    for (const [k, v] of value as ReadonlyMap<unknown, EncodableValue>) {
      if (typeof k !== 'string') return undefined;
      out.push([k, v]);
    }
    return out;
  }
  if (isPlainObject(value)) return Object.keys(value).map((k) => [k, (value as Record<string, EncodableValue>)[k]]);
  return undefined;
}

function objectToWire(value: EncodableValue, type: ObjectType, path: CtyPath): Wire {
  if (!isPlainObject(value)) throw mismatch(path, type, value);
  const source = value as Record<string, EncodableValue>;
  for (const k of Object.keys(source)) {
    if (!type.attributes.has(k)) {
      throw new CtyValueError(at(path, { attr: k }), `unsupported attribute ${JSON.stringify(k)}: ${typeToString(type)} has no such attribute`);
    }
  }
  const out: { [k: string]: Wire } = Object.create(null);
  for (const [name, at2] of type.attributes) {
    const v = Object.prototype.hasOwnProperty.call(source, name) ? source[name] : null;
    setOwn(out, name, toWire(v, at2, at(path, { attr: name })));
  }
  return out;
}

function dynamicToWire(value: EncodableValue, path: CtyPath): Wire {
  let concrete: CtyType;
  let inner: EncodableValue;
  if (value instanceof TypedValue) {
    concrete = value.type;
    inner = value.value;
  } else {
    try {
      concrete = inferType(value);
    } catch (e) {
      throw new CtyValueError(path, (e as Error).message);
    }
    inner = value;
  }
  if (concrete.kind === 'dynamic') throw new CtyValueError(path, 'the type of a dynamic value must be concrete, not "dynamic"');
  return [typeToJSONBytes(concrete), toWire(inner, concrete, path)];
}

// ---------------------------------------------------------------------------------------------
// Decoding: check and convert what @msgpack/msgpack produced.

function describeWire(v: unknown): string {
  if (typeof v === 'string') return `a msgpack string ${JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v)}`;
  if (typeof v === 'number' || typeof v === 'bigint') return `a msgpack number ${String(v)}`;
  if (typeof v === 'boolean') return `a msgpack bool ${v}`;
  if (v instanceof Uint8Array) return `msgpack binary data (${v.byteLength} bytes)`;
  if (Array.isArray(v)) return `a msgpack array of ${v.length} elements`;
  if (isPlainObject(v)) return `a msgpack map of ${Object.keys(v).length} entries`;
  return describeValue(v);
}

function wrongWire(path: CtyPath, type: CtyType, raw: unknown): CtyValueError {
  return new CtyValueError(path, `${typeToString(type)} required, got ${describeWire(raw)}`);
}

function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

function fromWire(raw: unknown, type: CtyType, path: CtyPath): CtyValue {
  if (raw === null || raw === undefined) return null;
  if (raw instanceof Unknown) return raw;
  if (raw instanceof ExtData) {
    const data = raw.data instanceof Uint8Array ? raw.data : new Uint8Array(0);
    return Unknown.fromExtension(raw.type, data);
  }
  switch (type.kind) {
    case 'string':
      if (typeof raw === 'string') return raw;
      if (raw instanceof Uint8Array) return utf8(raw);
      throw wrongWire(path, type, raw);
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      throw wrongWire(path, type, raw);
    case 'number':
      return numberFromWire(raw, type, path);
    case 'list':
    case 'set':
      if (!Array.isArray(raw)) throw wrongWire(path, type, raw);
      return raw.map((v, i) => fromWire(v, type.element, at(path, { index: i })));
    case 'tuple':
      if (!Array.isArray(raw)) throw wrongWire(path, type, raw);
      if (raw.length !== type.elements.length) {
        throw new CtyValueError(path, `${typeToString(type)} requires ${type.elements.length} elements, got ${raw.length}`);
      }
      return raw.map((v, i) => fromWire(v, type.elements[i], at(path, { index: i })));
    case 'map': {
      if (!isPlainObject(raw)) throw wrongWire(path, type, raw);
      const out: CtyMap = new Map();
      for (const k of Object.keys(raw)) out.set(k, fromWire(raw[k], type.element, at(path, { key: k })));
      return out;
    }
    case 'object':
      return objectFromWire(raw, type, path);
    case 'dynamic':
      return dynamicFromWire(raw, path);
  }
}

function numberFromWire(raw: unknown, type: CtyType, path: CtyPath): CtyNumber {
  if (typeof raw === 'number') {
    if (Number.isNaN(raw)) throw new CtyValueError(path, 'NaN is not a valid number');
    return CtyNumber.fromFloat64(raw);
  }
  if (typeof raw === 'bigint') return CtyNumber.fromBigInt(raw);
  if (typeof raw === 'string' || raw instanceof Uint8Array) {
    const text = typeof raw === 'string' ? raw : utf8(raw);
    try {
      return CtyNumber.parse(text);
    } catch (e) {
      if (e instanceof CtyNumberSyntaxError) throw new CtyValueError(path, `number required, got ${describeWire(text)} that is not a number`);
      throw e;
    }
  }
  throw wrongWire(path, type, raw);
}

function objectFromWire(raw: unknown, type: ObjectType, path: CtyPath): CtyObject {
  if (!isPlainObject(raw)) throw wrongWire(path, type, raw);
  for (const k of Object.keys(raw)) {
    if (!type.attributes.has(k)) {
      throw new CtyValueError(at(path, { attr: k }), `unsupported attribute ${JSON.stringify(k)}: ${typeToString(type)} has no such attribute`);
    }
  }
  const out: CtyObject = {};
  for (const [name, attrType] of type.attributes) {
    if (!Object.prototype.hasOwnProperty.call(raw, name)) {
      if (type.optional.has(name)) {
        setOwn(out, name, null);
        continue;
      }
      throw new CtyValueError(at(path, { attr: name }), `missing attribute ${JSON.stringify(name)}: msgpack objects must carry every attribute of ${typeToString(type)}`);
    }
    setOwn(out, name, fromWire(raw[name], attrType, at(path, { attr: name })));
  }
  return out;
}

function dynamicFromWire(raw: unknown, path: CtyPath): TypedValue {
  if (!Array.isArray(raw) || raw.length !== 2) {
    throw new CtyValueError(path, `a dynamic value must be a 2-element array [type JSON, value], got ${describeWire(raw)}`);
  }
  const [typeBytes, inner] = raw;
  if (!(typeBytes instanceof Uint8Array) && typeof typeBytes !== 'string') {
    throw new CtyValueError(path, `a dynamic value must start with its type JSON as binary data, got ${describeWire(typeBytes)}`);
  }
  let concrete: CtyType;
  try {
    concrete = typeFromJSON(typeBytes);
  } catch (e) {
    throw new CtyValueError(path, (e as Error).message);
  }
  return new TypedValue(concrete, fromWire(inner, concrete, path));
}
