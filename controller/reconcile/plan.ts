/**
 * The per-preset decision: given the classified buckets and the desired count, the full action list
 * for the next tick (before the global budget).
 */
import { classifyReady, ReadyClass, type Buckets } from './classify';
import type { Desired } from './desired';
import { byCreatedAt, byCreatedAtDesc, byReadyAt, byStateTime, ids } from './order';
import type { Action, DeleteReason, PresetCounts, PresetPlan, ReconcileOptions } from './types';
import type { InstanceView, PresetView } from '../domain/snapshot';

/** Surge bound for rolling replacement: max(1, floor(fraction × desired)). */
export function surgeFor(desired: number, surgeFraction: number): number {
  const f = surgeFraction > 0 && Number.isFinite(surgeFraction) ? surgeFraction : 0;
  const s = Math.floor(f * desired);
  return s > 1 ? s : 1;
}

/**
 * The create count of "surge, then retire".
 *
 * - `desired - (ready + starting)`: fresh instances missing; retiring ones do not count, because they are
 *   about to go.
 * - `desired + surge - (ready + retiring + starting)`: the pool may exceed desired by at most `surge`
 *   while retiring instances are still around, so a whole pool expiring at once is replaced in batches
 *   of `surge` rather than all at once.
 *
 * With no retiring instances the second term is the first plus surge, so plain scaling is unaffected.
 */
export function createCount(desired: number, ready: number, retiring: number, starting: number, surge: number): number {
  const shortage = desired - (ready + starting);
  if (shortage <= 0) return 0;
  const headroom = desired + surge - (ready + retiring + starting);
  if (headroom <= 0) return 0;
  return shortage < headroom ? shortage : headroom;
}

/**
 * How many retiring instances to delete. Normally only those above desired (`ready + retiring - desired`),
 * so expiry or a version change never drops claimable instances below desired: replacements come first
 * and the old ones are retired as the new ones turn ready. When creates are blocked, no replacement can
 * come, and TTL and version are hard promises: every retiring instance goes.
 */
export function retireCount(desired: number, ready: number, retiring: number, createsBlocked: boolean): number {
  if (createsBlocked) return retiring;
  const over = ready + retiring - desired;
  if (over <= 0) return 0;
  return over < retiring ? over : retiring;
}

/** How each count reads the buckets: the one mapping both countsOf and sameCounts use, complete by its type. */
const COUNT_OF: { readonly [K in keyof PresetCounts]: (b: Buckets) => number } = {
  ready: (b) => b.fresh,
  starting: (b) => b.startingAll,
  expired: (b) => b.expired + b.invalidated,
  outdated: (b) => b.outdated,
  claimed: (b) => b.claimed,
  failed: (b) => b.failed,
  stopped: (b) => b.stopped,
  deleting: (b) => b.deleting,
};
const COUNT_KEYS = Object.keys(COUNT_OF) as Array<keyof PresetCounts>;

function countsOf(b: Buckets): PresetCounts {
  const counts = {} as PresetCounts;
  for (const k of COUNT_KEYS) counts[k] = COUNT_OF[k](b);
  return counts;
}

/** Whether `c` is what countsOf(b) would give, without making it. */
function sameCounts(c: PresetCounts, b: Buckets): boolean {
  for (const k of COUNT_KEYS) if (c[k] !== COUNT_OF[k](b)) return false;
  return true;
}

function sameSource(a: PresetPlan['desiredSource'], b: PresetPlan['desiredSource']): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  if (a.kind !== 'schedule' || b.kind !== 'schedule') return true;
  return a.index === b.index && a.cron === b.cron && a.via === b.via;
}

/**
 * A backoff that ends further away than the longest backoff can only come from the clock moving backwards
 * (NTP step, VM resume); it is clamped so a clock correction cannot stall a pool for hours.
 */
export function effectiveBackoff(until: number | null, now: number, capMs: number | undefined): number | null {
  if (until === null || until <= now) return null;
  return capMs !== undefined && until - now > capMs ? now + capMs : until;
}

