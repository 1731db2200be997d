/**
 * Workspaces: claimed instances, as the lifecycle rules, the API and the CLI see them. Times are epoch
 * milliseconds (UTC instants); durations are milliseconds.
 */
import type { LifecyclePolicy } from './lifecycle-policy';
import type { InstanceRecord } from './records';
import type { InstanceState } from './states';

/**
 * Why a workspace is being (or was) deleted. `user` is an explicit delete (CLI, API, `terraform destroy`): its
 * failure is reported to that user and never retried by the controller. The policy reasons are retried with
 * bounded backoff.
 */
export type DestroyReason = 'user' | 'auto_destroy_at' | 'auto_destroy_inactivity' | 'dormant_delete' | 'stopped_ttl';
export const DESTROY_REASONS: readonly DestroyReason[] = ['user', 'auto_destroy_at', 'auto_destroy_inactivity', 'dormant_delete', 'stopped_ttl'];

export interface WorkspaceRecord extends InstanceRecord {
  owner: string;
  /** Marked dormant (no activity for dormant_after); cleared by activity or a start. */
  dormantAt: number | null;
  /** Autostop deadline of a running workspace; null when stopped or when the template has no autostop. */
  deadline: number | null;
  lastUsedAt: number | null;
  stoppedAt: number | null;
  /** One-shot destroy instant; cleared once the destroy it triggered has started. */
  autoDestroyAt: number | null;
  /** Destroy after this long without activity; kept (re-armed by activity). */
  autoDestroyInactivityMs: number | null;
  /** The template's policy at claim time. */
  policy: LifecyclePolicy;
  /** Set while deleting and once archived. */
  destroyReason: DestroyReason | null;
  /** When the record was archived (a successful delete). */
  archivedAt: number | null;
  /** After a failed stop or delete: no automatic retry before this instant. */
  nextAttemptAt: number | null;
  /** Failed attempts of the current delete. */
  deleteAttempts: number;
}

/** What the lifecycle core reads about one workspace (owner set; not archived, not deleted). */
export interface WorkspaceView {
  id: string;
  /** The row's revision: an action is applied only while the row is still at this revision (claim, then act). */
  rev: number;
  name: string;
  owner: string;
  presetId: string;
  state: InstanceState;
  /** A driver operation for this workspace is pending or running. */
  jobInFlight: boolean;
  claimedAt: number | null;
  readyAt: number | null;
  lastUsedAt: number | null;
  deadline: number | null;
  stoppedAt: number | null;
  dormantAt: number | null;
  autoDestroyAt: number | null;
  autoDestroyInactivityMs: number | null;
  /** Marker: the deadline an autostop reminder was sent for. */
  remindedDeadline: number | null;
  /** Marker: the destroy instant an auto-destroy reminder was sent for. */
  destroyRemindedAt: number | null;
  destroyReason: DestroyReason | null;
  nextAttemptAt: number | null;
  deleteAttempts: number;
  policy: LifecyclePolicy;
}

export interface WorkspaceSnapshot {
  /** The instant decisions are made for (injected clock, or `explain --at`). */
  now: number;
  workspaces: WorkspaceView[];
}

/** Event types of outbox notifications (the `kind` column; a webhook's `event`). */
export type NotificationEvent =
  | 'preset_hard_limited'
  | 'workspace_autostop_reminder'
  | 'workspace_autostopped'
  | 'workspace_dormant'
  | 'workspace_auto_destroy_reminder'
  | 'workspace_auto_destroy_result'
  | 'workspace_deleted';
export const NOTIFICATION_EVENTS: readonly NotificationEvent[] = [
  'preset_hard_limited',
  'workspace_autostop_reminder',
  'workspace_autostopped',
  'workspace_dormant',
  'workspace_auto_destroy_reminder',
  'workspace_auto_destroy_result',
  'workspace_deleted',
];

/** One outbox row to write. `key` is unique: writing the same key twice stores it once (at most one per event). */
export interface OutboxNotification {
  key: string;
  event: NotificationEvent;
  payload: Record<string, unknown>;
}

/** The rules the lifecycle core applies, in priority order: the first due one runs, reminders come last. */
export const LIFECYCLE_RULES = Object.freeze([
  'auto_destroy_at',
  'auto_destroy_inactivity',
  'delete_retry',
  'dormant_delete',
  'stopped_ttl',
  'dormancy',
  'autostop',
  'autostop_reminder',
  'auto_destroy_reminder',
] as const);
export type LifecycleRule = (typeof LIFECYCLE_RULES)[number];

/**
 * One thing the lifecycle core decided for one workspace. The store applies it as claim-then-act: one transaction
 * that changes the row only if it is still at `rev`, and writes the driver job intent and the notification with
 * it; a row that changed since the snapshot (activity, a start, another replica) makes the action a no-op.
 */
export type LifecycleAction =
  | { kind: 'stop'; rule: 'autostop' | 'dormancy'; workspaceId: string; rev: number; notification: OutboxNotification }
  | { kind: 'mark_dormant'; rule: 'dormancy'; workspaceId: string; rev: number; notification: OutboxNotification }
  | {
      kind: 'delete';
      rule: 'auto_destroy_at' | 'auto_destroy_inactivity' | 'dormant_delete' | 'stopped_ttl' | 'delete_retry';
      /** The reason recorded on the workspace (for a retry: the original one). */
      reason: DestroyReason;
      workspaceId: string;
      rev: number;
      notification: OutboxNotification | null;
    }
  | {
      kind: 'remind';
      rule: 'autostop_reminder' | 'auto_destroy_reminder';
      /** The deadline or destroy instant the reminder is for: stored as the rule's marker. */
      marker: number;
      workspaceId: string;
      rev: number;
      notification: OutboxNotification;
    };

/** What the store did with one action. */
export interface AppliedLifecycleAction {
  action: LifecycleAction;
  /** False when the row had changed since the snapshot (nothing was written). */
  applied: boolean;
  /** The driver job written with it (stop, delete), to launch. */
  jobId: number | null;
  /** Set when applying the action failed (its own writes were undone; the other actions are unaffected). */
  error?: string;
}

/** A user's request on a workspace. */
export type WorkspaceOp = 'start' | 'stop' | 'delete';

/** Each rule's next transition or reminder for one workspace (`prewarm workspace explain`). */
export interface RuleOutlook {
  rule: LifecycleRule;
  /** What the rule does when it fires. */
  action: 'stop' | 'delete' | 'mark_dormant' | 'notify';
  /** When it fires (may be in the past: due now); null when it cannot fire in the workspace's current state. */
  at: number | null;
  /** Why, in words: the setting and the instant it counts from, or why it is not armed. */
  detail: string;
}

export interface WorkspaceOutlook {
  at: number;
  /** The transition the next lifecycle tick would run (the first due rule in priority order), if any. */
  next: RuleOutlook | null;
  rules: RuleOutlook[];
}

/** Filters of `prewarm workspace list`. */
export interface WorkspaceFilter {
  owner?: string;
  presetId?: string;
  /** Include archived workspaces. */
  archived?: boolean;
}

/** A change of a workspace's own destroy settings: undefined leaves a field, null clears it. */
export interface AutoDestroyChange {
  autoDestroyAt?: number | null;
  autoDestroyInactivityMs?: number | null;
}
