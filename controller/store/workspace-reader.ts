import type { LifecyclePolicy } from '../domain/lifecycle-policy';
import type { InstanceState } from '../domain/states';
import type { DestroyReason, WorkspaceSnapshot, WorkspaceView } from '../domain/workspace';
import type { SyncDb } from './connection';

/** Instance columns the lifecycle core reads. */
const columns = `id, rev, name, owner, preset_id, state, claimed_at, ready_at, last_used_at, deadline, stopped_at, dormant_at,
  auto_destroy_at, auto_destroy_inactivity_ms, reminded_deadline, destroy_reminded_at, destroy_reason, next_attempt_at,
  delete_attempts, autostop_after_ms, autostop_reminder_ms, stopped_ttl_ms, dormant_after_ms, dormant_delete_after_ms,
  auto_destroy_reminder_ms`;

export const fullSql = `select ${columns} from instances where owner is not null and state not in ('deleted', 'archived')`;
export const deltaSql = `select ${columns} from instances where rev > ? order by rev`;
const counterSql = `select value from revisions where name = 'instances'`;
const busySql = `select instance_id from jobs where state in ('pending', 'running')`;

interface Row {
  id: string;
  rev: number;
  name: string;
  owner: string | null;
  preset_id: string;
  state: string;
  claimed_at: number | null;
  ready_at: number | null;
  last_used_at: number | null;
  deadline: number | null;
  stopped_at: number | null;
  dormant_at: number | null;
  auto_destroy_at: number | null;
  auto_destroy_inactivity_ms: number | null;
  reminded_deadline: number | null;
  destroy_reminded_at: number | null;
  destroy_reason: string | null;
  next_attempt_at: number | null;
  delete_attempts: number;
  autostop_after_ms: number | null;
  autostop_reminder_ms: number | null;
  stopped_ttl_ms: number | null;
  dormant_after_ms: number | null;
  dormant_delete_after_ms: number | null;
  auto_destroy_reminder_ms: number | null;
}

/** A full re-read now and then, as a safety net under the revision-based deltas. */
const fullReloadEveryMs = 15 * 60 * 1000;

/**
 * What the lifecycle core reads, kept as an in-memory mirror of the live workspaces: the first read loads every one,
 * later reads fetch only the instance rows whose revision is newer than the last one seen (the same trigger-kept
 * counter the pool snapshot uses), so a tick over 100,000 workspaces converts only the rows that changed. Rows that
 * lost their owner or became archived or deleted leave the mirror; a full reload now and then catches anything else
 * (rows purged outright).
 */
export class WorkspaceReader {
  private views = new Map<string, WorkspaceView>();
  private list: WorkspaceView[] | null = null;
  private busy = new Set<string>();
  private lastRev = -1;
  private lastFullLoad = 0;
  /** Workspaces of one template share one policy object: 100,000 workspaces hold a handful of them. */
  private policies = new Map<string, LifecyclePolicy>();

  constructor(private readonly clock: { now(): number }) {}

  /** Runs inside one read transaction (the caller's). */
  read(db: SyncDb, now: number): WorkspaceSnapshot {
    const readAt = this.clock.now();
    if (this.lastRev < 0 || readAt - this.lastFullLoad >= fullReloadEveryMs) {
      const rows = db.prepare(fullSql).all() as Row[];
      const counter = db.prepare(counterSql).get() as { value: number } | undefined;
      this.views.clear();
      this.busy.clear();
      this.policies.clear();
      for (const row of rows) this.views.set(row.id, this.toView(row));
      this.lastRev = Number(counter?.value ?? 0);
      this.lastFullLoad = readAt;
      this.list = null;
    } else {
      const rows = db.prepare(deltaSql).all(this.lastRev) as Row[];
      for (const row of rows) {
        if (row.owner === null || row.state === 'deleted' || row.state === 'archived') {
          if (this.views.delete(row.id)) this.list = null;
        } else {
          // A replaced view starts without a job; the busy pass below marks it again if it has one.
          this.views.set(row.id, this.toView(row));
          this.busy.delete(row.id);
          this.list = null;
        }
        if (row.rev > this.lastRev) this.lastRev = row.rev;
      }
    }

    const busyRows = db.prepare(busySql).pluck().all() as string[];
    const busy = new Set(busyRows);
    for (const id of this.busy) if (!busy.has(id)) this.mark(id, false);
    for (const id of busy) this.mark(id, true);
    this.busy = busy;

    this.list ??= [...this.views.values()];
    // A copy: a snapshot's list stays as it was when later reads add or drop workspaces.
    return { now, workspaces: this.list.slice() };
  }

  private mark(id: string, busy: boolean): void {
    const view = this.views.get(id);
    if (view && view.jobInFlight !== busy) view.jobInFlight = busy;
  }

  private toView(r: Row): WorkspaceView {
    return {
      id: r.id,
      rev: r.rev,
      name: r.name,
      owner: r.owner as string,
      presetId: r.preset_id,
      state: r.state as InstanceState,
      jobInFlight: false,
      claimedAt: r.claimed_at,
      readyAt: r.ready_at,
      lastUsedAt: r.last_used_at,
      deadline: r.deadline,
      stoppedAt: r.stopped_at,
      dormantAt: r.dormant_at,
      autoDestroyAt: r.auto_destroy_at,
      autoDestroyInactivityMs: r.auto_destroy_inactivity_ms,
      remindedDeadline: r.reminded_deadline,
      destroyRemindedAt: r.destroy_reminded_at,
      destroyReason: r.destroy_reason as DestroyReason | null,
      nextAttemptAt: r.next_attempt_at,
      deleteAttempts: r.delete_attempts,
      policy: this.policy(r),
    };
  }

  private policy(r: Row): LifecyclePolicy {
    const key = `${r.autostop_after_ms},${r.autostop_reminder_ms},${r.stopped_ttl_ms},${r.dormant_after_ms},${r.dormant_delete_after_ms},${r.auto_destroy_reminder_ms}`;
    let policy = this.policies.get(key);
    if (!policy) {
      policy = Object.freeze({
        autostopAfterMs: r.autostop_after_ms,
        autostopReminderMs: r.autostop_reminder_ms,
        stoppedTtlMs: r.stopped_ttl_ms,
        dormantAfterMs: r.dormant_after_ms,
        dormantDeleteAfterMs: r.dormant_delete_after_ms,
        autoDestroyReminderMs: r.auto_destroy_reminder_ms,
      });
      this.policies.set(key, policy);
    }
    return policy;
  }
}
