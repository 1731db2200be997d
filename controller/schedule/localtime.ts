/**
 * Instant → local wall-clock fields in an IANA zone, through Intl (ICU's tz database).
 *
 * Nothing here reads the process time zone: the zone is always explicit and weekday/month length
 * are computed arithmetically from the local date, so `TZ=...` cannot change a result.
 */
import type { LocalFields } from '../domain/schedule-window';
import { timeZoneProblem } from '../domain/timezone';
import { daysInMonth, weekdayOf } from '../domain/calendar';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    const problem = timeZoneProblem(zone);
    if (problem !== null) throw new RangeError(problem);
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      calendar: 'gregory',
      numberingSystem: 'latn',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Local wall-clock fields of `epochMs` in `timezone`. Throws RangeError for an unusable zone. */
export function localFields(timezone: string, epochMs: number): LocalFields {
  if (!Number.isFinite(epochMs)) throw new RangeError(`not a finite instant: ${epochMs}`);
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const part of formatterFor(timezone).formatToParts(epochMs)) {
    switch (part.type) {
      case 'year': year = Number(part.value); break;
      case 'month': month = Number(part.value); break;
      case 'day': day = Number(part.value); break;
      case 'hour': hour = Number(part.value) % 24; break; // some ICU builds render midnight as 24
      case 'minute': minute = Number(part.value); break;
      default: break;
    }
  }
  return { year, month, day, hour, minute, weekday: weekdayOf(year, month, day), daysInMonth: daysInMonth(year, month) };
}

/**
 * One reconcile tick's conversions: every (zone, instant) pair is converted once, however many
 * schedules ask. Create a fresh cache per tick; it is not bounded.
 */
export class LocalTimeCache {
  private readonly zones = new Map<string, Map<number, LocalFields>>();

  get(zone: string, epochMs: number): LocalFields {
    let byInstant = this.zones.get(zone);
    if (byInstant === undefined) {
      byInstant = new Map();
      this.zones.set(zone, byInstant);
    }
    let fields = byInstant.get(epochMs);
    if (fields === undefined) {
      fields = localFields(zone, epochMs);
      byInstant.set(epochMs, fields);
    }
    return fields;
  }

  /** Number of distinct (zone, instant) conversions held. */
  get size(): number {
    let n = 0;
    for (const m of this.zones.values()) n += m.size;
    return n;
  }

  clear(): void {
    this.zones.clear();
  }
}
