/**
 * Conversions between the codec's value model (CtyValue: CtyNumber, Map, Unknown) and the plain JSON-like
 * shapes controller/model works with (JS numbers, records, null = absent).
 */
import { CtyNumber, TypedValue, isUnknown, unknown, type CtyObject, type CtyPath, type CtyValue } from './values';
import { invalidValueDiag, type Diagnostic } from './diagnostics';

/**
 * Why a cty number cannot be used as a JS integer, or null when it can. controller/model works with JS numbers,
 * so anything that is not a whole number within ±(2^53 − 1) is refused here rather than silently rounded.
 */
export function integerProblem(n: CtyNumber): string | null {
  if (!n.isFinite()) return `must be a whole number, got ${n.toCanonicalString()}`;
  if (!n.isInteger()) return `must be a whole number, got ${n.toString()}`;
  const big = n.toInt64OrUint64();
  if (big === undefined || big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
    return `is out of range, got ${n.toString()} (at most ${Number.MAX_SAFE_INTEGER} in magnitude)`;
  }
  return null;
}

function at(path: CtyPath, step: CtyPath[number]): CtyPath {
  return [...path, step];
}

/** Own enumerable data property even for "__proto__" (a legal map key). */
function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A decoded value → the plain shape controller/model validates and parses: Maps become records, numbers JS
 * numbers, block lists stay lists (the model accepts a list of at most one for once-blocks), unknowns stay
 * Unknown (the validators skip them via isUnknown). A number that is not a usable integer gets its own
 * diagnostic (with its path) and is passed on as unknown, so it is not reported a second time.
 */
export function toValidationInput(value: CtyValue, path: CtyPath, diags: Diagnostic[]): unknown {
  if (value === null || isUnknown(value) || typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof CtyNumber) {
    const problem = integerProblem(value);
    if (problem === null) return Number(value.toBigInt());
    diags.push(invalidValueDiag(path, problem));
    return unknown();
  }
  if (Array.isArray(value)) return value.map((v, i) => toValidationInput(v, at(path, { index: i }), diags));
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) defineOwn(out, k, toValidationInput(v, at(path, { key: k }), diags));
    return out;
  }
  if (value instanceof TypedValue) return toValidationInput(value.value, path, diags);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as CtyObject)) defineOwn(out, k, toValidationInput(v, at(path, { attr: k }), diags));
  return out;
}

/** A record from the API → the Map the codec writes for map(string). */
export function toCtyMap(record: Readonly<Record<string, string>> | undefined): Map<string, CtyValue> {
  return new Map(Object.entries(record ?? {}));
}
