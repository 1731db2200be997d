// Arbitrary-precision decimal numbers for cty's `number` type.
//
// A finite CtyNumber is exactly coefficient × 10^exponent (bigint coefficient without trailing
// zeros, so every value has one normal form and equality is by exact value). It also remembers the
// decimal text it was parsed from, when that text is valid JSON number syntax, so values read from
// Terraform or from state are written back with the same text.
//
// JavaScript `number`s (and msgpack float64/float32 values) are read as the shortest decimal that
// round-trips to the same float64 (what `String(x)` prints): 0.1 is the decimal 0.1. That is also
// how cty renders a float64-backed number as text (big.Float precision 53, Text('f', -1)).

const DECIMAL = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const INFINITY = /^([+-]?)inf(?:inity)?$/i;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** Largest decimal exponent accepted (far beyond anything cty can represent usefully). */
const MAX_EXPONENT = 1_000_000_000;

const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;

export class CtyNumberSyntaxError extends Error {
  constructor(readonly text: string) {
    super(`${JSON.stringify(text.length > 80 ? text.slice(0, 77) + '...' : text)} is not a valid number`);
    this.name = 'CtyNumberSyntaxError';
  }
}

type Kind = 'finite' | '+inf' | '-inf';

export class CtyNumber {
  static readonly ZERO = new CtyNumber('finite', 0n, 0, '0');
  static readonly POSITIVE_INFINITY = new CtyNumber('+inf', 0n, 0, undefined);
  static readonly NEGATIVE_INFINITY = new CtyNumber('-inf', 0n, 0, undefined);

  private constructor(
    private readonly kind: Kind,
    /** Signed coefficient; no trailing decimal zeros unless the value is zero. */
    readonly coefficient: bigint,
    /** Power of ten applied to the coefficient; 0 for zero. */
    readonly exponent: number,
    private readonly sourceText: string | undefined,
  ) {}

