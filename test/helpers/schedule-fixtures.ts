/** Shared helpers for the schedule tests (not a test file itself). */
import { CronExpressionParser } from 'cron-parser';

/** Deterministic PRNG (mulberry32) so property tests are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

const HOURS = ['*', '?', '0', '23', '8-18', '9-17', '*/2', '1-23/2', '0-23/3', '22-23,0-5', '8,12,16', '2', '1-3', '12-12', '5/4'];
const DOMS = ['*', '?', '1', '15', '1-7', '8-14', '15-31', '28-31', 'L', '15,L', '*/2', '29', '30', '31', '1,15', '*/1', '2-30/7'];
const MONTHS = ['*', '2', '2,4', 'JAN-MAR', '*/3', '12', 'feb', '1-12', '4,6,9,11', 'jul-aug'];
const DOWS = ['*', '?', '1-5', 'MON-FRI', '0', '7', '5#2', '5L', '1#5', '0,6', 'sat,sun', '*/2', '1-7/2', '5-7', '6', '1,5L', '3#1', '0#5', '*/1'];

/** A random cron text in the accepted language (some combinations are rejected by cron-parser). */
export function randomCron(r: () => number): string {
  return `* ${pick(r, HOURS)} ${pick(r, DOMS)} ${pick(r, MONTHS)} ${pick(r, DOWS)}`;
}

/** cron-parser's own verdict at an instant (whole minute), in a zone. */
export function cronParserIncludes(cron: string, tz: string, epochMs: number): boolean {
  return CronExpressionParser.parse(cron, { tz }).includesDate(new Date(epochMs));
}

export function cronParserAccepts(cron: string): boolean {
  try {
    CronExpressionParser.parse(cron);
    return true;
  } catch {
    return false;
  }
}

export const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad test instant ${iso}`);
  return ms;
};

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
