/**
 * int64 ↔ JavaScript number for prewarm.v1 messages. User-supplied values (specs, request fields) are checked and
 * their problems reported into FieldIssues against a path; service-produced values (records, reports) that do not
 * convert are a bug or a version skew, so those throw plain Errors.
 */
import type { PathStep } from '../domain/errors';
import type { FieldIssues } from './field-issues';

/** A user-supplied number → int64; non-integers and unsafe integers are reported against `path`. */
export function specInt64(value: unknown, path: PathStep[], issues: FieldIssues): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  issues.add(path, `must be a whole number, got ${describe(value)}`);
  return 0n;
}

/** A user-supplied int64 → number; values a JavaScript number cannot hold exactly are reported. */
export function specNumber(value: bigint, path: PathStep[], issues: FieldIssues): number {
  if (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  issues.add(path, `${value} is out of range`);
  return 0;
}

/** Epoch-ms request field → number, reported against `path` when out of range. */
export function requestInstant(value: bigint, path: PathStep[], issues: FieldIssues): number {
  return specNumber(value, path, issues);
}

/** A service-produced number → int64; failure is a bug in the producer. */
export function toInt64(value: number, what: string): bigint {
  if (!Number.isSafeInteger(value)) throw new Error(`cannot encode ${what} = ${describe(value)}: not a whole number`);
  return BigInt(value);
}

/** A controller-sent int64 → number; failure means the two sides disagree about the value's range. */
export function fromInt64(value: bigint, what: string): number {
  if (value < BigInt(Number.MIN_SAFE_INTEGER) || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Error(`the controller sent ${what} = ${value}, beyond what a JavaScript number holds exactly`);
  }
  return Number(value);
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  return value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value);
}
