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
