/**
 * Cron windows: `* <hour> <day-of-month> <month> <day-of-week>`, parsed and validated by cron-parser,
 * then compiled to bit masks so membership is a few integer operations on local wall-clock fields.
 */
import { CronExpressionParser } from 'cron-parser';
// By require: cron-parser loads luxon's CommonJS build, and a bundler resolves an ES import to its ES build, a second
// copy whose settings cron-parser would never see.
import luxon = require('luxon');
import type { CompiledSchedule, LocalFields } from './schedule-window';
import { CRON_TEXT, quote, textProblem } from './text';

// cron-parser builds a luxon DateTime for every parse, and luxon asks ICU for the system locale the first time (an
// Intl.DateTimeFormat: ~25 ms of ICU data). Parsing only reads fields and formats nothing, so naming the locale
// changes no result and spares that cost in each short-lived provider process that validates a schedule.
luxon.Settings.defaultLocale = 'en-US';

/** A cron text that cannot be used as a window. `problems` has one entry per offending field. */
export class CronSyntaxError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('; '));
    this.name = 'CronSyntaxError';
    this.problems = problems;
  }
}

type FieldKey = 'hour' | 'dayOfMonth' | 'month' | 'dayOfWeek';

const FIELD_LABEL: Readonly<Record<FieldKey, string>> = {
  hour: 'hour field',
  dayOfMonth: 'day-of-month field',
  month: 'month field',
  dayOfWeek: 'day-of-week field',
};

const FIELD_SLOT: Readonly<Record<FieldKey, number>> = { hour: 1, dayOfMonth: 2, month: 3, dayOfWeek: 4 };

const DOW_NAMES: Readonly<Record<string, number>> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const MONTH_NAMES: Readonly<Record<string, number>> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};

/**
 * A compiled window. The day rule mirrors cron-parser's CronExpression#matchDayOfMonth exactly:
 * DOM and DOW both restricted → either matches; only one restricted → that one; `L` in DOM is the
 * last day of the month; `nL` in DOW is the last weekday n of the month; `n#k` is the k-th weekday n.
 * "Restricted" means the raw field is not literally `*` or `?` (so `*\/1` counts as restricted, as in
 * cron-parser).
 */
export class CronWindow implements CompiledSchedule {
  constructor(
    readonly cron: string,
    readonly instances: number,
    /** bit h set ⇔ hour h (0-23) is inside the window */
    readonly hourMask: number,
    /** bit m set ⇔ month m (1-12) */
    readonly monthMask: number,
    /** bit d set ⇔ day-of-month d (1-31); read with >>> because bit 31 is the sign bit */
    readonly domMask: number,
    readonly domLast: boolean,
    readonly domRestricted: boolean,
    /** bit w set ⇔ weekday w (0 = Sunday … 6) */
    readonly dowMask: number,
    /** k of `n#k`, 0 when absent */
    readonly dowNth: number,
    /** weekdays named with an `L` suffix (`5L`), 0 when none */
    readonly dowLastMask: number,
    readonly dowRestricted: boolean,
  ) {}

  matches(local: LocalFields): boolean {
    return ((this.hourMask >>> local.hour) & 1) !== 0 && this.matchesDay(local.month, local.day, local.weekday, local.daysInMonth);
  }

  /** Whether the window is open at some hour of this calendar day (month 1-12, day 1-31, weekday 0-6). */
  matchesDay(month: number, day: number, weekday: number, daysInMonth: number): boolean {
    if (((this.monthMask >>> month) & 1) === 0) return false;
    const domHit = ((this.domMask >>> day) & 1) !== 0 || (this.domLast && day === daysInMonth);
    if (!this.dowRestricted) return domHit;
    const dowHit =
      (((this.dowMask >>> weekday) & 1) !== 0 && (this.dowNth === 0 || ((day + 6) / 7 | 0) === this.dowNth)) ||
      (((this.dowLastMask >>> weekday) & 1) !== 0 && day > daysInMonth - 7);
    if (!this.domRestricted) return dowHit;
    return domHit || dowHit;
  }

