// cty types and their JSON form (the bytes in Schema.Attribute.type, Function parameter types,
// identity attribute types and the first element of a msgpack `dynamic` pair).
//
//   "string" "number" "bool" "dynamic"
//   ["list",T] ["set",T] ["map",T]
//   ["object",{"name":T,...}]   or   ["object",{...},["optional_attr",...]]
//   ["tuple",[T,...]]
//
// typeToJSON writes exactly what go-cty writes: no whitespace, object attributes and optional
// attribute names in byte order, Go's HTML-safe string escaping (<, >, & as \u003c...).

export type PrimitiveKind = 'string' | 'number' | 'bool';

export interface PrimitiveType {
  readonly kind: PrimitiveKind;
}

export interface DynamicType {
  readonly kind: 'dynamic';
}

export interface CollectionType {
  readonly kind: 'list' | 'set' | 'map';
  readonly element: CtyType;
}

export interface ObjectType {
  readonly kind: 'object';
  /** Attribute types, iterated in byte order of the names. */
  readonly attributes: ReadonlyMap<string, CtyType>;
  /** Names of optional attributes (a subset of `attributes`); usually empty. */
  readonly optional: ReadonlySet<string>;
}

export interface TupleType {
  readonly kind: 'tuple';
  readonly elements: readonly CtyType[];
}

export type CtyType = PrimitiveType | DynamicType | CollectionType | ObjectType | TupleType;

export class CtyTypeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CtyTypeError';
  }
}

/** Orders strings by Unicode code point, which is the byte order of their UTF-8 (Go's sort.Strings). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

const STRING: PrimitiveType = Object.freeze({ kind: 'string' });
const NUMBER: PrimitiveType = Object.freeze({ kind: 'number' });
const BOOL: PrimitiveType = Object.freeze({ kind: 'bool' });
const DYNAMIC: DynamicType = Object.freeze({ kind: 'dynamic' });

function objectType(
  attributes: Readonly<Record<string, CtyType>> | Iterable<readonly [string, CtyType]>,
  optional: Iterable<string> = [],
): ObjectType {
  const entries: Array<readonly [string, CtyType]> = isIterable(attributes)
    ? [...attributes]
    : Object.keys(attributes).map((k) => [k, (attributes as Record<string, CtyType>)[k]] as const);
  entries.sort((a, b) => compareCodePoints(a[0], b[0]));
  const attrs = new Map<string, CtyType>();
  for (const [name, t] of entries) {
    if (attrs.has(name)) throw new CtyTypeError(`duplicate object attribute ${JSON.stringify(name)}`);
    attrs.set(name, t);
  }
  const opt = new Set<string>();
  for (const name of [...optional].sort(compareCodePoints)) {
    if (!attrs.has(name)) throw new CtyTypeError(`optional attribute ${JSON.stringify(name)} is not an attribute of the object type`);
    opt.add(name);
  }
  return Object.freeze({ kind: 'object', attributes: attrs, optional: opt });
}

function isIterable(v: unknown): v is Iterable<readonly [string, CtyType]> {
  return v instanceof Map || Array.isArray(v);
}

/** Type constructors: ty.string, ty.list(ty.string), ty.object({ a: ty.number }, ['a']), ... */
export const ty = Object.freeze({
  string: STRING,
  number: NUMBER,
  bool: BOOL,
  dynamic: DYNAMIC,
  list: (element: CtyType): CollectionType => Object.freeze({ kind: 'list', element }),
  set: (element: CtyType): CollectionType => Object.freeze({ kind: 'set', element }),
  map: (element: CtyType): CollectionType => Object.freeze({ kind: 'map', element }),
  object: objectType,
  tuple: (elements: readonly CtyType[]): TupleType => Object.freeze({ kind: 'tuple', elements: Object.freeze([...elements]) }),
});

export function isPrimitiveType(t: CtyType): t is PrimitiveType {
  return t.kind === 'string' || t.kind === 'number' || t.kind === 'bool';
}

export function isCollectionType(t: CtyType): t is CollectionType {
  return t.kind === 'list' || t.kind === 'set' || t.kind === 'map';
}

export function typeEquals(a: CtyType, b: CtyType): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'list': case 'set': case 'map':
      return typeEquals(a.element, (b as CollectionType).element);
    case 'tuple': {
      const be = (b as TupleType).elements;
      return a.elements.length === be.length && a.elements.every((t, i) => typeEquals(t, be[i]));
    }
    case 'object': {
      const bo = b as ObjectType;
      if (a.attributes.size !== bo.attributes.size || a.optional.size !== bo.optional.size) return false;
      for (const [name, t] of a.attributes) {
        const other = bo.attributes.get(name);
        if (other === undefined || !typeEquals(t, other)) return false;
      }
      for (const name of a.optional) if (!bo.optional.has(name)) return false;
      return true;
    }
    default:
      return true;
  }
}