/** `actions` with `action` added; the list is made on the first action (most presets have none). */
function add(actions: Action[] | null, action: Action): Action[] {
  if (actions === null) return [action];
  actions.push(action);
  return actions;
}

function pushDelete(actions: Action[] | null, presetId: string, list: InstanceView[] | null, reason: DeleteReason): Action[] | null {
  if (list === null || list.length === 0) return actions;
  return add(actions, { type: 'delete', presetId, instanceIds: ids(list), reason });
}

/**
 * Plan one preset. `b` must have been filled for this preset; it is scratch and is sorted in place.
 *
 * `previous` is this preset's plan from an earlier call, if the caller has one: when the new plan has no actions
 * and would equal it field for field, `previous` itself is returned instead of an equal new object (a pool at rest
 * plans the same every tick, and 10,000 fresh plans a tick would be most of a tick's garbage). Plans are never
 * changed once made, so sharing one is safe; the result is the same value either way.
 */
export function planPreset(
  preset: PresetView,
  b: Buckets,
  d: Desired,
  now: number,
  globalPaused: boolean,
  options: ReconcileOptions,
  previous?: PresetPlan,
): PresetPlan {
  const paused = globalPaused || preset.paused;
  const backoffUntil = effectiveBackoff(preset.backoffUntil, now, options.backoffCapMs);
  // Paused: explain still shows desired and counts, but nothing runs — not even deletes.
  const actions = paused ? null : presetActions(preset, b, d, now, backoffUntil, options);
  if (
    actions === null &&
    previous !== undefined &&
    previous.actions.length === 0 &&
    previous.presetId === preset.id &&
    previous.template === preset.template &&
    previous.preset === preset.name &&
    previous.desired === d.desired &&
    sameSource(previous.desiredSource, d.source) &&
    sameCounts(previous.counts, b) &&
    previous.status === preset.status &&
    previous.statusReason === preset.statusReason &&
    previous.paused === paused &&
    previous.backoffUntil === backoffUntil
  ) {
    return previous;
  }
  return {
    presetId: preset.id,
    template: preset.template,
    preset: preset.name,
    desired: d.desired,
    desiredSource: d.source,
    counts: countsOf(b),
    status: preset.status,
    statusReason: preset.statusReason,
    paused,
    backoffUntil,
    actions: actions ?? [],
  };
}

