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

/** The conditional UPDATE that claims the action's row, its parameters, and the driver job it needs once it matched. */
export function lifecycleStatement(a: LifecycleAction, now: number): { sql: string; params: unknown[]; op: 'stop' | 'delete' | null } {
  const key = [a.workspaceId, a.rev];
  switch (a.kind) {
    case 'stop':
      return a.rule === 'dormancy' ? { sql: sql.stopDormant, params: [now, now, ...key], op: 'stop' } : { sql: sql.stop, params: [now, ...key], op: 'stop' };
    case 'mark_dormant':
      return { sql: sql.markDormant, params: [now, now, ...key], op: null };
    case 'delete':
      if (a.rule === 'delete_retry') return { sql: sql.deleteRetry, params: [now, ...key], op: 'delete' };
      return { sql: a.rule === 'auto_destroy_at' ? sql.deleteAutoDestroyAt : sql.delete, params: [now, a.reason, now, ...key], op: 'delete' };
    case 'remind':
      return { sql: a.rule === 'autostop_reminder' ? sql.remindAutostop : sql.remindAutoDestroy, params: [a.marker, now, ...key], op: null };
  }
}

/** One action, inside the caller's savepoint. */
function applyOne(db: SyncDb, a: LifecycleAction, now: number): AppliedLifecycleAction {
  const { sql: text, params, op } = lifecycleStatement(a, now);
  const moved = db.prepare(text).get(...params) as { preset_id: string } | undefined;
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
