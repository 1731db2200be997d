/**
 * Workspaces (owned instances) as records, and the user's operations on them: each one conditional transaction.
 */
import { ConflictError } from '../domain/errors';
import { WORKSPACE_RETRY_BASE_MS, WORKSPACE_RETRY_CAP_MS } from '../domain/limits';
import type { LifecyclePolicy } from '../domain/lifecycle-policy';
import type { InstanceState } from '../domain/states';
import type { AutoDestroyChange, DestroyReason, WorkspaceFilter, WorkspaceOp, WorkspaceRecord } from '../domain/workspace';
import type { Kysely } from 'kysely';
import { type Db, inTransaction } from './db';
import { instanceRecord, resolveInstance } from './instances';
import { insertJobIntent } from './job-intents';
import type { Database, InstanceRow, PolicyColumns } from './tables';

export function policyOf(row: PolicyColumns): LifecyclePolicy {
  return {
    autostopAfterMs: num(row.autostop_after_ms),
    autostopReminderMs: num(row.autostop_reminder_ms),
    stoppedTtlMs: num(row.stopped_ttl_ms),
    dormantAfterMs: num(row.dormant_after_ms),
    dormantDeleteAfterMs: num(row.dormant_delete_after_ms),
    autoDestroyReminderMs: num(row.auto_destroy_reminder_ms),
  };
}

function num(v: number | null | undefined): number | null {
  return v === null || v === undefined ? null : Number(v);
}

/** An owned instance row as a workspace record (the caller has checked the owner). */
export function workspaceRecord(row: InstanceRow): WorkspaceRecord {
  return {
    ...instanceRecord(row),
    owner: row.owner ?? '',
    dormantAt: num(row.dormant_at),
    deadline: num(row.deadline),
    lastUsedAt: num(row.last_used_at),
    stoppedAt: num(row.stopped_at),
    autoDestroyAt: num(row.auto_destroy_at),
    autoDestroyInactivityMs: num(row.auto_destroy_inactivity_ms),
    policy: policyOf(row),
    destroyReason: (row.destroy_reason ?? null) as DestroyReason | null,
    archivedAt: num(row.archived_at),
    nextAttemptAt: num(row.next_attempt_at),
    deleteAttempts: Number(row.delete_attempts),
  };
}

/** Backoff before retrying a workspace stop or delete that failed `failures` times in a row: 1m doubling, capped. */
export function workspaceRetryMs(failures: number): number {
  const n = Math.max(1, failures);
  // 2^n overflows nothing below 2^1023; the cap is reached after a handful of steps anyway.
  return Math.min(WORKSPACE_RETRY_CAP_MS, WORKSPACE_RETRY_BASE_MS * 2 ** Math.min(n - 1, 30));
}

export function poolInstanceError(row: InstanceRow, what: string): ConflictError {
  return new ConflictError(`instance ${row.id} belongs to the pool (unclaimed); ${what}`);
}

/** The row `ref` names, which must be a workspace. */
export async function resolveWorkspaceRow(db: Db, ref: string): Promise<InstanceRow> {
  const row = await resolveInstance(db, ref);
  if (row.owner === null) throw poolInstanceError(row, 'workspaces are claimed instances (prewarm claim)');
  return row;
}

export async function listWorkspaces(db: Db, filter: WorkspaceFilter): Promise<WorkspaceRecord[]> {
  // `owner is not null` stated as such so the planner can use the partial index instances_owner.
  let q = db.selectFrom('instances').selectAll().where('owner', 'is not', null);
  if (filter.owner !== undefined) q = q.where('owner', '=', filter.owner);
  if (filter.presetId !== undefined) q = q.where('preset_id', '=', filter.presetId);
  q = q.where('state', filter.archived ? '!=' : 'not in', filter.archived ? 'deleted' : ['deleted', 'archived']);
  const rows = await q.orderBy('claimed_at').orderBy('id').execute();
  return rows.map(workspaceRecord);
}

/** States whose workspace is gone or going: its settings can no longer matter. */
const finalStates: ReadonlySet<string> = new Set(['archived', 'deleted', 'deleting']);

