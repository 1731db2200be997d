/**
 * Everything the lifecycle core says about a fixed, seeded set of workspaces, as one string: time-zone.test.ts
 * compares it between this process and children running under other process time zones.
 */
import { explainWorkspace, planLifecycle } from '../../../controller/lifecycle';
import { DAY, prng, randomView, snapshot, T0 } from '../../helpers/workspace-views';

export function probe(): string {
  const rand = prng(8);
  const out: unknown[] = [];
  for (let i = 0; i < 500; i++) {
    const now = T0 + Math.floor(rand() * 3 * DAY);
    const v = randomView(rand, now, `w${i}`);
    out.push(planLifecycle(snapshot(now, v)), explainWorkspace(v, now));
  }
  return JSON.stringify(out);
}
