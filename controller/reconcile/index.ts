/**
 * The pure reconcile core: a snapshot and options in, a plan out; and the budget that picks the slice
 * of a plan to run now. No I/O, no clock reads (time is `snapshot.now`), no randomness: the same input
 * always gives the same output, which is what makes `explain` truthful and the tests exhaustive.
 *
 * Cost: one pass over each preset's instances plus sorts of only the buckets an action must pick from,
 * so O(presets + instances) for a steady pool. One LocalTimeCache per call shares time-zone
 * conversions between presets.
 */
import { LocalTimeCache } from '../schedule/localtime';
import { Buckets } from './classify';
import { evaluateDesired } from './desired';
import { planPreset } from './plan';
import type { Plan, PresetPlan, ReconcileOptions } from './types';
import type { InstanceView, Snapshot } from '../domain/snapshot';

export { applyBudget } from './budget';
export { classifyReady, isOutdatedBuild, ReadyClass } from './classify';
export { evaluateDesired, type Desired } from './desired';
export { createCount, retireCount, surgeFor } from './plan';
export * from './types';

const NO_INSTANCES: readonly InstanceView[] = Object.freeze([]);

/**
 * Plan every preset of the snapshot, in snapshot order (the store lists presets in a stable order,
 * which the budget's round-robin cursor relies on). Instances keyed under an id that is not in
 * `snapshot.presets` are not looked at.
 */
export function reconcile(snapshot: Snapshot, options: ReconcileOptions): Plan {
  const now = snapshot.now;
  const cache = new LocalTimeCache();
  const buckets = new Buckets();
  const presets = snapshot.presets;
  const out = new Array<PresetPlan>(presets.length);
  for (let k = 0; k < presets.length; k++) {
    const preset = presets[k]!;
    const instances = snapshot.instancesByPreset.get(preset.id) ?? NO_INSTANCES;
    buckets.fill(preset, instances, now, options.retentionMs);
    const desired = evaluateDesired(preset, now, cache);
    out[k] = planPreset(preset, buckets, desired, now, snapshot.paused, options);
  }
  return { now, presets: out };
}
