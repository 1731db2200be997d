import { quote } from './text';

/** A short, bounded description of an unexpected input value, for field error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `a string (${quote(value)})`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
