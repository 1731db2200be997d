/**
 * Go-style durations ("30m", "1h30m", "1.5h", "90s", "250ms", "0s", "0"), as Terraform users write them.
 * Only h, m, s and ms are accepted: finer units make no sense for pool warm-up and would not survive
 * a millisecond clock anyway.
 */

import { quote } from './text';

const UNIT_MS: Readonly<Record<string, bigint>> = Object.freeze({
  h: 3_600_000n,
  m: 60_000n,
  s: 1_000n,
  ms: 1n,
});

/** One `<number><unit>` term; the unit is any run of letters so unsupported units get a precise message. */
const TERM = /^(\d+(?:\.\d*)?|\.\d+)([a-zA-Zµμ]+)/;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Parses a duration into milliseconds. Throws an Error whose message is suitable for a field diagnostic. */
export function parseDuration(text: string): number {
  if (typeof text !== 'string') throw new Error('must be a duration string such as "30m"');
  if (text === '') throw new Error('must not be empty (use "0s" for no duration)');
  if (text === '0') return 0;
  if (text.startsWith('-')) throw new Error(`must not be negative, got ${quote(text)}`);
  if (/^\+/.test(text)) throw new Error(`must not have a sign, got ${quote(text)}`);
  if (/^\d+(\.\d*)?$/.test(text)) {
    throw new Error(`missing unit in ${quote(text)} (use h, m, s or ms, e.g. ${quote(`${text}m`)})`);
  }
  let rest = text;
  let total = 0n;
  while (rest !== '') {
    const m = TERM.exec(rest);
    if (!m) throw new Error(`invalid duration ${quote(text)} (expected e.g. "30m", "1h30m" or "1.5h")`);
    const [whole, num, unit] = m;
    const scale = UNIT_MS[unit];
    if (scale === undefined) {
      throw new Error(`unknown unit ${quote(unit)} in ${quote(text)} (use h, m, s or ms)`);
    }
    total += termMs(num, scale, text);
    if (total > MAX_SAFE) throw new Error(`duration ${quote(text)} is too large`);
    rest = rest.slice(whole.length);
  }
  return Number(total);
}

/** Exact decimal arithmetic so "0.1h" is 360000 ms and not 360000.00000000006. */
function termMs(num: string, scale: bigint, text: string): bigint {
  const [intPart, fracPart = ''] = num.split('.');
  const intMs = BigInt(intPart === '' ? '0' : intPart) * scale;
  if (fracPart === '') return intMs;
  const denom = 10n ** BigInt(fracPart.length);
  const fracScaled = BigInt(fracPart) * scale;
  if (fracScaled % denom !== 0n) {
    throw new Error(`duration ${quote(text)} is not a whole number of milliseconds`);
  }
  return intMs + fracScaled / denom;
}

/** Formats milliseconds compactly ("1h30m", "45s", "1s500ms", "0s"); parseDuration(formatDuration(x)) === x. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not a finite duration: ${ms}`);
  if (ms === 0) return '0s';
  if (ms < 0) return `-${formatDuration(-ms)}`;
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1_000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out === '' ? '0s' : out;
}
