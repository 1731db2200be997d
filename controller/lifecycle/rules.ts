/**
 * When each lifecycle rule fires, one function per rule, shared by the planner and `explain` so the two can never
 * disagree about an instant. Every function is the rule's own instant for the workspace as it is, regardless of
 * `now` and of holds (a job in flight, a retry backoff); null when the rule cannot fire in the workspace's current
 * state or its setting is off. The functions allocate nothing: the planner calls them for every workspace on every
 * tick, and almost none is due.
 */
import { WORKSPACE_DELETE_ATTEMPTS } from '../domain/limits';
import { type DestroyReason, LIFECYCLE_RULES, type LifecycleRule, type WorkspaceView } from '../domain/workspace';

/** Priority order (kept with the rule names in the domain, where the API's codec reads it too). */
export { LIFECYCLE_RULES };

export type ReminderRule = 'autostop_reminder' | 'auto_destroy_reminder';
export type TransitionRule = Exclude<LifecycleRule, ReminderRule>;
export type AutoDestroyRule = 'auto_destroy_at' | 'auto_destroy_inactivity';

/**
 * Pool rows (no owner) are outside every rule, even if a store bug hands one over: the lifecycle stopping a pool
 * member is the churn the pool reconciler would then fight.
 */
export function isWorkspace(v: WorkspaceView): boolean {
  const owner = v.owner as string | null | undefined;
  return owner !== null && owner !== undefined && owner !== '';
}

/** Running or stopped and idle: the only states a policy may move on its own (anything else has a job or a person). */
function isSettled(v: WorkspaceView): boolean {
  return v.state === 'claimed' || v.state === 'stopped';
}

/**
 * Nothing is decided for a workspace while a driver job is pending or running (the job's outcome decides next), or
 * while a failed stop or delete waits out its backoff.
 */
export function isHeld(v: WorkspaceView, now: number): boolean {
  return v.jobInFlight || (v.nextAttemptAt !== null && v.nextAttemptAt > now);
}

/**
 * The instant idleness counts from. A claim always records last_used_at; the claim instant stands in for a row
 * that lacks it so that such a row still goes idle instead of living forever.
 */
export function lastUsed(v: WorkspaceView): number | null {
  return v.lastUsedAt ?? v.claimedAt;
}

export function autoDestroyAtFiresAt(v: WorkspaceView): number | null {
  return isSettled(v) ? v.autoDestroyAt : null;
}

export function autoDestroyInactivityFiresAt(v: WorkspaceView): number | null {
  if (!isSettled(v) || v.autoDestroyInactivityMs === null) return null;
  const base = lastUsed(v);
  return base === null ? null : base + v.autoDestroyInactivityMs;
}

/**
 * The reason a failed delete is retried with, or null when it is not retried: a user's delete is reported to that
 * user and never retried, and a delete that used up its attempts stays failed for a person to look at.
 */
export function retriedReason(v: WorkspaceView): Exclude<DestroyReason, 'user'> | null {
  if (v.state !== 'deleting' || v.destroyReason === null || v.destroyReason === 'user') return null;
  return v.deleteAttempts < WORKSPACE_DELETE_ATTEMPTS ? v.destroyReason : null;
}

/**
 * A failed policy delete leaves the row `deleting` with no job and the backoff in next_attempt_at; a deleting row
 * without a backoff has its job intent still pending, which the executor re-drives, so it is not retried here.
 */
export function deleteRetryFiresAt(v: WorkspaceView): number | null {
  return retriedReason(v) === null ? null : v.nextAttemptAt;
}

export function dormantDeleteFiresAt(v: WorkspaceView): number | null {
  const after = v.policy.dormantDeleteAfterMs;
  if (!isSettled(v) || after === null || v.dormantAt === null) return null;
  return v.dormantAt + after;
}

export function stoppedTtlFiresAt(v: WorkspaceView): number | null {
  const ttl = v.policy.stoppedTtlMs;
  if (v.state !== 'stopped' || ttl === null || v.stoppedAt === null) return null;
  return v.stoppedAt + ttl;
}

export function dormancyFiresAt(v: WorkspaceView): number | null {
  const after = v.policy.dormantAfterMs;
  if (!isSettled(v) || after === null || v.dormantAt !== null) return null;
  const base = lastUsed(v);
  return base === null ? null : base + after;
}

export function autostopFiresAt(v: WorkspaceView): number | null {
  return v.state === 'claimed' ? v.deadline : null;
}

/** The deadline the autostop reminder warns about, or null when none is armed (off, not running, already sent). */
export function autostopReminderTarget(v: WorkspaceView): number | null {
  const lead = v.policy.autostopReminderMs;
  if (v.state !== 'claimed' || lead === null || v.deadline === null) return null;
  return v.remindedDeadline === v.deadline ? null : v.deadline;
}

/**
 * The destroy a reminder warns about: the earlier of the scheduled and the inactivity destroy. Activity moves the
 * inactivity instant, so the target (and with it the marker) changes and the reminder re-arms.
 */
export function autoDestroyTarget(v: WorkspaceView): number | null {
  const at = autoDestroyAtFiresAt(v);
  const idle = autoDestroyInactivityFiresAt(v);
  if (at === null) return idle;
  if (idle === null) return at;
  return at <= idle ? at : idle;
}

/** Which setting produces `target`; the scheduled one on a tie, as it is the one that runs first. */
export function autoDestroyRuleOf(v: WorkspaceView, target: number): AutoDestroyRule {
  return autoDestroyAtFiresAt(v) === target ? 'auto_destroy_at' : 'auto_destroy_inactivity';
}

/** The armed auto-destroy reminder target, or null (no lead, nothing scheduled, or already sent for it). */
export function autoDestroyReminderTarget(v: WorkspaceView): number | null {
  if (v.policy.autoDestroyReminderMs === null) return null;
  const target = autoDestroyTarget(v);
  return target === null || v.destroyRemindedAt === target ? null : target;
}

/** Due at the instant itself: `now >= at`. */
function due(at: number | null, now: number): boolean {
  return at !== null && now >= at;
}

/**
 * A reminder is due from `target - lead` until the target itself; at the target the transition runs instead, so a
 * deadline that already passed (a clock jump, a long outage) is never reminded about.
 */
function reminderDue(target: number | null, lead: number | null, now: number): boolean {
  return target !== null && lead !== null && now < target && now >= target - lead;
}

/** The rule the planner runs for `v` at `now`, or null. */
export function dueRule(v: WorkspaceView, now: number): LifecycleRule | null {
  if (!isWorkspace(v) || isHeld(v, now)) return null;
  if (due(autoDestroyAtFiresAt(v), now)) return 'auto_destroy_at';
  if (due(autoDestroyInactivityFiresAt(v), now)) return 'auto_destroy_inactivity';
  if (due(deleteRetryFiresAt(v), now)) return 'delete_retry';
  if (due(dormantDeleteFiresAt(v), now)) return 'dormant_delete';
  if (due(stoppedTtlFiresAt(v), now)) return 'stopped_ttl';
  if (due(dormancyFiresAt(v), now)) return 'dormancy';
  if (due(autostopFiresAt(v), now)) return 'autostop';
  if (reminderDue(autostopReminderTarget(v), v.policy.autostopReminderMs, now)) return 'autostop_reminder';
  if (reminderDue(autoDestroyReminderTarget(v), v.policy.autoDestroyReminderMs, now)) return 'auto_destroy_reminder';
  return null;
}
