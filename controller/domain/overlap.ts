/**
 * Exact overlap detection between windows of one scheduling block.
 *
 * Two windows overlap iff some local wall-clock (calendar day, hour) is inside both. The check is
 * calendar-based and time-zone independent: it asks whether the pair could ever coincide in some year,
 * without consulting the zone's DST rules, so the verdict is the same for every zone (a pair whose only
 * common hour is one that a DST gap removes on the only common day is still reported — the
 * conservative answer, and the only one that does not change when a government changes its rules).
 *
 * The day part is exact by enumeration: a window's day rule depends only on (month, day-of-month,
 * weekday, days in that month), and that universe is finite (2758 combinations). It is built from real
 * dates (2000-01-01 … 2027-12-31, one full 28-year weekday cycle including leap Februaries), so every
 * member occurs in some real year and nothing in the universe is hypothetical.
 */
import { CronWindow } from './cron';
import { daysInMonth, weekdayOf } from './calendar';
import type { CompiledSchedule, LocalFields } from './schedule-window';

let universe: readonly Readonly<LocalFields>[] | undefined;

/**
 * One representative real date per (month, day, weekday, days-in-month) combination. Built on first use, not at
 * import: the provider loads this module in every process Terraform starts, most of which never check overlaps.
 */
export function dayUniverse(): readonly Readonly<LocalFields>[] {
  return (universe ??= buildUniverse());
}

/** Bit-set words that hold one bit per universe day. */
function wordCount(): number {
  return (dayUniverse().length + 31) >>> 5;
}

function buildUniverse(): LocalFields[] {
  const seen = new Map<number, LocalFields>();
  for (let year = 2000; year < 2028; year++) {
    for (let month = 1; month <= 12; month++) {
      const dim = daysInMonth(year, month);
      for (let day = 1; day <= dim; day++) {
        const weekday = weekdayOf(year, month, day);
        const key = ((month * 32 + day) * 8 + weekday) * 32 + dim;
        if (!seen.has(key)) seen.set(key, { year, month, day, hour: 0, minute: 0, weekday, daysInMonth: dim });
      }
    }
  }
  return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => Object.freeze(v));
}

/**
 * Where a window can be open. Compiled cron windows are separable (hour set × day set); any other
 * CompiledSchedule is probed hour by hour through matches().
 */
interface Footprint {
  hourMask: number;
  /** separable: the same day set for every hour in hourMask */
  days: Uint32Array | null;
  /** non-separable: day set per hour */
  perHour: Uint32Array[] | null;
}

let empty: Uint32Array | undefined;

/** Compiled cron windows are memoized and immutable, so their footprints can be kept with them. */
const cronFootprints = new WeakMap<CronWindow, Footprint>();

function footprintOf(s: CompiledSchedule): Footprint {
  if (s instanceof CronWindow) {
    let fp = cronFootprints.get(s);
    if (fp) return fp;
    const days = new Uint32Array(wordCount());
    dayUniverse().forEach((d, i) => {
      if (s.matchesDay(d.month, d.day, d.weekday, d.daysInMonth)) days[i >>> 5] |= 1 << (i & 31);
    });
    fp = { hourMask: isEmpty(days) ? 0 : s.hourMask, days, perHour: null };
    cronFootprints.set(s, fp);
    return fp;
  }
  const perHour: Uint32Array[] = [];
  let hourMask = 0;
  for (let hour = 0; hour < 24; hour++) {
    const days = new Uint32Array(wordCount());
    dayUniverse().forEach((d, i) => {
      if (s.matches({ ...d, hour })) days[i >>> 5] |= 1 << (i & 31);
    });
    perHour.push(days);
    if (!isEmpty(days)) hourMask |= 1 << hour;
  }
  return { hourMask, days: null, perHour };
}

function isEmpty(bits: Uint32Array): boolean {
  for (let i = 0; i < bits.length; i++) if (bits[i] !== 0) return false;
  return true;
}

/** Universe index of the first day in both sets, or -1. */
function firstCommon(a: Uint32Array, b: Uint32Array): number {
  for (let i = 0; i < a.length; i++) {
    const both = a[i] & b[i];
    if (both !== 0) return i * 32 + (31 - Math.clz32(both & -both));
  }
  return -1;
}

function daysAt(fp: Footprint, hour: number): Uint32Array {
  if (fp.perHour !== null) return fp.perHour[hour];
  return ((fp.hourMask >>> hour) & 1) !== 0 && fp.days !== null ? fp.days : (empty ??= new Uint32Array(wordCount()));
}

