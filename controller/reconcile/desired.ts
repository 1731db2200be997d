/** Desired pool size of one preset at one instant. */
import type { LocalTimeCache } from '../schedule/localtime';
import type { PresetPlan } from './types';
import { desiredCount } from '../schedule/desired-count';
import type { PresetView } from '../domain/snapshot';

export interface Desired {
  desired: number;
  source: PresetPlan['desiredSource'];
}

const NONE: Desired = Object.freeze({ desired: 0, source: Object.freeze({ kind: 'none' as const }) });
const DELETED: Desired = Object.freeze({ desired: 0, source: Object.freeze({ kind: 'deleted' as const }) });

/**
 * - deleted preset → 0 ('deleted'): everything in its pool goes;
 * - no `prebuilds` block → 0 ('none'): instances come only from claims;
 * - otherwise the schedule module decides (base, or the window containing now / now + lead time).
 *
 * Pausing does not change desired: explain should show what the pool *would* be sized to.
 * The results are frozen and shared between presets and ticks (see desiredCount), unless a count needed clamping.
 */
export function evaluateDesired(preset: PresetView, now: number, cache: LocalTimeCache): Desired {
  if (preset.deleted) return DELETED;
  const pool = preset.pool;
  if (pool === null) return NONE;
  const r = desiredCount(pool.instances, pool.scheduling, now, cache);
  // Never trust a negative or fractional count from configuration that slipped past validation.
  const d = r.desired > 0 ? Math.floor(r.desired) : 0;
  return d === r.desired ? r : { desired: d, source: r.source };
}
