/**
 * The lifecycle decision: which rule runs for each workspace at the snapshot's instant, as an action the store
 * applies claim-then-act. Every action carries the revision the decision was made on, so a row that changed since
 * the snapshot (activity, a start, another replica) turns it into a no-op instead of acting on stale facts.
 */
import { autoDestroyReminder, autostopped, autostopReminder, dormant } from '../domain/workspace-notifications';
import type { LifecycleAction, LifecycleRule, WorkspaceSnapshot, WorkspaceView } from '../domain/workspace';
import { autoDestroyReminderTarget, autoDestroyRuleOf, dueRule, lastUsed, retriedReason } from './rules';

/** At most one action per workspace, in snapshot order. */
export function planLifecycle(snapshot: WorkspaceSnapshot): LifecycleAction[] {
  const now = snapshot.now;
  const out: LifecycleAction[] = [];
  for (const v of snapshot.workspaces) {
    const rule = dueRule(v, now);
    if (rule !== null) out.push(actionFor(v, rule, now));
  }
  return out;
}

/** The action for one workspace at `now`, or null when nothing is due. */
export function planWorkspace(v: WorkspaceView, now: number): LifecycleAction | null {
  const rule = dueRule(v, now);
  return rule === null ? null : actionFor(v, rule, now);
}

/** `rule` must be due for `v` at `now` (dueRule's answer): the instants it reads are then known to be set. */
function actionFor(v: WorkspaceView, rule: LifecycleRule, now: number): LifecycleAction {
  const ids = { workspaceId: v.id, rev: v.rev };
  switch (rule) {
    case 'auto_destroy_at':
    case 'auto_destroy_inactivity':
    case 'dormant_delete':
    case 'stopped_ttl':
      // The outcome is reported when the delete job finishes (workspace-notifications destroyResult), not here.
      return { kind: 'delete', rule, reason: rule, ...ids, notification: null };
    case 'delete_retry':
      return { kind: 'delete', rule, reason: retriedReason(v)!, ...ids, notification: null };
    case 'dormancy': {
      const deleteAfter = v.policy.dormantDeleteAfterMs;
      // The store stamps dormant_at = now with this action, so the dormant delete counts from now.
      const deleteAt = deleteAfter === null ? null : now + deleteAfter;
      const running = v.state === 'claimed';
      const notification = dormant(v, lastUsed(v)!, now, deleteAt, running);
      return running ? { kind: 'stop', rule, ...ids, notification } : { kind: 'mark_dormant', rule, ...ids, notification };
    }
    case 'autostop':
      return { kind: 'stop', rule, ...ids, notification: autostopped(v, v.deadline!, now) };
    case 'autostop_reminder':
      return { kind: 'remind', rule, marker: v.deadline!, ...ids, notification: autostopReminder(v, v.deadline!, now) };
    case 'auto_destroy_reminder': {
      const target = autoDestroyReminderTarget(v)!;
      const notification = autoDestroyReminder(v, target, autoDestroyRuleOf(v, target), now);
      return { kind: 'remind', rule, marker: target, ...ids, notification };
    }
  }
}
