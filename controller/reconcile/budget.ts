/**
 * The global in-flight budget: which part of a plan runs now.
 *
 * - `available = max(0, inFlightLimit - inFlight)` driver operations may start;
 * - cancel_pending and backoff cost nothing (no driver is involved) and are always included;
 * - deletes are served before creates (freeing capacity and removing stale instances first);
 * - within each kind, presets are served round-robin one operation at a time, starting at `cursor`,
 *   so one large pool cannot starve the others; an action that does not fit whole is split (a create of
 *   5 with 2 slots becomes a create of 2; a delete keeps its first ids, which are the oldest);
 * - `nextCursor` is the preset after the last one served, so the next tick starts there.
 *
 * Output order: cancel_pending, deletes, backoff, creates; within each, presets in serving order
 * (from the cursor on), and a preset's own actions in plan order.
 */
import type { Action, BudgetedActions, Plan, PresetPlan, ReconcileOptions } from './types';

interface Served {
  used: number;
  last: number;
}

/**
 * Round-robin `budget` units over the presets in `order` (indices in rotation order, each with
 * demand > 0), one unit per preset per round. Cost is O(order.length + budget): each round drops the
 * presets whose demand is met, and every round but the last grants a unit to every preset still in it.
 */
function roundRobin(order: number[], demand: Int32Array, grant: Int32Array, budget: number, out: Served): void {
  let active = order;
  let used = 0;
  let last = -1;
  while (used < budget && active.length > 0) {
    const next: number[] = [];
    for (let k = 0; k < active.length; k++) {
      if (used === budget) break;
      const p = active[k]!;
      grant[p]!++;
      used++;
      last = p;
      if (grant[p]! < demand[p]!) next.push(p);
    }
    active = next;
  }
  out.used = used;
  out.last = last;
}

function deleteDemand(p: PresetPlan): number {
  let n = 0;
  for (const a of p.actions) if (a.type === 'delete') n += a.instanceIds.length;
  return n;
}

function createDemand(p: PresetPlan): number {
  let n = 0;
  for (const a of p.actions) if (a.type === 'create') n += a.count;
  return n;
}

export function applyBudget(plan: Plan, inFlight: number, options: ReconcileOptions, cursor: number): BudgetedActions {
  const presets = plan.presets;
  const n = presets.length;
  if (n === 0) return { actions: [], nextCursor: 0 };
  const c = Number.isFinite(cursor) ? Math.trunc(cursor) % n : 0;
  const start = c < 0 ? c + n : c;
  const room = options.inFlightLimit - inFlight;
  // NaN or ≤ 0 → nothing; an infinite limit → unlimited.
  const available = room > 0 ? (room === Infinity ? Number.MAX_SAFE_INTEGER : Math.floor(room)) : 0;

  const delDemand = new Int32Array(n);
  const crDemand = new Int32Array(n);
  const delOrder: number[] = [];
  const crOrder: number[] = [];
  for (let k = 0; k < n; k++) {
    const p = start + k < n ? start + k : start + k - n;
    const plan = presets[p]!;
    if (plan.actions.length === 0) continue;
    const dd = deleteDemand(plan);
    const cd = createDemand(plan);
    if (dd > 0) {
      delDemand[p] = dd;
      delOrder.push(p);
    }
    if (cd > 0) {
      crDemand[p] = cd;
      crOrder.push(p);
    }
  }

  const delGrant = new Int32Array(n);
  const crGrant = new Int32Array(n);
  const served: Served = { used: 0, last: -1 };
  roundRobin(delOrder, delDemand, delGrant, available, served);
  let last = served.last;
  roundRobin(crOrder, crDemand, crGrant, available - served.used, served);
  if (served.last !== -1) last = served.last;

  const cancels: Action[] = [];
  const deletes: Action[] = [];
  const backoffs: Action[] = [];
  const creates: Action[] = [];
  for (let k = 0; k < n; k++) {
    const p = start + k < n ? start + k : start + k - n;
    const actions = presets[p]!.actions;
    if (actions.length === 0) continue;
    let delLeft = delGrant[p]!;
    let crLeft = crGrant[p]!;
    for (const a of actions) {
      switch (a.type) {
        case 'cancel_pending':
          cancels.push(a);
          break;
        case 'backoff':
          backoffs.push(a);
          break;
        case 'delete':
          if (delLeft === 0) break;
          if (a.instanceIds.length <= delLeft) {
            deletes.push(a);
            delLeft -= a.instanceIds.length;
          } else {
            deletes.push({ ...a, instanceIds: a.instanceIds.slice(0, delLeft) });
            delLeft = 0;
          }
          break;
        case 'create':
          if (crLeft === 0) break;
          if (a.count <= crLeft) {
            creates.push(a);
            crLeft -= a.count;
          } else {
            creates.push({ ...a, count: crLeft });
            crLeft = 0;
          }
          break;
      }
    }
  }

  const out = cancels;
  for (const a of deletes) out.push(a);
  for (const a of backoffs) out.push(a);
  for (const a of creates) out.push(a);
  return { actions: out, nextCursor: last === -1 ? start : last + 1 < n ? last + 1 : 0 };
}
