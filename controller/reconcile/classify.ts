import type { InstanceView, PresetView } from '../domain/snapshot';
/**
 * One pass over a preset's instances: count them for explain and sort the actionable ones into buckets
 * the planner picks ids from. No sorting happens here; the planner sorts a bucket only when it must
 * choose a subset or emit ids.
 */

/** What a ready pool instance is, in delete-reason priority order: outdated > invalidated > expired. */
export const ReadyClass = {
  Fresh: 0,
  Expired: 1,
  Invalidated: 2,
  Outdated: 3,
} as const;
export type ReadyClass = (typeof ReadyClass)[keyof typeof ReadyClass];

/**
 * Classify a ready pool instance.
 *
 * - outdated: built from an older template version or an older preset generation;
 * - invalidated: created at or before the preset's last invalidation (`createdAt <= invalidatedAt`, so an
 *   instance created in the very millisecond of the invalidation is treated as stale: the safe side);
 * - expired: `ttl > 0` and strictly more than `ttl` seconds since it became *ready* (not since creation,
 *   which would make slow builds expire early), measured with the snapshot's clock.
 */
export function classifyReady(i: InstanceView, preset: PresetView, now: number, ttlMs: number): ReadyClass {
  if (i.templateVersion < preset.templateVersion || i.generation < preset.generation) return ReadyClass.Outdated;
  if (preset.invalidatedAt !== null && i.createdAt <= preset.invalidatedAt) return ReadyClass.Invalidated;
  if (ttlMs > 0 && now - (i.readyAt ?? i.createdAt) > ttlMs) return ReadyClass.Expired;
  return ReadyClass.Fresh;
}

/** A pending create is stale when it would build from an older template version or preset generation. */
export function isOutdatedBuild(i: InstanceView, preset: PresetView): boolean {
  return i.templateVersion < preset.templateVersion || i.generation < preset.generation;
}

/**
 * Per-preset scratch space, reused across presets within one reconcile call (the arrays are truncated,
 * not reallocated), so the per-preset cost is the pass itself. Planner code copies ids out before the
 * next `fill`.
 */
export class Buckets {
  // Counts (explain).
  fresh = 0;
  expired = 0;
  invalidated = 0;
  outdated = 0;
  /** Every pool instance in `pending` or `starting`. */
  startingAll = 0;
  claimed = 0;
  failed = 0;
  stopped = 0;
  deleting = 0;

  // Actionable instances (no job in flight unless noted).
  /** Fresh ready, collected by freshReady() when the planner asks (only a pool above desired needs them). */
  private readonly freshList: InstanceView[] = [];
  /** Expired, invalidated or outdated ready. */
  readonly retiringList: InstanceView[] = [];
  /** `pending` creates that are still wanted by version: cancellable if in excess. Job state ignored (see planner). */
  readonly pendingList: InstanceView[] = [];
  /** `pending` creates to cancel outright: outdated, or the preset is deleted. */
  readonly pendingStaleList: InstanceView[] = [];
  /** Failed past retention. */
  readonly failedOldList: InstanceView[] = [];
  /** Stopped past retention. */
  readonly stoppedOldList: InstanceView[] = [];
  /** `deleting` with no job in flight and no retry delay pending. */
  readonly retryList: InstanceView[] = [];
  /** Deleted preset only: every ready, failed and stopped pool instance. */
  readonly goneList: InstanceView[] = [];

  /** What fill() was last given, for freshReady(). */
  private preset: PresetView | null = null;
  private instances: readonly InstanceView[] = [];
  private now = 0;

  fill(preset: PresetView, instances: readonly InstanceView[], now: number, retentionMs: number): void {
    this.preset = preset;
    this.instances = instances;
    this.now = now;
    this.fresh = this.expired = this.invalidated = this.outdated = 0;
    this.startingAll = this.claimed = this.failed = this.stopped = this.deleting = 0;
    this.retiringList.length = 0;
    this.pendingList.length = 0;
    this.pendingStaleList.length = 0;
    this.failedOldList.length = 0;
    this.stoppedOldList.length = 0;
    this.retryList.length = 0;
    this.goneList.length = 0;

    const deleted = preset.deleted;
    const ttlMs = ttlOf(preset);

    for (let k = 0; k < instances.length; k++) {
      const i = instances[k]!;
      // Claimed instances belong to their owner and the lifecycle loop: counted, never touched.
      if (i.owner !== null) {
        this.claimed++;
        continue;
      }
      switch (i.state) {
        case 'pending':
          this.startingAll++;
          // A pending create has not reached a driver, so cancelling it is a conditional row update, not an
          // operation on a running job: it is the one action allowed while `jobInFlight` is set (the executor
          // cancels only if the job is still unstarted).
          if (deleted || isOutdatedBuild(i, preset)) this.pendingStaleList.push(i);
          else this.pendingList.push(i);
          break;
        case 'starting':
          // A running build counts toward desired even if it will come up outdated: it cannot be cancelled,
          // and once ready it is retired by the rolling replacement like any other outdated instance.
          this.startingAll++;
          break;
        case 'ready': {
          const c = classifyReady(i, preset, now, ttlMs);
          if (c === ReadyClass.Fresh) this.fresh++;
          else if (c === ReadyClass.Outdated) this.outdated++;
          else if (c === ReadyClass.Invalidated) this.invalidated++;
          else this.expired++;
          if (i.jobInFlight) break;
          if (deleted) this.goneList.push(i);
          else if (c !== ReadyClass.Fresh) this.retiringList.push(i);
          break;
        }
        case 'failed':
          this.failed++;
          if (i.jobInFlight) break;
          if (deleted) this.goneList.push(i);
          else if (now - (i.failedAt ?? i.createdAt) > retentionMs) this.failedOldList.push(i);
          break;
        case 'stopped':
          this.stopped++;
          if (i.jobInFlight) break;
          if (deleted) this.goneList.push(i);
          else if (now - (i.stoppedAt ?? i.createdAt) > retentionMs) this.stoppedOldList.push(i);
          break;
        case 'deleting':
          this.deleting++;
          // A delete that crashed (no job left) or failed and whose retry delay has passed is re-driven.
          if (!i.jobInFlight && (i.nextAttemptAt === null || i.nextAttemptAt <= now)) this.retryList.push(i);
          break;
        default:
          // stopping, claimed-without-owner, deleted, archived: transitional or terminal, nothing to decide.
          break;
      }
    }
  }

  /**
   * The fresh ready instances of the last fill() with no job in flight (none for a deleted preset), in instance
   * order: scratch like the other lists, valid until the next fill(). They are collected on demand rather than by
   * fill(), which would copy every ready instance of every preset each tick for the few pools above desired.
   */
  freshReady(): InstanceView[] {
    const list = this.freshList;
    list.length = 0;
    const preset = this.preset;
    if (preset === null || preset.deleted) return list;
    const ttlMs = ttlOf(preset);
    for (const i of this.instances) {
      if (i.owner === null && i.state === 'ready' && !i.jobInFlight && classifyReady(i, preset, this.now, ttlMs) === ReadyClass.Fresh) list.push(i);
    }
    return list;
  }
}

/** The preset's TTL in milliseconds; 0 when it has none. */
function ttlOf(preset: PresetView): number {
  return preset.pool !== null && preset.pool.ttlSeconds > 0 ? preset.pool.ttlSeconds * 1000 : 0;
}