  /** Hours (0-23) inside the window, ascending. */
  hours(): number[] {
    const out: number[] = [];
    for (let h = 0; h < 24; h++) if ((this.hourMask >>> h) & 1) out.push(h);
    return out;
  }
}

/** Compiles one window. Throws CronSyntaxError naming each offending field. */
/**
 * Compiled windows are immutable, and the same few cron texts are validated again and again (every
 * ValidateResourceConfig and plan in a Terraform run, every put): cron-parser's parse is by far the
 * costliest step, so results (and rejections) are kept per text and count, bounded.
 */
const compiled = new Map<string, CronWindow | CronSyntaxError>();
const maxCompiled = 10_000;

export function compileCron(text: string, instances: number): CronWindow {
  // Checked before the memo, so neither an oversized text nor a control character is ever kept or parsed.
  const problem = typeof text === 'string' ? textProblem(text, CRON_TEXT) : null;
  if (problem !== null) throw new CronSyntaxError([`cron ${problem}`]);
  const key = `${instances}\u0000${text}`;
  const hit = compiled.get(key);
  if (hit instanceof CronSyntaxError) throw hit;
  if (hit) return hit;
  let result: CronWindow | CronSyntaxError;
  try {
    result = compileCronUncached(text, instances);
  } catch (err) {
    if (!(err instanceof CronSyntaxError)) throw err;
    result = err;
  }
  if (compiled.size >= maxCompiled) compiled.delete(compiled.keys().next().value!);
  compiled.set(key, result);
  if (result instanceof CronSyntaxError) throw result;
  return result;
}

function compileCronUncached(text: string, instances: number): CronWindow {
  const fields = splitFields(text);
  const problems: string[] = [];
  for (const key of Object.keys(FIELD_SLOT) as FieldKey[]) {
    const problem = fieldProblem(key, fields[FIELD_SLOT[key]]);
    if (problem !== null) problems.push(`${FIELD_LABEL[key]}: ${problem}`);
  }
  if (problems.length > 0) throw new CronSyntaxError(problems);

  let parsed: ReturnType<typeof CronExpressionParser.parse>;
  try {
    parsed = CronExpressionParser.parse(fields.join(' '));
  } catch (err) {
    // Each field parsed alone, so only the cross-field check can fail here: a day-of-month that no
    // listed month has (e.g. 30 in February) with an unrestricted day-of-week.
    const msg = errorMessage(err);
    if (/day of month/i.test(msg)) {
      throw new CronSyntaxError([
        `${FIELD_LABEL.dayOfMonth}: no day in ${quote(fields[2])} exists in month field ${quote(fields[3])}, so the window would never open`,
      ]);
    }
    throw new CronSyntaxError([humanize(msg, fields.join(' '))]);
  }

  const f = parsed.fields;
  let hourMask = 0;
  for (const v of f.hour.values) hourMask |= 1 << v;
  let monthMask = 0;
  for (const v of f.month.values) monthMask |= 1 << v;
  let domMask = 0;
  for (const v of f.dayOfMonth.values) if (typeof v === 'number') domMask |= 1 << v;
  let dowMask = 0;
  let dowLastMask = 0;
  for (const v of f.dayOfWeek.values) {
    // 7 is kept by cron-parser next to 0 but never equals a weekday, so it adds nothing.
    if (typeof v === 'number' && v <= 6) dowMask |= 1 << v;
    // cron-parser tests every value's first digit against the last-weekday rule once `L` is present.
    if (f.dayOfWeek.hasLastChar) dowLastMask |= 1 << (parseInt(String(v).charAt(0), 10) % 7);
  }
  return new CronWindow(
    text,
    instances,
    hourMask,
    monthMask,
    domMask,
    f.dayOfMonth.hasLastChar,
    !f.dayOfMonth.isWildcard,
    dowMask,
    f.dayOfWeek.nthDay,
    dowLastMask,
    !f.dayOfWeek.isWildcard,
  );
}