  /** Parses decimal text: `12`, `-0.5`, `1e400`, `.5`, `+3`, `Infinity`. Throws CtyNumberSyntaxError. */
  static parse(text: string): CtyNumber {
    const inf = INFINITY.exec(text);
    if (inf) return inf[1] === '-' ? CtyNumber.NEGATIVE_INFINITY : CtyNumber.POSITIVE_INFINITY;
    const m = DECIMAL.exec(text);
    if (!m) throw new CtyNumberSyntaxError(text);
    const [, sign, intPart, fracPart = '', onlyFrac, expPart] = m;
    const fraction = onlyFrac ?? fracPart;
    const digits = (intPart ?? '') + fraction;
    let exponent = expPart === undefined ? 0 : Number(expPart);
    if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > MAX_EXPONENT) throw new CtyNumberSyntaxError(text);
    exponent -= fraction.length;
    const keep = JSON_NUMBER.test(text) ? text : undefined;
    return CtyNumber.normalize(sign === '-', digits, exponent, keep);
  }

  /** Like parse(), but returns undefined instead of throwing. */
  static tryParse(text: string): CtyNumber | undefined {
    try {
      return CtyNumber.parse(text);
    } catch {
      return undefined;
    }
  }

  /** Reads a float64 as the shortest decimal that round-trips to it. NaN is rejected. */
  static fromFloat64(value: number): CtyNumber {
    if (Number.isNaN(value)) throw new RangeError('NaN is not a valid cty number');
    if (value === Infinity) return CtyNumber.POSITIVE_INFINITY;
    if (value === -Infinity) return CtyNumber.NEGATIVE_INFINITY;
    return CtyNumber.parse(String(value));
  }

  static fromBigInt(value: bigint): CtyNumber {
    return CtyNumber.parse(value.toString());
  }

  /** Accepts a CtyNumber, a JS number (finite or ±Infinity), a bigint or decimal text. */
  static from(value: CtyNumber | number | bigint | string): CtyNumber {
    if (value instanceof CtyNumber) return value;
    if (typeof value === 'number') return CtyNumber.fromFloat64(value);
    if (typeof value === 'bigint') return CtyNumber.fromBigInt(value);
    return CtyNumber.parse(value);
  }

  private static normalize(negative: boolean, digits: string, exponent: number, text: string | undefined): CtyNumber {
    let end = digits.length;
    while (end > 0 && digits.charCodeAt(end - 1) === 48) {
      end--;
      exponent++;
    }
    let start = 0;
    while (start < end && digits.charCodeAt(start) === 48) start++;
    if (start === end) return text === undefined || text === '0' ? CtyNumber.ZERO : new CtyNumber('finite', 0n, 0, text);
    const magnitude = BigInt(digits.slice(start, end));
    return new CtyNumber('finite', negative ? -magnitude : magnitude, exponent, text);
  }

  isFinite(): boolean {
    return this.kind === 'finite';
  }

  isInteger(): boolean {
    return this.kind === 'finite' && this.exponent >= 0;
  }

  /** -1, 0 or 1. */
  sign(): number {
    if (this.kind === '+inf') return 1;
    if (this.kind === '-inf') return -1;
    return this.coefficient === 0n ? 0 : this.coefficient > 0n ? 1 : -1;
  }

  /** Exact equality of values (text and representation are irrelevant: 1.50 equals 1.5). */
  equals(other: CtyNumber): boolean {
    return this.kind === other.kind && this.coefficient === other.coefficient && this.exponent === other.exponent;
  }

  private digitCount(): number {
    const c = this.coefficient < 0n ? -this.coefficient : this.coefficient;
    return c.toString().length;
  }

  /** The exact integer value. Throws unless isInteger() and the value has at most 400 digits. */
  toBigInt(): bigint {
    if (!this.isInteger()) throw new RangeError(`${this.toString()} is not an integer`);
    if (this.digitCount() + this.exponent > 400) throw new RangeError(`${this.toString()} is too large to convert to bigint`);
    return this.coefficient * 10n ** BigInt(this.exponent);
  }

  /** The integer value if it fits in int64 or uint64, else undefined. */
  toInt64OrUint64(): bigint | undefined {
    if (!this.isInteger() || this.digitCount() + this.exponent > 20) return undefined;
    const v = this.toBigInt();
    return v >= INT64_MIN && v <= UINT64_MAX ? v : undefined;
  }

  /** The nearest float64 (correctly rounded). */
  toNumber(): number {
    if (this.kind === '+inf') return Infinity;
    if (this.kind === '-inf') return -Infinity;
    return Number(this.toCanonicalString());
  }

  /**
   * The float64 that represents this number, if one does: i.e. the float64 whose shortest
   * round-trip decimal is exactly this value (0.5, 0.1, 1e300, ±Infinity), else undefined
   * (9007199254740993, 1e400, 0.1000000000000000000001).
   */
  toFloat64IfExact(): number | undefined {
    if (this.kind !== 'finite') return this.toNumber();
    const f = this.toNumber();
    if (!Number.isFinite(f)) return undefined;
    return CtyNumber.fromFloat64(f).equals(this) ? f : undefined;
  }

  /** Decimal text: the text it was parsed from when that was JSON syntax, else the canonical form. */
  toString(): string {
    return this.sourceText ?? this.toCanonicalString();
  }

  /**
   * Canonical text: plain digits for integers of up to 40 digits and for fractions down to 1e-6
   * (`12`, `-0.005`), otherwise scientific notation (`1e+400`, `1.5e-30`).
   * Infinities are `Infinity` / `-Infinity`.
   */
  toCanonicalString(): string {
    if (this.kind === '+inf') return 'Infinity';
    if (this.kind === '-inf') return '-Infinity';
    if (this.coefficient === 0n) return '0';
    const negative = this.coefficient < 0n;
    const digits = (negative ? -this.coefficient : this.coefficient).toString();
    const sign = negative ? '-' : '';
    const e = this.exponent;
    if (e >= 0 && digits.length + e <= 40) return sign + digits + '0'.repeat(e);
    if (e < 0) {
      const point = digits.length + e;
      if (point > 0) return sign + digits.slice(0, point) + '.' + digits.slice(point);
      if (point > -6) return sign + '0.' + '0'.repeat(-point) + digits;
    }
    const scientific = e + digits.length - 1;
    const mantissa = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    return `${sign}${mantissa}e${scientific >= 0 ? '+' : ''}${scientific}`;
  }

  /** JSON number text. Throws for infinities, which JSON cannot carry. */
  toJSONText(): string {
    if (this.kind !== 'finite') throw new RangeError(`${this.toCanonicalString()} cannot be written as a JSON number`);
    return this.toString();
  }

  /** JSON.stringify(CtyNumber) gives the decimal text as a JSON *string* (never a lossy number). */
  toJSON(): string {
    return this.toString();
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `CtyNumber(${this.toString()})`;
  }
}

export function isCtyNumber(value: unknown): value is CtyNumber {
  return value instanceof CtyNumber;
}
