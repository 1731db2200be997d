/**
 * `prewarm workspace explain`: every rule's instant for one workspace and why, from the same rule functions the
 * planner uses. `next` is derived from the outlooks themselves (the first one in priority order that is due), not
 * by asking the planner, so a test comparing the two checks that the instants shown are the ones acted on.
 */
import { formatInstant } from '../domain/instant';
import { formatLifecycleDuration } from '../domain/lifecycle-duration';
import { WORKSPACE_DELETE_ATTEMPTS } from '../domain/limits';
import type { LifecycleRule, RuleOutlook, WorkspaceOutlook, WorkspaceView } from '../domain/workspace';
import {
  autoDestroyAtFiresAt,
  autoDestroyInactivityFiresAt,
  autoDestroyRuleOf,
  autoDestroyTarget,
  autostopFiresAt,
  deleteRetryFiresAt,
  dormancyFiresAt,
  dormantDeleteFiresAt,
  isWorkspace,
  LIFECYCLE_RULES,
  lastUsed,
  stoppedTtlFiresAt,
} from './rules';

const I = formatInstant;
const D = formatLifecycleDuration;

export function explainWorkspace(view: WorkspaceView, now: number): WorkspaceOutlook {
  if (!isWorkspace(view)) {
    const rules = LIFECYCLE_RULES.map((rule) => outlook(rule, null, 'a pool instance (no owner): outside every lifecycle rule', view));
    return { at: now, next: null, rules };
  }
  const rules = LIFECYCLE_RULES.map((rule) => held(view, now, ruleOutlook(view, rule, now)));
  const next = view.jobInFlight ? null : (rules.find((r) => r.at !== null && r.at <= now) ?? null);
  return { at: now, next, rules };
}

function actionOf(rule: LifecycleRule, v: WorkspaceView): RuleOutlook['action'] {
  switch (rule) {
    case 'dormancy':
      return v.state === 'claimed' ? 'stop' : 'mark_dormant';
    case 'autostop':
      return 'stop';
    case 'autostop_reminder':
    case 'auto_destroy_reminder':
      return 'notify';
    default:
      return 'delete';
  }
}

function outlook(rule: LifecycleRule, at: number | null, detail: string, v: WorkspaceView): RuleOutlook {
  return { rule, action: actionOf(rule, v), at, detail };
}

const SETTLED = 'a claimed or stopped workspace';

/**
 * A hold shifts what the next tick can do: a backoff delays every rule to its end (a reminder whose window closes
 * first is never sent), a job in flight delays everything to an instant nobody knows yet.
 */
function held(v: WorkspaceView, now: number, r: RuleOutlook): RuleOutlook {
  if (r.at === null) return r;
  if (v.jobInFlight) return { ...r, detail: `${r.detail}; waits for the driver job in flight` };
  if (r.rule === 'delete_retry' || v.nextAttemptAt === null || v.nextAttemptAt <= now || v.nextAttemptAt <= r.at) return r;
  const until = v.nextAttemptAt;
  const why = `held until ${I(until)} (backoff after a failed ${v.state === 'deleting' ? 'delete' : 'stop'})`;
  const end = reminderEnd(v, r.rule);
  if (end !== null && until >= end) return { ...r, at: null, detail: `${r.detail}; ${why}, which outlasts the reminder` };
  return { ...r, at: until, detail: `${r.detail}; ${why}` };
}

/** The instant a reminder stops being useful (its transition runs then), or null for a transition rule. */
function reminderEnd(v: WorkspaceView, rule: LifecycleRule): number | null {
  if (rule === 'autostop_reminder') return v.deadline;
  if (rule === 'auto_destroy_reminder') return autoDestroyTarget(v);
  return null;
}

