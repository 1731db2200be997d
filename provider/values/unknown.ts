// Unknown values ("known after apply").
//
// On the wire an unknown is *any* msgpack extension. Terraform writes ext type 0 (`d4 00 00`) for
// a plain unknown and, since 1.6, ext type 12 whose payload is a msgpack map of refinements:
//   1 nullness (bool; false = definitely not null)   2 string prefix (string)
//   3 / 4 number lower / upper bound ([number, inclusive bool])
//   5 / 6 collection length lower / upper bound (int)
// We keep the extension type and raw payload as opaque data, decode the ext 12 payload leniently
// (unknown keys and malformed entries are ignored), and always *write* a plain ext 0 unknown.
import { decode } from '@msgpack/msgpack';
import { CtyNumber } from './cty-number';

export const REFINEMENTS_EXT_TYPE = 12;

export interface NumberBound {
  readonly value: CtyNumber;
  readonly inclusive: boolean;
}

export interface Refinements {
  /** True when Terraform promised the final value is not null (key 1 = false). */
  readonly notNull?: boolean;
  /** Known prefix of a string value (key 2). */
  readonly stringPrefix?: string;
  /** Bounds of a number value (keys 3 and 4). */
  readonly numberLowerBound?: NumberBound;
  readonly numberUpperBound?: NumberBound;
  /** Bounds of a collection's length (keys 5 and 6). */
  readonly lengthLowerBound?: number;
  readonly lengthUpperBound?: number;
}

const EMPTY = new Uint8Array(0);

export class Unknown {
  /** A plain unknown with no refinements (what this provider writes). */
  static readonly plain = new Unknown();

  /** Extension type the value was read from (0 when made locally). */
  readonly extType: number;
  /** Raw extension payload as read, kept opaque. */
  readonly payload: Uint8Array;
  /** Refinements decoded from an ext 12 payload, if any were understood. */
  readonly refinements: Refinements | undefined;

  constructor(options: { extType?: number; payload?: Uint8Array; refinements?: Refinements } = {}) {
    this.extType = options.extType ?? 0;
    this.payload = options.payload ?? EMPTY;
    this.refinements = options.refinements;
    Object.freeze(this);
  }

  /** Builds an Unknown from any msgpack extension (type and payload). */
  static fromExtension(extType: number, data: Uint8Array): Unknown {
    const payload = data.slice(); // detach from the decoder's buffer
    const refinements = extType === REFINEMENTS_EXT_TYPE ? decodeRefinements(payload) : undefined;
    return new Unknown({ extType, payload, refinements });
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.refinements ? `Unknown(${JSON.stringify(this.refinements)})` : 'Unknown';
  }
}

export function isUnknown(value: unknown): value is Unknown {
  return value instanceof Unknown;
}

/** An Unknown, optionally carrying refinements (they are not written on the wire). */
export function unknown(refinements?: Refinements): Unknown {
  return refinements ? new Unknown({ refinements }) : Unknown.plain;
}

/**
 * Decodes an ext 12 refinement payload. Lenient: returns undefined if the payload is not a msgpack
 * map, ignores unknown keys and entries of the wrong shape.
 */
export function decodeRefinements(payload: Uint8Array): Refinements | undefined {
  let map: unknown;
  try {
    map = decode(payload, { useBigInt64: true });
  } catch {
    return undefined;
  }
  if (map === null || typeof map !== 'object' || Array.isArray(map)) return undefined;
  const entries = map as Record<string, unknown>;
  const out: { -readonly [K in keyof Refinements]: Refinements[K] } = {};
  const nullness = entries['1'];
  if (typeof nullness === 'boolean' && !nullness) out.notNull = true;
  const prefix = entries['2'];
  if (typeof prefix === 'string') out.stringPrefix = prefix;
  const lower = numberBound(entries['3']);
  if (lower) out.numberLowerBound = lower;
  const upper = numberBound(entries['4']);
  if (upper) out.numberUpperBound = upper;
  const minLen = lengthBound(entries['5']);
  if (minLen !== undefined) out.lengthLowerBound = minLen;
  const maxLen = lengthBound(entries['6']);
  if (maxLen !== undefined) out.lengthUpperBound = maxLen;
  return out;
}

function numberBound(v: unknown): NumberBound | undefined {
  if (!Array.isArray(v) || v.length !== 2 || typeof v[1] !== 'boolean') return undefined;
  const raw = v[0];
  let value: CtyNumber | undefined;
  if (typeof raw === 'number' && !Number.isNaN(raw)) value = CtyNumber.fromFloat64(raw);
  else if (typeof raw === 'bigint') value = CtyNumber.fromBigInt(raw);
  else if (typeof raw === 'string') value = CtyNumber.tryParse(raw);
  return value ? { value, inclusive: v[1] } : undefined;
}

function lengthBound(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'bigint' && v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return undefined;
}
