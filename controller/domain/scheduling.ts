/**
 * Scheduling blocks: validation (every problem, with paths) and compilation to cron windows, memoized.
 * Evaluating a compiled block at an instant is the schedule module's job.
 */
import type { FieldError, PathStep } from './errors';
import { ValidationError } from './errors';
import { compileCron, CronSyntaxError, CronWindow } from './cron';
import { parseDuration } from './duration';
import { timeZoneProblem } from './timezone';
import { describeValue } from './describe';
import { MAX_CRON, MAX_INSTANCES, MAX_LEAD_TIME_MS } from './limits';
import { quote } from './text';
import { findOverlapsWithWitness, formatWitness } from './overlap';
import type { CompiledSchedule, CompiledScheduling } from './schedule-window';
import type { SchedulingSpec } from './specs';


const never = (): boolean => false;

/** Why `value` is not a valid instance count, or null. */
export function instancesProblem(value: unknown): string | null {
  if (typeof value !== 'number') return `must be a whole number, got ${describeValue(value)}`;
  if (!Number.isInteger(value)) return `must be a whole number, got ${value}`;
  if (value < 0) return `must be >= 0, got ${value}`;
  if (value > MAX_INSTANCES) return `must be <= ${MAX_INSTANCES}, got ${value}`;
  return null;
}

/** Why `value` is not a valid lead_time, or null. */
export function leadTimeProblem(value: unknown): string | null {
  if (typeof value !== 'string') return `must be a duration string such as "30m", got ${describeValue(value)}`;
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (err) {
    return (err as Error).message;
  }
  if (ms > MAX_LEAD_TIME_MS) return `must be at most 24h, got ${quote(value)}`;
  return null;
}


export interface SchedulingCheck {
  errors: FieldError[];
  /** Null when there were errors or some value the result depends on is unknown. */
  compiled: CompiledScheduling | null;
}

/**
 * Every problem of a scheduling block, with paths relative to the block (['schedule', 1, 'cron']).
 * Checks types and values of timezone, lead_time, schedule[*].cron and schedule[*].instances, at least
 * one schedule, and overlaps; it does not look for unknown attributes (the input validator does).
 * Values for which `isUnknown` is true are skipped, and so is every check that depends on them.
 */