/** A calendar day when both windows are open, and every hour of it they share, for diagnostics. */
export interface OverlapWitness {
  month: number;
  day: number;
  weekday: number;
  /** The first hour of `hours`. */
  hour: number;
  /** Every hour (0-23, ascending) both windows are open on that day. */
  hours: number[];
}

function hasDay(bits: Uint32Array, i: number): boolean {
  return ((bits[i >>> 5] >>> (i & 31)) & 1) !== 0;
}

/**
 * The witness day is the first day (in universe order) of the first hour both windows share; its hours are every hour
 * both are open on that same day. Separable footprints have one day set for all their hours, so that is every hour of
 * both masks; otherwise each later hour is tested on that day.
 */
function witness(fa: Footprint, fb: Footprint): OverlapWitness | null {
  const common = fa.hourMask & fb.hourMask;
  if (common === 0) return null;
  for (let hour = 0; hour < 24; hour++) {
    if (((common >>> hour) & 1) === 0) continue;
    const i = firstCommon(daysAt(fa, hour), daysAt(fb, hour));
    if (i >= 0) {
      const d = dayUniverse()[i];
      const hours = [hour];
      for (let h = hour + 1; h < 24; h++) {
        if (((common >>> h) & 1) !== 0 && hasDay(daysAt(fa, h), i) && hasDay(daysAt(fb, h), i)) hours.push(h);
      }
      return { month: d.month, day: d.day, weekday: d.weekday, hour, hours };
    }
    // Separable footprints have the same day sets at every hour: one miss is final.
    if (fa.days !== null && fb.days !== null) return null;
  }
  return null;
}

/** Some local (calendar day, hour) inside both windows, or null when they never overlap. */
export function overlapWitness(a: CompiledSchedule, b: CompiledSchedule): OverlapWitness | null {
  return witness(footprintOf(a), footprintOf(b));
}

/** True when some wall-clock hour of some real calendar day is inside both windows. */
export function schedulesOverlap(a: CompiledSchedule, b: CompiledSchedule): boolean {
  return overlapWitness(a, b) !== null;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Hours as ranges of whole hours: [8, 9, 10, 17] → "08:00-10:59, 17:00-17:59". */
function hourRanges(hours: readonly number[]): string {
  const hh = (h: number) => String(h).padStart(2, '0');
  const ranges: string[] = [];
  for (let k = 0; k < hours.length; ) {
    let end = k;
    while (end + 1 < hours.length && hours[end + 1] === hours[end] + 1) end++;
    ranges.push(`${hh(hours[k])}:00-${hh(hours[end])}:59`);
    k = end + 1;
  }
  return ranges.join(', ');
}

/** "17:00-18:59 on a Monday 1 January", "02:00-03:59, 23:00-23:59 on a Sunday 1 January" */
export function formatWitness(w: OverlapWitness): string {
  return `${hourRanges(w.hours)} on a ${WEEKDAYS[w.weekday]} ${w.day} ${MONTHS[w.month - 1]}`;
}

/** Whether the window is open at any instant of any real year (false for e.g. day 31 of April only). */
export function canEverMatch(s: CompiledSchedule): boolean {
  return footprintOf(s).hourMask !== 0;
}

/**
 * Every overlapping pair [i, j] with i < j, in index order, with a day both are open and every hour they share on it.
 * Cost: one footprint per schedule (2758 day-rule evaluations), then per pair one AND of the hour masks
 * and at most 87 word ANDs: O(n·universe + n²·universe/32).
 */
export function findOverlapsWithWitness(
  schedules: readonly CompiledSchedule[],
): Array<{ pair: [number, number]; witness: OverlapWitness }> {
  const fps = schedules.map(footprintOf);
  const out: Array<{ pair: [number, number]; witness: OverlapWitness }> = [];
  for (let i = 0; i < fps.length; i++) {
    for (let j = i + 1; j < fps.length; j++) {
      const w = witness(fps[i], fps[j]);
      if (w !== null) out.push({ pair: [i, j], witness: w });
    }
  }
  return out;
}

/** Every overlapping pair [i, j] with i < j, in index order. */
export function findOverlaps(schedules: readonly CompiledSchedule[]): Array<[number, number]> {
  return findOverlapsWithWitness(schedules).map((o) => o.pair);
}