/** The actions of an unpaused preset, in plan order; null when there are none. */
function presetActions(
  preset: PresetView,
  b: Buckets,
  d: Desired,
  now: number,
  backoffUntil: number | null,
  options: ReconcileOptions,
): Action[] | null {
  let actions: Action[] | null = null;
  const id = preset.id;
  const D = d.desired;
  const R = b.fresh;
  const E = b.expired + b.invalidated + b.outdated;
  const deleted = preset.deleted;

  // 1. cancel_pending. Stale pending creates (outdated build inputs, or a deleted preset) are cancelled
  //    outright and stop counting as starting, so their replacement can be asked for on this same tick.
  let S = b.startingAll - b.pendingStaleList.length;
  let cancel: InstanceView[] | null = b.pendingStaleList.length > 0 ? b.pendingStaleList.slice() : null;
  if (!deleted && b.pendingList.length > 0) {
    // Excess pending creates (desired dropped, or claims stopped): anything starting beyond what fresh
    // ready lacks. Cancelling is free (no driver involved) so we do it right away instead of building
    // and then deleting; builds already `starting` cannot be cancelled and are handled as surplus once
    // ready. Newest intents go first.
    const need = D - R > 0 ? D - R : 0;
    const excess = S - need;
    if (excess > 0) {
      const list = b.pendingList;
      const k = excess < list.length ? excess : list.length;
      if (k < list.length) list.sort(byCreatedAtDesc);
      if (cancel === null) cancel = [];
      for (let n = 0; n < k; n++) cancel.push(list[n]!);
      S -= k;
    }
  }
  if (cancel !== null) {
    cancel.sort(byCreatedAt);
    actions = add(actions, { type: 'cancel_pending', presetId: id, instanceIds: ids(cancel) });
  }

  // 2. Deletes, in a fixed reason order: retry, retention, preset_deleted, expired, outdated, invalidated, surplus.
  if (b.retryList.length > 0) {
    b.retryList.sort(byCreatedAt);
    actions = pushDelete(actions, id, b.retryList, 'retry');
  }
  if (!deleted && (b.failedOldList.length > 0 || b.stoppedOldList.length > 0)) {
    // Failed and stopped pool instances are evidence for a while, then zombies: reaped after retention,
    // whatever the preset's create state (backoff, hard limit) is.
    const old = b.failedOldList.length === 0 ? b.stoppedOldList : b.failedOldList.concat(b.stoppedOldList);
    old.sort(byStateTime);
    actions = pushDelete(actions, id, old, 'retention');
  }

  const createsBlocked = preset.status !== 'healthy' || backoffUntil !== null;

  if (deleted) {
    // Desired is 0 and nothing is ever created again: every unclaimed ready, failed and stopped instance
    // goes now (expired ones included, unlike Coder's inactive-version gap). Builds still `starting` are
    // deleted on a later tick, once ready.
    if (b.goneList.length > 0) {
      b.goneList.sort(byStateTime);
      actions = pushDelete(actions, id, b.goneList, 'preset_deleted');
    }
    return actions;
  }

  // Rolling retirement, oldest ready first.
  const retire = retireCount(D, R, E, createsBlocked);
  const retiring = b.retiringList;
  if (retire > 0 && retiring.length > 0) {
    retiring.sort(byReadyAt);
    const k = retire < retiring.length ? retire : retiring.length;
    let expired: InstanceView[] | null = null;
    let outdated: InstanceView[] | null = null;
    let invalidated: InstanceView[] | null = null;
    const ttlMs = preset.pool !== null && preset.pool.ttlSeconds > 0 ? preset.pool.ttlSeconds * 1000 : 0;
    for (let n = 0; n < k; n++) {
      const i = retiring[n]!;
      const c = classifyReady(i, preset, now, ttlMs);
      if (c === ReadyClass.Outdated) (outdated ??= []).push(i);
      else if (c === ReadyClass.Invalidated) (invalidated ??= []).push(i);
      else (expired ??= []).push(i);
    }
    actions = pushDelete(actions, id, expired, 'expired');
    actions = pushDelete(actions, id, outdated, 'outdated');
    actions = pushDelete(actions, id, invalidated, 'invalidated');
  }

  // Surplus fresh ready, oldest first. Starting builds are deliberately not counted: if one of them fails
  // we would be under desired; an over-provisioned pool is trimmed on a later tick instead (as Coder does).
  if (R > D) {
    const list = b.freshReady();
    if (list.length > 0) {
      const surplus = R - D;
      list.sort(byReadyAt);
      const k = surplus < list.length ? surplus : list.length;
      actions = add(actions, { type: 'delete', presetId: id, instanceIds: ids(list, k), reason: 'surplus' });
    }
  }

  // 3. Backoff is informational: creates wait, deletes above went ahead anyway.
  if (backoffUntil !== null) actions = add(actions, { type: 'backoff', presetId: id, until: backoffUntil });

  // 4. Create.
  if (!createsBlocked) {
    const count = createCount(D, R, E, S, surgeFor(D, options.surgeFraction));
    if (count > 0) {
      // 'replace' when the pool would be full by count if nothing were retiring: the creates exist only
      // because retiring instances are being replaced.
      const reason = E > 0 && D - (R + E + S) < count ? 'replace' : 'scale';
      actions = add(actions, { type: 'create', presetId: id, count, reason });
    }
  }
  return actions;
}