/** JSON string literal with Go's encoding/json escaping (HTML-safe). */
export function goJSONString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** The cty type JSON text, exactly as go-cty marshals it. */
export function typeToJSON(t: CtyType): string {
  switch (t.kind) {
    case 'string': case 'number': case 'bool': case 'dynamic':
      return `"${t.kind}"`;
    case 'list': case 'set': case 'map':
      return `["${t.kind}",${typeToJSON(t.element)}]`;
    case 'tuple':
      return `["tuple",[${t.elements.map(typeToJSON).join(',')}]]`;
    case 'object': {
      const attrs = [...t.attributes].map(([name, at]) => `${goJSONString(name)}:${typeToJSON(at)}`).join(',');
      if (t.optional.size === 0) return `["object",{${attrs}}]`;
      return `["object",{${attrs}},[${[...t.optional].map(goJSONString).join(',')}]]`;
    }
  }
}

/** typeToJSON as UTF-8 bytes (what goes into Schema.Attribute.type). */
export function typeToJSONBytes(t: CtyType): Uint8Array {
  return new Uint8Array(Buffer.from(typeToJSON(t), 'utf8'));
}

/** Parses cty type JSON (text or UTF-8 bytes). Throws CtyTypeError with the offending location. */
export function typeFromJSON(input: string | Uint8Array): CtyType {
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CtyTypeError(`invalid type JSON ${abbreviate(text)}: ${(e as Error).message}`);
  }
  return typeFromParsedJSON(parsed);
}

/**
 * Builds a type from already-parsed type JSON (as JSON.parse returns it; Maps are accepted in
 * place of objects so a lossless JSON parser's output can be passed too).
 */
export function typeFromParsedJSON(value: unknown, where = '$'): CtyType {
  if (typeof value === 'string') {
    switch (value) {
      case 'string': return STRING;
      case 'number': return NUMBER;
      case 'bool': return BOOL;
      case 'dynamic': return DYNAMIC;
      default: throw new CtyTypeError(`invalid type JSON at ${where}: unsupported type name ${JSON.stringify(value)}`);
    }
  }
  if (!Array.isArray(value) || value.length < 2 || typeof value[0] !== 'string') {
    throw new CtyTypeError(`invalid type JSON at ${where}: expected a type name string or a [kind, ...] array`);
  }
  const kind = value[0];
  switch (kind) {
    case 'list': case 'set': case 'map': {
      if (value.length !== 2) throw new CtyTypeError(`invalid type JSON at ${where}: ${kind} takes exactly one element type`);
      const element = typeFromParsedJSON(value[1], `${where}[1]`);
      return kind === 'list' ? ty.list(element) : kind === 'set' ? ty.set(element) : ty.map(element);
    }
    case 'tuple': {
      if (value.length !== 2 || !Array.isArray(value[1])) throw new CtyTypeError(`invalid type JSON at ${where}: tuple takes an array of element types`);
      return ty.tuple((value[1] as unknown[]).map((e, i) => typeFromParsedJSON(e, `${where}[1][${i}]`)));
    }
    case 'object': {
      if (value.length !== 2 && value.length !== 3) throw new CtyTypeError(`invalid type JSON at ${where}: object takes an attribute map and optionally a list of optional attributes`);
      const attrs = plainEntries(value[1]);
      if (attrs === undefined) throw new CtyTypeError(`invalid type JSON at ${where}[1]: object attributes must be a JSON object`);
      const types = attrs.map(([name, t]) => [name, typeFromParsedJSON(t, `${where}[1].${name}`)] as const);
      let optional: string[] = [];
      if (value.length === 3) {
        const opt = value[2];
        if (!Array.isArray(opt) || !opt.every((n) => typeof n === 'string')) {
          throw new CtyTypeError(`invalid type JSON at ${where}[2]: optional attributes must be an array of names`);
        }
        optional = opt as string[];
      }
      try {
        return ty.object(types, optional);
      } catch (e) {
        throw new CtyTypeError(`invalid type JSON at ${where}: ${(e as Error).message}`);
      }
    }
    default:
      throw new CtyTypeError(`invalid type JSON at ${where}: unsupported type kind ${JSON.stringify(kind)}`);
  }
}

function plainEntries(v: unknown): Array<[string, unknown]> | undefined {
  if (v instanceof Map) return [...v.entries()].filter((e): e is [string, unknown] => typeof e[0] === 'string');
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  return Object.entries(v as Record<string, unknown>);
}

function abbreviate(text: string): string {
  return JSON.stringify(text.length > 60 ? text.slice(0, 57) + '...' : text);
}

/** Human-readable form used in error messages: list(string), object({a=number}), tuple([bool]). */
export function typeToString(t: CtyType): string {
  switch (t.kind) {
    case 'string': case 'number': case 'bool': return t.kind;
    case 'dynamic': return 'any';
    case 'list': case 'set': case 'map': return `${t.kind}(${typeToString(t.element)})`;
    case 'tuple': return `tuple([${t.elements.map(typeToString).join(', ')}])`;
    case 'object': {
      const attrs = [...t.attributes].map(([n, at]) => `${n}=${t.optional.has(n) ? `optional(${typeToString(at)})` : typeToString(at)}`);
      return `object({${attrs.join(', ')}})`;
    }
  }
}
