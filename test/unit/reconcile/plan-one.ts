/**
 * The plan reconcile makes for one preset, the unit the core-* and gaps-* tests look at. P is the id of the preset
 * most cases are about.
 */
import { reconcile } from '../../../controller/reconcile';
import type { InstanceView, PresetView } from '../../../controller/domain/snapshot';
import { options, presetPlan, snapshot, T0 } from '../../helpers/reconcile-fixtures';

export const P = 'tpl/p';

/** The plan for `p` from a snapshot of `p` alone with `instances`, taken at `now`. */
export function planOne(p: PresetView, instances: InstanceView[], now = T0, opts = options()) {
  return presetPlan(reconcile(snapshot(now, [p], instances), opts), p.id);
}
