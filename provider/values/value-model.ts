// The JavaScript representation of cty values used throughout the provider.
//
//   cty                         JS value (what the decoders produce)
//   --------------------------  -----------------------------------------------------------------
//   null (of any type)          null
//   unknown (of any type)       Unknown instance (./unknown)
//   string                      string
//   bool                        boolean
//   number                      CtyNumber (exact decimal, ./cty-number)
//   list(T), set(T), tuple      Array (set order is insignificant)
//   map(T)                      Map<string, value>
//   object({...})               plain object with one own property per attribute (null if null)
//   value of type "dynamic"     TypedValue { type, value } (the concrete type travels with it)
//
// The encoders additionally accept, for convenience: a JS number or bigint for `number`; a plain
// object for `map`; a JS Set for `set`; a missing/undefined object attribute for null; and a bare
// value (without TypedValue) at a `dynamic` position, whose type is then inferred (inferType).
import { CtyNumber } from './cty-number';
import { CtyType, ty, typeEquals } from './cty-type';
import { Unknown } from './unknown';

export interface CtyObject {
  [attribute: string]: CtyValue;
}

export type CtyMap = Map<string, CtyValue>;

export type CtyValue = null | Unknown | string | boolean | CtyNumber | CtyValue[] | CtyMap | CtyObject | TypedValue;

/**
 * A value whose type is carried with it: what a `dynamic` attribute holds. Decoders produce
 * TypedValue<CtyValue>; for encoding, the value may use the convenience forms of EncodableValue.
 */
export class TypedValue<V extends EncodableValue = CtyValue> {
  constructor(
    readonly type: CtyType,
    readonly value: V,
  ) {
    Object.freeze(this);
  }
}

/** What encodeDynamic / encodeJsonValue accept (a superset of CtyValue). */
export type EncodableValue =
  | CtyValue
  | TypedValue<EncodableValue>
  | undefined
  | number
  | bigint
  | ReadonlySet<EncodableValue>
  | readonly EncodableValue[]
  | ReadonlyMap<string, EncodableValue>
  | { readonly [attribute: string]: EncodableValue };

/** Defines an own enumerable property even for names like "__proto__". */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** True for plain `{...}` objects (including null-prototype ones), false for Map, arrays, class instances. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** True if the value contains no Unknown anywhere. */
export function isWhollyKnown(value: EncodableValue): boolean {
  if (value instanceof Unknown) return false;
  if (value instanceof TypedValue) return isWhollyKnown(value.value);
  if (Array.isArray(value) || value instanceof Set) return [...(value as Iterable<EncodableValue>)].every(isWhollyKnown);
  if (value instanceof Map) return [...value.values()].every(isWhollyKnown);
  if (isPlainObject(value)) return Object.values(value).every((v) => isWhollyKnown(v as EncodableValue));
  return true;
}

/**
 * The type a bare value gets at a `dynamic` position: string, bool, number; arrays become tuples,
 * Maps become maps (of the element type when all agree, otherwise objects), plain objects become
 * objects. Null and Unknown have no type of their own and are rejected.
 */
export function inferType(value: EncodableValue): CtyType {
  if (value instanceof TypedValue) return value.type;
  if (typeof value === 'string') return ty.string;
  if (typeof value === 'boolean') return ty.bool;
  if (typeof value === 'number' || typeof value === 'bigint' || value instanceof CtyNumber) return ty.number;
  if (Array.isArray(value) || value instanceof Set) return ty.tuple([...(value as Iterable<EncodableValue>)].map(inferType));
  if (value instanceof Map) {
    const types = [...value.values()].map(inferType);
    if (types.length > 0 && types.every((t) => typeEquals(t, types[0]))) return ty.map(types[0]);
    return ty.object([...value.keys()].map((k, i) => [k, types[i]] as const));
  }
  if (isPlainObject(value)) {
    return ty.object(Object.keys(value).map((k) => [k, inferType(value[k] as EncodableValue)] as const));
  }
  throw new TypeError(`cannot infer a cty type for ${describeValue(value)}; wrap it in a TypedValue`);
}

