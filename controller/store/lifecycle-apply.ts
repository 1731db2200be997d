/**
 * Claim-then-act for the lifecycle core's decisions: per action, one conditional UPDATE on the row's revision (any
 * write since the snapshot makes it miss), then the job intent and the outbox row, all or nothing.
 */
import type { AppliedLifecycleAction, LifecycleAction } from '../domain/workspace';
import type { SyncDb } from './connection';
import { isDamage } from './file-checks';
import { insertJobIntentSync } from './job-intents';
import { insertNotificationSync } from './outbox';

/** `and owner is not null`: a pool row is never moved by a policy, whatever revision an action carries. */
const guard = 'where id = ? and rev = ? and owner is not null returning preset_id';

const sql = {
  stop: `update instances set state = 'stopping', updated_at = ? ${guard}`,
  // dormant_at gets the same `now` as the stop job's created_at: a failed stop finds its own mark by that (jobs.ts).
  stopDormant: `update instances set state = 'stopping', dormant_at = ?, updated_at = ? ${guard}`,
  markDormant: `update instances set dormant_at = ?, updated_at = ? ${guard}`,
  delete: `update instances set state = 'deleting', deleting_at = ?, destroy_reason = ?, delete_attempts = 0, next_attempt_at = null,
             updated_at = ? ${guard}`,
  // auto_destroy_at is one-shot: once its destroy has started, it is spent.
  deleteAutoDestroyAt: `update instances set state = 'deleting', deleting_at = ?, destroy_reason = ?, delete_attempts = 0,
             next_attempt_at = null, auto_destroy_at = null, updated_at = ? ${guard}`,
  // A retry keeps the attempt count, the reason and deleting_at (when the destroy began: its result notifications
  // name it), and ends the backoff.
  deleteRetry: `update instances set state = 'deleting', next_attempt_at = null, updated_at = ? ${guard}`,
  remindAutostop: `update instances set reminded_deadline = ?, updated_at = ? ${guard}`,
  remindAutoDestroy: `update instances set destroy_reminded_at = ?, updated_at = ? ${guard}`,
} as const;

/** One action, inside the caller's savepoint. */
function applyOne(db: SyncDb, a: LifecycleAction, now: number): AppliedLifecycleAction {
  const key = [a.workspaceId, a.rev];
  let moved: { preset_id: string } | undefined;
  let op: 'stop' | 'delete' | null = null;
  switch (a.kind) {
    case 'stop':
      moved = (a.rule === 'dormancy' ? db.prepare(sql.stopDormant).get(now, now, ...key) : db.prepare(sql.stop).get(now, ...key)) as typeof moved;
      op = 'stop';
      break;
    case 'mark_dormant':
      moved = db.prepare(sql.markDormant).get(now, now, ...key) as typeof moved;
      break;
    case 'delete':
      if (a.rule === 'delete_retry') moved = db.prepare(sql.deleteRetry).get(now, ...key) as typeof moved;
      else moved = db.prepare(a.rule === 'auto_destroy_at' ? sql.deleteAutoDestroyAt : sql.delete).get(now, a.reason, now, ...key) as typeof moved;
      op = 'delete';
      break;
    case 'remind':
      moved = db.prepare(a.rule === 'autostop_reminder' ? sql.remindAutostop : sql.remindAutoDestroy).get(a.marker, now, ...key) as typeof moved;
      break;
  }
  if (!moved) return { action: a, applied: false, jobId: null };
  const jobId = op === null ? null : insertJobIntentSync(db, a.workspaceId, moved.preset_id, op, now);
  if (a.notification) insertNotificationSync(db, a.notification, now);
  return { action: a, applied: true, jobId };
}

/** Actions per write transaction: one commit for many, while claims and activity still get a turn between chunks. */
export const LIFECYCLE_CHUNK = 250;

/**
 * A chunk of actions in one transaction, each in its own savepoint: an action that fails undoes only its own writes
 * and is reported as not applied (with the error); the others commit.
 */
export function applyChunk(db: SyncDb, actions: readonly LifecycleAction[], now: number): AppliedLifecycleAction[] {
  return actions.map((a) => {
    try {
      return db.savepoint(() => applyOne(db, a, now));
    } catch (err) {
      // A damaged database fails the whole batch: nothing later would commit either.
      if (isDamage(err)) throw err;
      return { action: a, applied: false, jobId: null, error: (err as Error).message ?? String(err) };
    }
  });
}