function ruleOutlook(v: WorkspaceView, rule: LifecycleRule, now: number): RuleOutlook {
  const r = (at: number | null, detail: string) => outlook(rule, at, detail, v);
  const notSettled = `applies to ${SETTLED} (this one is ${v.state})`;
  const settled = v.state === 'claimed' || v.state === 'stopped';
  const p = v.policy;
  switch (rule) {
    case 'auto_destroy_at': {
      if (v.autoDestroyAt === null) return r(null, 'off: no auto_destroy_at is set on the workspace');
      if (!settled) return r(null, `auto_destroy_at ${I(v.autoDestroyAt)} ${notSettled}`);
      return r(autoDestroyAtFiresAt(v), `auto_destroy_at ${I(v.autoDestroyAt)}: the scheduled one-shot destroy (cleared once it starts)`);
    }
    case 'auto_destroy_inactivity': {
      if (v.autoDestroyInactivityMs === null) return r(null, 'off: no auto_destroy_inactivity is set on the workspace');
      if (!settled) return r(null, `auto_destroy_inactivity ${D(v.autoDestroyInactivityMs)} ${notSettled}`);
      const base = lastUsed(v);
      if (base === null) return r(null, `auto_destroy_inactivity ${D(v.autoDestroyInactivityMs)}: no activity or claim recorded to count from`);
      return r(autoDestroyInactivityFiresAt(v), `auto_destroy_inactivity ${D(v.autoDestroyInactivityMs)} after the last activity at ${I(base)}`);
    }
    case 'delete_retry': {
      if (v.state !== 'deleting') return r(null, `only a failed policy delete is retried (this workspace is ${v.state})`);
      if (v.destroyReason === 'user') return r(null, "a user's delete is never retried automatically");
      if (v.destroyReason === null) return r(null, 'no destroy reason recorded: not retried');
      if (v.deleteAttempts >= WORKSPACE_DELETE_ATTEMPTS) return r(null, `gave up after ${v.deleteAttempts} failed attempts`);
      if (v.nextAttemptAt === null) return r(null, `the ${v.destroyReason} delete has not failed: its job is still to run`);
      const attempt = v.deleteAttempts + 1;
      return r(
        deleteRetryFiresAt(v),
        `retry of the failed ${v.destroyReason} delete (attempt ${attempt} of ${WORKSPACE_DELETE_ATTEMPTS}) when its backoff ends at ${I(v.nextAttemptAt)}`,
      );
    }
    case 'dormant_delete': {
      if (p.dormantDeleteAfterMs === null) return r(null, 'off: the template sets no dormant_delete_after');
      const after = D(p.dormantDeleteAfterMs);
      if (!settled) return r(null, `dormant_delete_after ${after} ${notSettled}`);
      if (v.dormantAt === null) {
        const marks = dormancyFiresAt(v);
        const when = marks === null ? '' : ` (dormant_after would mark it at ${I(marks)})`;
        return r(null, `not dormant: dormant_delete_after ${after} counts from when it is marked dormant${when}`);
      }
      return r(dormantDeleteFiresAt(v), `dormant_delete_after ${after} after it was marked dormant at ${I(v.dormantAt)}`);
    }
    case 'stopped_ttl': {
      if (p.stoppedTtlMs === null) return r(null, 'off: the template sets no stopped_ttl');
      const ttl = D(p.stoppedTtlMs);
      if (v.state !== 'stopped') return r(null, `stopped_ttl ${ttl} counts from the stop (this workspace is ${v.state})`);
      if (v.stoppedAt === null) return r(null, `stopped_ttl ${ttl}: no stop time recorded to count from`);
      return r(stoppedTtlFiresAt(v), `stopped_ttl ${ttl} after it stopped at ${I(v.stoppedAt)}`);
    }
    case 'dormancy': {
      if (p.dormantAfterMs === null) return r(null, 'off: the template sets no dormant_after');
      const after = D(p.dormantAfterMs);
      if (!settled) return r(null, `dormant_after ${after} ${notSettled}`);
      if (v.dormantAt !== null) return r(null, `already dormant since ${I(v.dormantAt)} (activity or a start clears it)`);
      const base = lastUsed(v);
      if (base === null) return r(null, `dormant_after ${after}: no activity or claim recorded to count from`);
      const does = v.state === 'claimed' ? 'stop it and mark it dormant' : 'mark it dormant';
      return r(dormancyFiresAt(v), `dormant_after ${after} after the last activity at ${I(base)}: ${does}`);
    }
    case 'autostop': {
      if (v.state !== 'claimed') {
        return r(null, p.autostopAfterMs === null ? 'off: the template sets no autostop_after' : `only a running workspace is stopped (this one is ${v.state})`);
      }
      if (v.deadline === null) return r(null, p.autostopAfterMs === null ? 'off: the template sets no autostop_after' : 'no autostop deadline is set');
      const from = p.autostopAfterMs === null ? '' : `: autostop_after ${D(p.autostopAfterMs)} from the claim, the start or the last activity`;
      return r(autostopFiresAt(v), `deadline ${I(v.deadline)}${from}`);
    }
    case 'autostop_reminder': {
      const lead = p.autostopReminderMs;
      if (lead === null) return r(null, 'off: the template sets no autostop_reminder');
      if (v.state !== 'claimed' || v.deadline === null) return r(null, `autostop_reminder ${D(lead)}: only a running workspace with an autostop deadline is reminded`);
      if (v.remindedDeadline === v.deadline) return r(null, `autostop_reminder already sent for the deadline ${I(v.deadline)}`);
      if (now >= v.deadline) return r(null, `the deadline ${I(v.deadline)} has passed: the autostop runs instead of a reminder`);
      return r(v.deadline - lead, `autostop_reminder ${D(lead)} before the deadline ${I(v.deadline)}`);
    }
    case 'auto_destroy_reminder': {
      const lead = p.autoDestroyReminderMs;
      if (lead === null) return r(null, 'off: the template sets no auto_destroy_reminder');
      const target = autoDestroyTarget(v);
      if (target === null) return r(null, `auto_destroy_reminder ${D(lead)}: no scheduled or inactivity destroy to remind about`);
      const which = `the ${autoDestroyRuleOf(v, target)} destroy at ${I(target)}`;
      if (v.destroyRemindedAt === target) return r(null, `auto_destroy_reminder already sent for ${which}`);
      if (now >= target) return r(null, `${which} is due: it runs instead of a reminder`);
      return r(target - lead, `auto_destroy_reminder ${D(lead)} before ${which}`);
    }
  }
}