export async function setAutoDestroy(db: Kysely<Database>, ref: string, change: AutoDestroyChange, now: number): Promise<WorkspaceRecord> {
  return inTransaction(db, async (trx) => {
    const row = await resolveWorkspaceRow(trx, ref);
    if (finalStates.has(row.state)) throw new ConflictError(`workspace ${row.id} is ${row.state}: its destroy settings can no longer change`);
    const set: { auto_destroy_at?: number | null; auto_destroy_inactivity_ms?: number | null; updated_at: number } = { updated_at: now };
    if (change.autoDestroyAt !== undefined) set.auto_destroy_at = change.autoDestroyAt;
    if (change.autoDestroyInactivityMs !== undefined) set.auto_destroy_inactivity_ms = change.autoDestroyInactivityMs;
    const updated = await trx.updateTable('instances').set(set).where('id', '=', row.id).returningAll().executeTakeFirstOrThrow();
    return workspaceRecord(updated);
  });
}

/** What a workspace in `state` is waiting for, in words (for "wait for the … to finish"). */
async function inFlightOp(db: Db, row: InstanceRow): Promise<string> {
  const job = await db
    .selectFrom('jobs')
    .select('op')
    .where('instance_id', '=', row.id)
    .where('state', 'in', ['pending', 'running'])
    .orderBy('id', 'desc')
    .executeTakeFirst();
  if (job) return job.op === 'create' ? 'build' : job.op;
  return row.state === 'stopping' ? 'stop' : row.state === 'pending' ? 'build' : 'start';
}

/**
 * A user's start, stop or delete: one transaction that re-reads the row, decides from its state, and moves it with
 * a condition on the state it read (a lifecycle action or another request committed in between makes the update
 * miss, and the request is refused rather than applied to a state it was not decided for).
 */
export async function requestWorkspaceOp(
  db: Kysely<Database>,
  ref: string,
  op: WorkspaceOp,
  now: number,
): Promise<{ record: WorkspaceRecord; jobId: number | null }> {
  return inTransaction(db, async (trx) => {
    const row = await resolveWorkspaceRow(trx, ref);
    const state = row.state as InstanceState;
    const none = { record: workspaceRecord(row), jobId: null };
    const gone = state === 'archived' || state === 'deleted';

    const move = async (set: Record<string, unknown>, jobOp: 'start' | 'stop' | 'delete') => {
      const updated = await trx
        .updateTable('instances')
        .set({ ...set, updated_at: now })
        .where('id', '=', row.id)
        .where('state', '=', state)
        .returningAll()
        .executeTakeFirst();
      if (!updated) throw new ConflictError(`workspace ${row.id} changed while the ${op} was requested; try again`);
      return { record: workspaceRecord(updated), jobId: await insertJobIntent(trx, updated.id, updated.preset_id, jobOp, now) };
    };

    if (op === 'start') {
      if (gone) throw new ConflictError(`workspace ${row.id} is archived: an archived workspace cannot be started (claim a new one)`);
      if (state === 'stopped') return move({ state: 'starting', error: '' }, 'start');
      if (state === 'claimed' || state === 'starting' || state === 'pending') return none;
      throw new ConflictError(`workspace ${row.id} is ${state}: it cannot be started`);
    }
    if (op === 'stop') {
      if (state === 'claimed') return move({ state: 'stopping' }, 'stop');
      if (state === 'stopped' || state === 'stopping') return none;
      if (gone) throw new ConflictError(`workspace ${row.id} is archived: there is nothing to stop`);
      throw new ConflictError(`workspace ${row.id} is ${state}: it cannot be stopped`);
    }
    if (state === 'claimed' || state === 'stopped' || state === 'failed') {
      return move(
        { state: 'deleting', deleting_at: now, destroy_reason: 'user', delete_attempts: 0, next_attempt_at: null },
        'delete',
      );
    }
    if (state === 'deleting' || gone) return none;
    throw new ConflictError(`workspace ${row.id} is ${state}: wait for the ${await inFlightOp(trx, row)} to finish, then delete it`);
  });
}