function splitFields(text: string): string[] {
  if (typeof text !== 'string') throw new CronSyntaxError(['cron must be a string']);
  const trimmed = text.trim();
  if (trimmed === '') {
    throw new CronSyntaxError(['cron is empty; expected 5 fields: minute hour day-of-month month day-of-week, e.g. "* 8-18 * * 1-5"']);
  }
  if (trimmed.startsWith('@')) {
    throw new CronSyntaxError([
      `descriptors such as ${quote(trimmed.split(/\s+/)[0])} are not supported; write 5 fields, e.g. "* 8-18 * * 1-5"`,
    ]);
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5) {
    const hint = fields.length === 6 ? ' (a seconds field is not supported)' : '';
    throw new CronSyntaxError([
      `expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}${hint}`,
    ]);
  }
  if (fields[0] !== '*') {
    throw new CronSyntaxError([`minute field must be "*" (windows are whole hours), got ${quote(fields[0])}`]);
  }
  return fields;
}

/** Validates one field on its own (the others wildcards) so the error can name the field. */
function fieldProblem(key: FieldKey, raw: string): string | null {
  if (isHashed(key, raw)) return `hashed "H" values are not supported (they are not deterministic), got ${quote(raw)}`;
  const probe = ['*', '*', '*', '*', '*'];
  probe[FIELD_SLOT[key]] = raw;
  try {
    CronExpressionParser.parse(probe.join(' '));
    return null;
  } catch (err) {
    const problem = humanize(errorMessage(err), raw);
    if (key === 'dayOfWeek' && problem.startsWith('value 0 is listed more than once')) return `${problem} (7 also means Sunday)`;
    return problem;
  }
}

/** `H` after replacing names the way cron-parser does, so "THU" is not mistaken for a hash. */
function isHashed(key: FieldKey, raw: string): boolean {
  const names = key === 'month' ? MONTH_NAMES : key === 'dayOfWeek' ? DOW_NAMES : null;
  const resolved = names === null ? raw : raw.replace(/[a-z]{3}/gi, (m) => {
    const n = names[m.toLowerCase()];
    return n === undefined ? m : String(n);
  });
  return resolved.includes('H');
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Rewrites cron-parser's messages into field-level wording; unknown messages pass through. */
function humanize(msg: string, raw: string): string {
  let m: RegExpMatchArray | null;
  if ((m = msg.match(/got value (\S+) expected range (\d+)-(\d+)/))) {
    if (!/^\d+$/.test(m[1])) return `${quote(m[1])} is not allowed here (range ${m[2]}-${m[3]})`;
    return `value ${m[1]} out of range ${m[2]}-${m[3]}`;
  }
  if ((m = msg.match(/got range (\S+)-(\S+) expected range (\d+)-(\d+)/))) {
    if (m[1] === 'NaN' || m[2] === 'NaN') return `invalid range in ${quote(raw)}`;
    return `range ${m[1]}-${m[2]} out of range ${m[3]}-${m[4]}`;
  }
  if ((m = msg.match(/^Invalid range: (\d+)-(\d+), min/))) {
    return `range ${m[1]}-${m[2]} runs backwards; ranges cannot wrap around (write e.g. "22-23,0-2")`;
  }
  if (/^Invalid characters/.test(msg)) return `invalid characters in ${quote(raw)}`;
  if ((m = msg.match(/cannot resolve alias "([^"]*)"/))) return `unknown name ${quote(m[1])}`;
  if ((m = msg.match(/duplicate values found: (\S+)/))) return `value ${m[1]} is listed more than once`;
  if ((m = msg.match(/cannot repeat at every (\S+) time/))) return `step must be a positive integer, got ${m[1]}`;
  if (/^Invalid repeat/.test(msg)) return `invalid step in ${quote(raw)}`;
  if (/^Invalid wildcard/.test(msg)) return `"*" and "?" must stand alone or before a step, got ${quote(raw)}`;
  if (/Invalid list value format/.test(msg)) return `empty list item in ${quote(raw)}`;
  if (/standalone L/.test(msg)) return '"L" alone is not allowed here; use e.g. "5L" for the last Friday of the month';
  if ((m = msg.match(/`#` and `(.)` special characters are incompatible/))) return `"#" cannot be combined with ${quote(m[1])}`;
  if (/occurrence number/.test(msg)) return 'the occurrence after "#" must be 1-5';
  if (/too many values/.test(msg)) return `too many values in ${quote(raw)}`;
  return `${msg} (in ${quote(raw)})`;
}
