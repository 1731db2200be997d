/**
 * Desired pool size at an instant, from a compiled scheduling block.
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
import type { CompiledScheduling } from '../domain/schedule-window';
import { localFields, type LocalTimeCache } from './localtime';
import type { DesiredResult, DesiredSource } from './desired-result';
import { MAX_INSTANCES } from '../domain/limits';

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
 *
 * The results are frozen and shared: the same answer (a window and how it was reached, or a base count) is the same
 * object every time, so planning 10,000 presets every tick allocates none.
 */
export function desiredCount(
  base: number,
  scheduling: CompiledScheduling | null,
  nowMs: number,
  cache?: LocalTimeCache,
): DesiredResult {
  if (scheduling === null || scheduling.schedules.length === 0) return baseResult(base);
  const nowIndex = openWindow(scheduling, nowMs, cache);
  const nowTarget = nowIndex < 0 ? base : scheduling.schedules[nowIndex].instances;
  if (scheduling.leadTimeMs > 0) {
    const leadIndex = openWindow(scheduling, nowMs + scheduling.leadTimeMs, cache);
    const leadTarget = leadIndex < 0 ? base : scheduling.schedules[leadIndex].instances;
    if (leadTarget > nowTarget) return leadIndex < 0 ? baseResult(base) : windowResult(scheduling, leadIndex, 'lead_time');
  }
  return nowIndex < 0 ? baseResult(base) : windowResult(scheduling, nowIndex, 'now');
}

/** Base results by count (whole counts in the valid range; anything else is made on each call). */
const baseResults = new Map<number, DesiredResult>();

function baseResult(base: number): DesiredResult {
  if (!Number.isInteger(base) || base < 0 || base > MAX_INSTANCES) return { desired: base, source: BASE };
  let result = baseResults.get(base);
  if (result === undefined) baseResults.set(base, (result = Object.freeze({ desired: base, source: BASE })));
  return result;
}

/** Window results of each compiled scheduling (shared by every preset with the same block), two per window: now, lead time. */
const windowResults = new WeakMap<CompiledScheduling, DesiredResult[]>();

function windowResult(scheduling: CompiledScheduling, index: number, via: 'now' | 'lead_time'): DesiredResult {
  let results = windowResults.get(scheduling);
  if (results === undefined) windowResults.set(scheduling, (results = []));
  const slot = 2 * index + (via === 'now' ? 0 : 1);
  let result = results[slot];
  if (result === undefined) {
    const window = scheduling.schedules[index];
    const source: DesiredSource = Object.freeze({ kind: 'schedule', index, cron: window.cron, via });
    results[slot] = result = Object.freeze({ desired: window.instances, source });
  }
  return result;
}
