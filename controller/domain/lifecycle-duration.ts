/**
 * Lifecycle durations ("90s", "30m", "8h", "7d", or a sum such as "1d12h"), as users write them in a
 * `lifecycle_policy` block or on a workspace. Whole units only, from seconds to days: a lifecycle period is
 * long by nature, and a day unit is what people reach for ("7d"), unlike the pool's Go-style lead_time.
 */
import { MAX_LIFECYCLE_DURATION_MS, MAX_LIFECYCLE_DURATION_TEXT } from './limits';
import { quote } from './text';

const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({ d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 });
const TERM = /^(\d+)([a-zA-Zµμ]+)/;

/** Parses a lifecycle duration into milliseconds. Throws an Error whose message is suitable for a field diagnostic. */
export function parseLifecycleDuration(text: unknown): number {
  if (typeof text !== 'string') throw new Error('must be a duration string such as "8h" or "7d"');
  if (text === '') throw new Error('must not be empty (leave the attribute out to turn the policy off)');
  if (text.length > MAX_LIFECYCLE_DURATION_TEXT) {
    throw new Error(`must be at most ${MAX_LIFECYCLE_DURATION_TEXT} characters (such as "8h" or "1d12h"), got ${quote(text)}`);
  }
  if (text.startsWith('-')) throw new Error(`must be greater than zero, got ${quote(text)}`);
  if (/^\d+(\.\d*)?$/.test(text)) throw new Error(`missing unit in ${quote(text)} (use s, m, h or d, e.g. ${quote(`${text}h`)})`);
  let rest = text;
  let total = 0;
  while (rest !== '') {
    const m = TERM.exec(rest);
    if (!m) throw new Error(`invalid duration ${quote(text)} (expected whole numbers with units s, m, h or d, e.g. "90s", "30m", "8h", "7d")`);
    const [whole, num, unit] = m;
    const scale = UNIT_MS[unit];
    if (scale === undefined) throw new Error(`unknown unit ${quote(unit)} in ${quote(text)} (use s, m, h or d)`);
    total += Number(num) * scale;
    if (!Number.isSafeInteger(total) || total > MAX_LIFECYCLE_DURATION_MS) {
      throw new Error(`must be at most 365d, got ${quote(text)}`);
    }
    rest = rest.slice(whole.length);
  }
  if (total === 0) throw new Error(`must be greater than zero, got ${quote(text)} (leave the attribute out to turn the policy off)`);
  return total;
}

/** Returns the problem with a lifecycle duration, or null when it parses. */
export function lifecycleDurationProblem(text: unknown): string | null {
  try {
    parseLifecycleDuration(text);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Formats milliseconds in the largest whole units ("7d", "1d12h", "90s" → "1m30s"); parse(format(x)) === x for whole seconds. */
export function formatLifecycleDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0s';
  let rest = Math.round(ms / 1000) * 1000;
  let out = '';
  for (const [unit, size] of Object.entries(UNIT_MS)) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out === '' ? '0s' : out;
}