/** Short description of a JS value for error messages. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (v instanceof Unknown) return 'an unknown value';
  if (v instanceof CtyNumber) return `the number ${v.toString()}`;
  if (v instanceof TypedValue) return 'a dynamic (typed) value';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v)}`;
  if (typeof v === 'number' || typeof v === 'bigint') return `the number ${String(v)}`;
  if (typeof v === 'boolean') return `the bool ${v}`;
  if (v instanceof Uint8Array) return `${v.byteLength} bytes of binary data`;
  if (Array.isArray(v)) return `an array of ${v.length} elements`;
  if (v instanceof Map) return `a Map of ${v.size} entries`;
  if (v instanceof Set) return `a Set of ${v.size} elements`;
  if (isPlainObject(v)) return 'an object';
  return `a ${Object.prototype.toString.call(v).slice(8, -1)}`;
}

function toNumberOrUndefined(v: unknown): CtyNumber | undefined {
  if (v instanceof CtyNumber) return v;
  if (typeof v === 'bigint') return CtyNumber.fromBigInt(v);
  if (typeof v === 'number' && !Number.isNaN(v)) return CtyNumber.fromFloat64(v);
  return undefined;
}

function entriesOf(v: unknown): Array<[string, unknown]> | undefined {
  if (v instanceof Map) return [...v.entries()] as Array<[string, unknown]>;
  if (isPlainObject(v)) return Object.keys(v).map((k) => [k, v[k]]);
  return undefined;
}

/**
 * Deep equality of two values. Numbers compare by exact value (1.50 == 1.5, 2^64-1 exact),
 * null and undefined are the same, two unknowns are equal (refinements are ignored), Maps and
 * plain objects compare by entries. With a type, `set` values compare without regard to order and
 * object attributes missing on one side count as null.
 */
export function equalValues(a: EncodableValue, b: EncodableValue, type?: CtyType): boolean {
  if (a instanceof TypedValue || b instanceof TypedValue) {
    const ta = a instanceof TypedValue ? a.type : undefined;
    const tb = b instanceof TypedValue ? b.type : undefined;
    if (ta && tb && !typeEquals(ta, tb)) return false;
    const inner = ta ?? tb;
    return equalValues(a instanceof TypedValue ? a.value : a, b instanceof TypedValue ? b.value : b, inner);
  }
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === null || b === null) return a === b;
  if (a instanceof Unknown || b instanceof Unknown) return a instanceof Unknown && b instanceof Unknown;
  const na = toNumberOrUndefined(a);
  const nb = toNumberOrUndefined(b);
  if (na || nb) return !!na && !!nb && na.equals(nb);
  if (typeof a === 'string' || typeof a === 'boolean' || typeof b === 'string' || typeof b === 'boolean') return a === b;

  const isListA = Array.isArray(a) || a instanceof Set;
  const isListB = Array.isArray(b) || b instanceof Set;
  if (isListA || isListB) {
    if (!isListA || !isListB) return false;
    const xs = [...(a as Iterable<EncodableValue>)];
    const ys = [...(b as Iterable<EncodableValue>)];
    if (xs.length !== ys.length) return false;
    if (type?.kind === 'set') return unorderedEqual(xs, ys, type.element);
    return xs.every((x, i) => equalValues(x, ys[i], elementTypeAt(type, i)));
  }

  if (type?.kind === 'object') {
    for (const [name, at] of type.attributes) {
      if (!equalValues(attribute(a, name), attribute(b, name), at)) return false;
    }
    return true;
  }
  const ea = entriesOf(a);
  const eb = entriesOf(b);
  if (!ea || !eb) return false;
  // Untyped plain objects: an attribute that is null or missing is the same thing.
  const keep = (container: unknown) => ([, v]: [string, unknown]) =>
    type?.kind === 'map' || container instanceof Map || (v !== undefined && v !== null);
  const keysA = ea.filter(keep(a));
  const keysB = eb.filter(keep(b));
  const mb = new Map(keysB);
  if (keysA.length !== keysB.length) return false;
  const elementType = type?.kind === 'map' ? type.element : undefined;
  return keysA.every(([k, v]) => mb.has(k) && equalValues(v as EncodableValue, mb.get(k) as EncodableValue, elementType));
}

function attribute(v: EncodableValue, name: string): EncodableValue {
  if (v instanceof Map) return v.get(name) as EncodableValue;
  if (isPlainObject(v)) return Object.prototype.hasOwnProperty.call(v, name) ? (v[name] as EncodableValue) : null;
  return undefined;
}

function elementTypeAt(type: CtyType | undefined, i: number): CtyType | undefined {
  if (!type) return undefined;
  if (type.kind === 'list') return type.element;
  if (type.kind === 'tuple') return type.elements[i];
  return undefined;
}

function unorderedEqual(xs: EncodableValue[], ys: EncodableValue[], element: CtyType): boolean {
  const used = new Array<boolean>(ys.length).fill(false);
  for (const x of xs) {
    const j = ys.findIndex((y, k) => !used[k] && equalValues(x, y, element));
    if (j < 0) return false;
    used[j] = true;
  }
  return true;
}
