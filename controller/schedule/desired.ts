/**
 * Scheduling blocks: compile (validate once, memoized) and evaluate the desired pool size at an instant.
 *
 * Semantics (level-based, local wall clock of the block's zone):
 * - `* 8-18 * * 1-5` is open at every instant whose local time is 08:00:00 … 18:59:59 on Mon-Fri.
 * - DST: membership is decided from the local fields of the instant, never by stepping through
 *   occurrences. A local hour skipped by a spring-forward gap simply does not occur (a window that is
 *   only that hour stays closed that day; a window ending in the gap closes when the gap starts). A
 *   local hour repeated by a fall-back overlap occurs twice and both occurrences are inside a window
 *   that contains that hour.
 * - lead_time L: desired = max(target(now), target(now + L)), where now + L is real elapsed time, so a
 *   pool is warm L before the window's first instant even across a DST change.
 */
import type { FieldError, PathStep } from '../model/errors';
import { ValidationError } from '../model/errors';
import { compileCron, CronSyntaxError, CronWindow } from './cron';
import { parseDuration } from './duration';
import { localFields, LocalTimeCache, timeZoneProblem } from './localtime';
import { findOverlapsWithWitness, formatWitness } from './overlap';
import type { CompiledSchedule, CompiledScheduling, DesiredResult, DesiredSource, SchedulingSpec } from './types';

export const MAX_INSTANCES = 10_000;
export const MAX_LEAD_TIME_MS = 24 * 3_600_000;

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
  if (ms > MAX_LEAD_TIME_MS) return `must be at most 24h, got "${value}"`;
  return null;
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
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
      `schedule[${second.index}] ("${second.window.cron}") overlaps schedule[${first.index}] ("${first.window.cron}"): ` +
        `both are open on ${formatWitness(witness)}; windows of one preset must not overlap`,
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
  let key = keyPart(spec.timezone) + keyPart(spec.lead_time);
  for (const s of spec.schedule as unknown[]) {
    if (s === null || typeof s !== 'object') return null;
    const { cron, instances } = s as Record<string, unknown>;
    key += keyPart(cron) + keyPart(instances);
  }
  return key;
}

function keyPart(v: unknown): string {
  if (typeof v === 'string') return `s${v.length}:${v}`;
  if (typeof v === 'number') return `n${v};`;
  if (v === undefined || v === null) return '_;';
  let json: string | undefined;
  try {
    json = JSON.stringify(v);
  } catch {
    json = undefined;
  }
  // Unencodable values get a unique key, i.e. no memo hit.
  if (json === undefined) return `x${Math.random()};`;
  return `j${json.length}:${json}`;
}

const BASE: DesiredSource = Object.freeze({ kind: 'base' });

/** Index of the window open at `epochMs`, or -1. Overlaps are rejected at compile time, so at most one is. */
function openWindow(scheduling: CompiledScheduling, epochMs: number, cache: LocalTimeCache | undefined): number {
  const local = cache !== undefined ? cache.get(scheduling.timezone, epochMs) : localFields(scheduling.timezone, epochMs);
  const schedules = scheduling.schedules;
  for (let i = 0; i < schedules.length; i++) if (schedules[i].matches(local)) return i;
  return -1;
}

/**
 * Desired pool size at `nowMs`: the open window's instances, else `base`; with a lead time the larger of
 * the targets at now and at now + lead_time (ties go to now). Pass one LocalTimeCache per tick so each
 * (zone, instant) is converted once.
 */
export function desiredCount(
  base: number,
  scheduling: CompiledScheduling | null,
  nowMs: number,
  cache?: LocalTimeCache,
): DesiredResult {
  if (scheduling === null || scheduling.schedules.length === 0) return { desired: base, source: BASE };
  const nowIndex = openWindow(scheduling, nowMs, cache);
  const nowTarget = nowIndex < 0 ? base : scheduling.schedules[nowIndex].instances;
  if (scheduling.leadTimeMs > 0) {
    const leadIndex = openWindow(scheduling, nowMs + scheduling.leadTimeMs, cache);
    const leadTarget = leadIndex < 0 ? base : scheduling.schedules[leadIndex].instances;
    if (leadTarget > nowTarget) return { desired: leadTarget, source: sourceOf(scheduling, leadIndex, 'lead_time') };
  }
  return { desired: nowTarget, source: sourceOf(scheduling, nowIndex, 'now') };
}

function sourceOf(scheduling: CompiledScheduling, index: number, via: 'now' | 'lead_time'): DesiredSource {
  if (index < 0) return BASE;
  return { kind: 'schedule', index, cron: scheduling.schedules[index].cron, via };
}