export function checkScheduling(spec: SchedulingSpec, isUnknown: (v: unknown) => boolean = never): SchedulingCheck {
  const errors: FieldError[] = [];
  const err = (path: PathStep[], message: string): void => {
    errors.push({ path, message });
  };
  let complete = true;

  const tz: unknown = spec.timezone;
  if (isUnknown(tz)) complete = false;
  else if (tz === undefined || tz === null) err(['timezone'], 'is required');
  else {
    const problem = timeZoneProblem(tz);
    if (problem !== null) err(['timezone'], problem);
  }

  const lead: unknown = spec.lead_time;
  let leadTimeMs = 0;
  if (isUnknown(lead)) complete = false;
  else if (lead !== undefined && lead !== null) {
    const problem = leadTimeProblem(lead);
    if (problem !== null) err(['lead_time'], problem);
    else leadTimeMs = parseDuration(lead as string);
  }

  const list: unknown = spec.schedule;
  const windows: Array<{ index: number; window: CronWindow }> = [];
  if (isUnknown(list)) complete = false;
  else if (list === undefined || list === null || (Array.isArray(list) && list.length === 0)) {
    err(['schedule'], 'at least one schedule block is required');
  } else if (!Array.isArray(list)) {
    err(['schedule'], `must be a list of schedule blocks, got ${describeValue(list)}`);
  } else {
    list.forEach((item: unknown, index) => {
      if (isUnknown(item)) {
        complete = false;
        return;
      }
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        err(['schedule', index], `must be a schedule block, got ${describeValue(item)}`);
        return;
      }
      const { cron, instances } = item as Record<string, unknown>;
      let count = 0;
      if (isUnknown(instances)) complete = false;
      else if (instances === undefined || instances === null) err(['schedule', index, 'instances'], 'is required');
      else {
        const problem = instancesProblem(instances);
        if (problem !== null) err(['schedule', index, 'instances'], problem);
        else count = instances as number;
      }
      if (isUnknown(cron)) complete = false;
      else if (cron === undefined || cron === null) err(['schedule', index, 'cron'], 'is required');
      else if (typeof cron !== 'string') err(['schedule', index, 'cron'], `must be a string, got ${describeValue(cron)}`);
      else {
        try {
          windows.push({ index, window: compileCron(cron, count) });
        } catch (e) {
          if (!(e instanceof CronSyntaxError)) throw e;
          for (const p of e.problems) err(['schedule', index, 'cron'], p);
        }
      }
    });
  }

  // Overlap is zone independent, so it is checked even when the zone is bad or unknown.
  for (const { pair, witness } of findOverlapsWithWitness(windows.map((w) => w.window))) {
    const first = windows[pair[0]];
    const second = windows[pair[1]];
    err(
      ['schedule', second.index, 'cron'],
      `schedule[${second.index}] (${quote(second.window.cron, MAX_CRON)}) overlaps schedule[${first.index}] (${quote(first.window.cron, MAX_CRON)}): ` +
        `both are open ${formatWitness(witness)}; windows of one preset must not overlap`,
    );
  }

  if (errors.length > 0 || !complete) return { errors, compiled: null };
  return {
    errors,
    compiled: Object.freeze({
      timezone: tz as string,
      leadTimeMs,
      schedules: Object.freeze(windows.map((w): CompiledSchedule => w.window)) as CompiledSchedule[],
    }),
  };
}

const MEMO_LIMIT = 100_000;
const memo = new Map<string, CompiledScheduling | ValidationError>();

/**
 * Validates and compiles a scheduling block. Memoized on a canonical encoding of the block's content,
 * so compiling the same block on every tick costs building one short string and a map lookup. Throws
 * ValidationError with paths relative to the block.
 */
export function compileScheduling(spec: SchedulingSpec): CompiledScheduling {
  const key = canonicalKey(spec);
  const hit = key === null ? undefined : memo.get(key);
  if (hit !== undefined) {
    if (hit instanceof ValidationError) throw hit;
    return hit;
  }
  const { errors, compiled } = checkScheduling(spec);
  const result = compiled ?? new ValidationError(errors);
  if (key !== null) {
    if (memo.size >= MEMO_LIMIT) memo.delete(memo.keys().next().value as string);
    memo.set(key, result);
  }
  if (result instanceof ValidationError) throw result;
  return result;
}

/**
 * A canonical, unambiguous encoding of the block's content (length-prefixed strings, tagged values),
 * independent of key order and of attributes the block does not have. Cheaper than JSON.stringify on
 * the per-tick path; null (no memo) for shapes too broken to encode.
 */
function canonicalKey(spec: SchedulingSpec): string | null {
  if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.schedule)) return null;
  const parts = [keyPart(spec.timezone), keyPart(spec.lead_time)];
  for (const s of spec.schedule as unknown[]) {
    if (s === null || typeof s !== 'object') return null;
    const { cron, instances } = s as Record<string, unknown>;
    parts.push(keyPart(cron), keyPart(instances));
  }
  return parts.includes(null) ? null : parts.join('');
}

/** Null for a value that cannot be encoded: such a block is compiled without the memo. */
function keyPart(v: unknown): string | null {
  if (typeof v === 'string') return `s${v.length}:${v}`;
  if (typeof v === 'number') return `n${v};`;
  if (v === undefined || v === null) return '_;';
  let json: string | undefined;
  try {
    json = JSON.stringify(v);
  } catch {
    return null;
  }
  return json === undefined ? null : `j${json.length}:${json}`;
}
