/** URLs as users write them in configuration: the checks every URL field makes before its own rules. */
import { MAX_URL } from './limits';
import { firstControl, quote } from './text';

/**
 * The parsed URL, or why `value` is not one: too long, spaces or control characters (which the parser would
 * quietly strip or encode), or not absolute. `absolute` says what was expected, as in "must be <absolute>".
 */
export function parseUrlText(value: string, absolute: string): URL | string {
  if (value.length > MAX_URL) return `must be at most ${MAX_URL} characters, got ${value.length}`;
  if (firstControl(value) !== null || /\s/.test(value)) return `must not contain spaces or control characters, got ${quote(value)}`;
  try {
    return new URL(value);
  } catch {
    return `must be ${absolute}, got ${quote(value)}`;
  }
}
