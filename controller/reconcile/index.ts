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
const NO_PLANS: readonly PresetPlan[] = Object.freeze([]);

/**
 * Plan every preset of the snapshot, in snapshot order (the store lists presets in a stable order,
 * which the budget's round-robin cursor relies on). Instances keyed under an id that is not in
 * `snapshot.presets` are not looked at.
 *
 * `previous`, the plan of an earlier call (the loop passes its last tick's), changes nothing in the result's value:
 * a preset whose plan comes out equal to its plan there, with no actions, gets that same object (see planPreset),
 * and when every preset does, the list of plans is the previous one too. A pool at rest is then planned without
 * allocating a new plan for each of 10,000 presets every tick.
 */
export function reconcile(snapshot: Snapshot, options: ReconcileOptions, previous?: Plan): Plan {
  const now = snapshot.now;
  const cache = new LocalTimeCache();
  const buckets = new Buckets();
  const presets = snapshot.presets;
  const before = previous?.presets ?? NO_PLANS;
  // Stays null while every plan is the previous one at the same place; then a new list from there on.
  let out: PresetPlan[] | null = null;
  for (let k = 0; k < presets.length; k++) {
    const preset = presets[k]!;
    const instances = snapshot.instancesByPreset.get(preset.id) ?? NO_INSTANCES;
    buckets.fill(preset, instances, now, options.retentionMs);
    const desired = evaluateDesired(preset, now, cache);
    const old = k < before.length && before[k]!.presetId === preset.id ? before[k] : undefined;
    const plan = planPreset(preset, buckets, desired, now, snapshot.paused, options, old);
    if (out === null) {
      if (plan === old) continue;
      out = new Array<PresetPlan>(presets.length);
      for (let j = 0; j < k; j++) out[j] = before[j]!;
    }
    out[k] = plan;
  }
  if (out === null) out = before.length === presets.length && presets.length > 0 ? (before as PresetPlan[]) : before.slice(0, presets.length);
  return { now, presets: out };
}
