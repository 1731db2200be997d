// JSON-encoded values: RawState.json (state as stored, UpgradeResourceState / MoveResourceState)
// and DynamicValue.json. Decoding is lossless for numbers (any precision, any exponent) and follows
// cty's JSON rules: objects are JSON objects in which a missing attribute means null and an extra
// attribute is an error; maps are JSON objects; list/set/tuple are arrays; a `dynamic` value is
// {"value": v, "type": <type JSON>}. Like go-cty, a string attribute also accepts a JSON number or
// bool (kept as its text), a number accepts a numeric string and a bool accepts "true"/"false".
// Unknowns never occur in JSON; encoding one is an error.
import { CtyNumber } from './cty-number';
import { CtyType, ObjectType, compareCodePoints, goJSONString, typeFromParsedJSON, typeToJSON, typeToString } from './cty-type';
import { JsonNumber, JsonSyntaxError, JsonValue, jsonToPlain, parseJsonLossless } from './json-text';
import { CtyPath, CtyValueError, PathStep } from './path';
import { Unknown } from './unknown';
import { CtyMap, CtyObject, CtyValue, EncodableValue, TypedValue, describeValue, inferType, isPlainObject, setOwn } from './value-model';

function at(path: CtyPath, step: PathStep): CtyPath {
  return [...path, step];
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Decodes JSON text (or UTF-8 bytes) against `type`. Throws CtyValueError naming the path. */
export function decodeJsonValue(input: string | Uint8Array, type: CtyType): CtyValue {
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  let parsed: JsonValue;
  try {
    parsed = parseJsonLossless(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new CtyValueError([], `invalid JSON: ${e.message}`);
    throw e;
  }
  return fromJson(parsed, type, []);
}

function describeJson(v: JsonValue): string {
  if (v === null) return 'null';
  if (v instanceof JsonNumber) return `the JSON number ${v.text}`;
  if (typeof v === 'string') return `the JSON string ${JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v)}`;
  if (typeof v === 'boolean') return `the JSON bool ${v}`;
  if (Array.isArray(v)) return `a JSON array of ${v.length} elements`;
  return `a JSON object with ${v.size} keys`;
}

function wrongJson(path: CtyPath, type: CtyType, v: JsonValue): CtyValueError {
  return new CtyValueError(path, `${typeToString(type)} required, got ${describeJson(v)}`);
}

/** Converts an already-parsed lossless JSON value against `type`. */
export function fromJson(v: JsonValue, type: CtyType, path: CtyPath): CtyValue {
  if (v === null) return null;
  switch (type.kind) {
    case 'string':
      if (typeof v === 'string') return v;
      if (v instanceof JsonNumber) return v.text;
      if (typeof v === 'boolean') return v ? 'true' : 'false';
      throw wrongJson(path, type, v);
    case 'number':
      if (v instanceof JsonNumber) return CtyNumber.parse(v.text);
      if (typeof v === 'string') {
        const n = CtyNumber.tryParse(v);
        if (n) return n;
      }
      throw wrongJson(path, type, v);
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      throw wrongJson(path, type, v);
    case 'list':
    case 'set':
      if (!Array.isArray(v)) throw wrongJson(path, type, v);
      return v.map((x, i) => fromJson(x, type.element, at(path, { index: i })));
    case 'tuple':
      if (!Array.isArray(v)) throw wrongJson(path, type, v);
      if (v.length !== type.elements.length) {
        throw new CtyValueError(path, `${typeToString(type)} requires ${type.elements.length} elements, got ${v.length}`);
      }
      return v.map((x, i) => fromJson(x, type.elements[i], at(path, { index: i })));
    case 'map': {
      if (!(v instanceof Map)) throw wrongJson(path, type, v);
      const out: CtyMap = new Map();
      for (const [k, x] of v) out.set(k, fromJson(x, type.element, at(path, { key: k })));
      return out;
    }
    case 'object':
      return objectFromJson(v, type, path);
    case 'dynamic':
      return dynamicFromJson(v, path);
  }
}

function objectFromJson(v: JsonValue, type: ObjectType, path: CtyPath): CtyObject {
  if (!(v instanceof Map)) throw wrongJson(path, type, v);
  for (const k of v.keys()) {
    if (!type.attributes.has(k)) {
      throw new CtyValueError(at(path, { attr: k }), `unsupported attribute ${JSON.stringify(k)}: ${typeToString(type)} has no such attribute`);
    }
  }
  const out: CtyObject = {};
  for (const [name, attrType] of type.attributes) {
    const x = v.get(name);
    setOwn(out, name, x === undefined ? null : fromJson(x, attrType, at(path, { attr: name })));
  }
  return out;
}

function dynamicFromJson(v: JsonValue, path: CtyPath): TypedValue {
  if (!(v instanceof Map) || !v.has('value') || !v.has('type')) {
    throw new CtyValueError(path, `a dynamic value must be a JSON object {"value": ..., "type": ...}, got ${describeJson(v)}`);
  }
  let concrete: CtyType;
  try {
    concrete = typeFromParsedJSON(jsonToPlain(v.get('type') as JsonValue));
  } catch (e) {
    throw new CtyValueError(path, (e as Error).message);
  }
  return new TypedValue(concrete, fromJson(v.get('value') as JsonValue, concrete, path));
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Encodes `value` as JSON text against `type` (object attributes and map keys sorted). */
export function encodeJsonValue(value: EncodableValue, type: CtyType): string {
  return toJson(value, type, []);
}

/** encodeJsonValue as UTF-8 bytes, e.g. for DynamicValue.json. */
export function encodeJsonValueBytes(value: EncodableValue, type: CtyType): Uint8Array {
  return new Uint8Array(Buffer.from(encodeJsonValue(value, type), 'utf8'));
}

function mismatch(path: CtyPath, type: CtyType, value: unknown): CtyValueError {
  return new CtyValueError(path, `${typeToString(type)} required, got ${describeValue(value)}`);
}

function toJson(value: EncodableValue, type: CtyType, path: CtyPath): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Unknown) throw new CtyValueError(path, 'unknown values cannot be encoded as JSON');
  if (type.kind === 'dynamic') {
    const concrete = value instanceof TypedValue ? value.type : safeInfer(value, path);
    const inner = value instanceof TypedValue ? value.value : value;
    return `{"value":${toJson(inner, concrete, path)},"type":${typeToJSON(concrete)}}`;
  }
  if (value instanceof TypedValue) throw new CtyValueError(path, `${typeToString(type)} required, got a dynamic (typed) value`);
  switch (type.kind) {
    case 'string':
      if (typeof value !== 'string') throw mismatch(path, type, value);
      return goJSONString(value);
    case 'bool':
      if (typeof value !== 'boolean') throw mismatch(path, type, value);
      return value ? 'true' : 'false';
    case 'number': {
      let n: CtyNumber;
      if (value instanceof CtyNumber) n = value;
      else if (typeof value === 'bigint') n = CtyNumber.fromBigInt(value);
      else if (typeof value === 'number' && !Number.isNaN(value)) n = CtyNumber.fromFloat64(value);
      else throw mismatch(path, type, value);
      if (!n.isFinite()) throw new CtyValueError(path, `${n.toCanonicalString()} cannot be encoded as JSON`);
      return n.toJSONText();
    }
    case 'list':
    case 'set':
    case 'tuple': {
      const items = Array.isArray(value) ? (value as EncodableValue[]) : type.kind === 'set' && value instanceof Set ? [...(value as ReadonlySet<EncodableValue>)] : undefined;
      if (!items) throw mismatch(path, type, value);
      if (type.kind === 'tuple' && items.length !== type.elements.length) {
        throw new CtyValueError(path, `${typeToString(type)} requires ${type.elements.length} elements, got ${items.length}`);
      }
      const parts = items.map((x, i) => toJson(x, type.kind === 'tuple' ? type.elements[i] : type.element, at(path, { index: i })));
      return `[${parts.join(',')}]`;
    }
    case 'map': {
      let entries: Array<[string, EncodableValue]>;
      if (value instanceof Map) entries = [...(value as ReadonlyMap<string, EncodableValue>)];
      else if (isPlainObject(value)) entries = Object.keys(value).map((k) => [k, (value as Record<string, EncodableValue>)[k]]);
      else throw mismatch(path, type, value);
      entries.sort((a, b) => compareCodePoints(a[0], b[0]));
      return `{${entries.map(([k, x]) => `${goJSONString(k)}:${toJson(x, type.element, at(path, { key: k }))}`).join(',')}}`;
    }
    case 'object': {
      if (!isPlainObject(value)) throw mismatch(path, type, value);
      const source = value as Record<string, EncodableValue>;
      for (const k of Object.keys(source)) {
        if (!type.attributes.has(k)) {
          throw new CtyValueError(at(path, { attr: k }), `unsupported attribute ${JSON.stringify(k)}: ${typeToString(type)} has no such attribute`);
        }
      }
      const parts: string[] = [];
      for (const [name, attrType] of type.attributes) {
        const x = Object.prototype.hasOwnProperty.call(source, name) ? source[name] : null;
        parts.push(`${goJSONString(name)}:${toJson(x, attrType, at(path, { attr: name }))}`);
      }
      return `{${parts.join(',')}}`;
    }
  }
}

function safeInfer(value: EncodableValue, path: CtyPath): CtyType {
  try {
    return inferType(value);
  } catch (e) {
    throw new CtyValueError(path, (e as Error).message);
  }
}

