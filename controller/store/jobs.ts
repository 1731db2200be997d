import { type Kysely, sql } from 'kysely';
import { type Db, inTransaction } from './db';
import { parseStringMap } from './json-columns';
import { insertNotification } from './outbox';
import type { PoolEvent } from '../domain/records';
import { WORKSPACE_DELETE_ATTEMPTS } from '../domain/limits';
import { lastLine } from '../domain/text';
import { presetHardLimited } from '../domain/pool-notifications';
import { destroyResult } from '../domain/workspace-notifications';
import type { DestroyReason, OutboxNotification } from '../domain/workspace';
import { workspaceRetryMs } from './workspaces';
import type { Database, InstanceRow, JobRow } from './tables';

export type JobOp = 'create' | 'delete' | 'start' | 'stop';

/** Everything a driver call needs, read in one go when the job starts. */
export interface JobContext {
  job: JobRow;
  instance: InstanceRow;
  driver: string;
  config: Record<string, string>;
  parameters: Record<string, string>;
}

/** Inside a write transaction: throws unless this controller may still make the write (the leader lease, on PostgreSQL). */
export type Fence = (trx: Db) => Promise<void>;

/** Marks the job running (counting the attempt) and returns what the driver needs; null if it is no longer runnable. */
export async function startJob(db: Kysely<Database>, jobId: number, now: number, fence?: Fence): Promise<JobContext | null> {
  return inTransaction(db, async (trx) => {
    await fence?.(trx);
    const job = await trx
      .updateTable('jobs')
      .set((eb) => ({ state: 'running', started_at: now, attempt: eb('attempt', '+', 1) }))
      .where('id', '=', jobId)
      .where('state', 'in', ['pending', 'running'])
      .returningAll()
      .executeTakeFirst();
    if (!job) return null;
    const instance = await trx.selectFrom('instances').selectAll().where('id', '=', job.instance_id).executeTakeFirstOrThrow();
    if (job.op === 'create' && instance.state === 'pending') {
      await trx.updateTable('instances').set({ state: 'starting', updated_at: now }).where('id', '=', instance.id).execute();
      instance.state = 'starting';
    }
    const version = await trx
      .selectFrom('template_versions')
      .selectAll()
      .where('template', '=', instance.template)
      .where('version', '=', instance.template_version)
      .executeTakeFirstOrThrow();
    return { job, instance, driver: version.driver, config: parseStringMap(version.config), parameters: parseStringMap(instance.parameters) };
  });
}

export type JobResult =
  | { kind: 'ok'; attributes: Record<string, string>; stderr: string }
  | { kind: 'permanent' | 'retryable'; message: string; exitCode: number | null; stderr: string };

export interface FailurePolicy {
  /** Consecutive failed pool creates that stop creation; 0 disables. */
  failureHardLimit: number;
  /** Backoff before the next create after `failures` consecutive failures. */
  createBackoffMs(failures: number): number;
  /** Delay before retrying a delete that failed `attempts` times. */
  deleteRetryMs(attempts: number): number;
}

export interface FinishEffects {
  /** The preset just became hard_limited (notify once). */
  hardLimited?: { presetId: string; failures: number };
  validationFailed?: { presetId: string; message: string };
}

/**
 * Records a driver result: job, instance and (for pool creates) the preset's failure bookkeeping, all in one
 * transaction, so backoff and the hard limit always agree with the job history.
 */
export async function finishJob(
  db: Kysely<Database>,
  ctx: JobContext,
  result: JobResult,
  now: number,
  policy: FailurePolicy,
  fence?: Fence,
): Promise<FinishEffects> {
  return inTransaction(db, async (trx) => {
    await fence?.(trx);
    const { job, instance } = ctx;
    const ok = result.kind === 'ok';
    await trx
      .updateTable('jobs')
      .set({
        state: ok ? 'succeeded' : 'failed',
        exit_code: ok ? 0 : result.exitCode,
        error: ok ? '' : result.message,
        stderr: result.stderr,
        finished_at: now,
      })
      .where('id', '=', job.id)
      .execute();

    const effects: FinishEffects = {};
    if (instance.owner !== null && job.op !== 'create') {
      await finishWorkspaceJob(trx, ctx, result, now);
    } else if (job.op === 'create') {
      if (ok && instance.owner !== null) {
        // A claimer's build became ready: the workspace is claimed from now on, so its autostop and idleness count
        // from here, not from the request (the policy was copied when the build was requested).
        await trx
          .updateTable('instances')
          .set((eb) => ({
            state: 'claimed',
            ready_at: now,
            last_used_at: now,
            deadline: eb('autostop_after_ms', '+', now),
            attributes: JSON.stringify(result.attributes),
            error: '',
            updated_at: now,
          }))
          .where('id', '=', instance.id)
          .where('state', '=', 'starting')
          .execute();
      } else if (ok) {
        await trx
          .updateTable('instances')
          .set({ state: 'ready', ready_at: now, attributes: JSON.stringify(result.attributes), error: '', updated_at: now })
          .where('id', '=', instance.id)
          .where('state', '=', 'starting')
          .execute();
      } else {
        await trx
          .updateTable('instances')
          .set({ state: 'failed', failed_at: now, error: result.message, updated_at: now })
          .where('id', '=', instance.id)
          .where('state', '=', 'starting')
          .execute();
      }
      // Only pool builds drive backoff: a claimer's fallback build failing is reported to that claimer.
      if (instance.owner === null) await recordPoolCreate(trx, ctx, result, now, policy, effects);
    } else if (job.op === 'delete') {
      if (ok) {
        await trx
          .updateTable('instances')
          .set({ state: 'deleted', deleted_at: now, next_attempt_at: null, error: '', updated_at: now })
          .where('id', '=', instance.id)
          .execute();
      } else {
        const attempts = Number(instance.delete_attempts) + 1;
        await trx
          .updateTable('instances')
          .set({ delete_attempts: attempts, next_attempt_at: now + policy.deleteRetryMs(attempts), error: result.message, updated_at: now })
          .where('id', '=', instance.id)
          .execute();
      }
    }
    return effects;
  });
}

/**
 * The result of a workspace's stop, start or delete. Every update is conditional on the state the job was written
 * for, so a result arriving for a row that moved on (it cannot today, as each state change waits for the job) changes
 * nothing. A failed delete is never archived: it is retried with backoff (policy reasons) or left failed.
 */
async function finishWorkspaceJob(trx: Db, ctx: JobContext, result: JobResult, now: number): Promise<void> {
  const { job, instance } = ctx;
  const ok = result.kind === 'ok';
  const where = (state: string) => trx.updateTable('instances').where('id', '=', instance.id).where('state', '=', state);
  if (job.op === 'stop') {
    if (ok) {
      await where('stopping')
        .set({ state: 'stopped', stopped_at: now, deadline: null, next_attempt_at: null, lifecycle_failures: 0, error: '', updated_at: now })
        .execute();
    } else {
      // Back to running: the deadline (or dormancy) still stands, and the rule fires again after the backoff. A
      // dormancy stop marked the row dormant in the same write that created this job (one `now` for both): that mark
      // is undone, or the dormancy rule (which fires only on unmarked rows) would never retry the stop and the
      // workspace would run on while reading as dormant, with its dormant delete counting. A mark with any other
      // instant was not this stop's and stays.
      await where('stopping')
        .set((eb) => ({
          state: 'claimed',
          dormant_at: sql<number | null>`case when dormant_at = ${Number(job.created_at)} then null else dormant_at end`,
          error: result.message,
          lifecycle_failures: eb('lifecycle_failures', '+', 1),
          next_attempt_at: now + workspaceRetryMs(Number(instance.lifecycle_failures ?? 0) + 1),
          updated_at: now,
        }))
        .execute();
    }
  } else if (job.op === 'start') {
    if (ok) {
      await where('starting')
        .set((eb) => ({
          state: 'claimed',
          deadline: eb('autostop_after_ms', '+', now),
          last_used_at: now,
          dormant_at: null,
          stopped_at: null,
          next_attempt_at: null,
          lifecycle_failures: 0,
          attributes: JSON.stringify(result.attributes),
          error: '',
          updated_at: now,
        }))
        .execute();
    } else {
      // A user's request: reported to them, never retried by the controller.
      await where('starting').set({ state: 'stopped', error: result.message, updated_at: now }).execute();
    }
  } else if (job.op === 'delete') {
    const current = await trx.selectFrom('instances').selectAll().where('id', '=', instance.id).executeTakeFirstOrThrow();
    if (current.state !== 'deleting') return;
    const reason = (current.destroy_reason ?? 'user') as DestroyReason;
    const attempt = Number(current.delete_attempts) + 1;
    const startedAt = Number(current.deleting_at ?? now);
    const subject = { id: current.id, name: current.name, owner: current.owner as string, presetId: current.preset_id };
    let notification: OutboxNotification | null;
    if (ok) {
      await where('deleting')
        .set({ state: 'archived', archived_at: now, deleted_at: now, next_attempt_at: null, error: '', updated_at: now })
        .execute();
      notification = destroyResult(subject, reason, startedAt, attempt, { ok: true }, now);
    } else {
      const willRetry = reason !== 'user' && attempt < WORKSPACE_DELETE_ATTEMPTS;
      await where('deleting')
        .set({
          state: willRetry ? 'deleting' : 'failed',
          delete_attempts: attempt,
          next_attempt_at: willRetry ? now + workspaceRetryMs(attempt) : null,
          failed_at: willRetry ? current.failed_at : now,
          error: result.message,
          updated_at: now,
        })
        .execute();
      notification = destroyResult(subject, reason, startedAt, attempt, { ok: false, error: result.message, willRetry }, now);
    }
    if (notification) await insertNotification(trx, notification, now);
  }
}

async function recordPoolCreate(trx: Db, ctx: JobContext, result: JobResult, now: number, policy: FailurePolicy, effects: FinishEffects): Promise<void> {
  const presetId = ctx.instance.preset_id;
  const preset = await trx.selectFrom('presets').selectAll().where('id', '=', presetId).executeTakeFirst();
  if (!preset) return;
  const template = await trx.selectFrom('templates').select('version').where('name', '=', preset.template).executeTakeFirst();
  // A build started before the preset or its template changed, or before an operator resumed it, says
  // nothing about the preset as it is now: its failure must not undo the fix (or the resume).
  const stale =
    Number(ctx.instance.generation) < Number(preset.generation) ||
    (template !== undefined && Number(ctx.instance.template_version) < Number(template.version)) ||
    Number(ctx.job.created_at) < Number(preset.updated_at);
  if (stale && result.kind !== 'ok') return;
  if (result.kind === 'ok') {
    await trx.updateTable('presets').set({ consecutive_failures: 0, backoff_until: null }).where('id', '=', presetId).execute();
    return;
  }
  const failures = Number(preset.consecutive_failures) + 1;
  let status = preset.status;
  let reason = preset.status_reason;
  if (result.kind === 'permanent') {
    if (status !== 'validation_failed') effects.validationFailed = { presetId, message: result.message };
    status = 'validation_failed';
    reason = result.message;
  } else if (policy.failureHardLimit > 0 && failures >= policy.failureHardLimit && status === 'healthy') {
    status = 'hard_limited';
    reason = `${failures} consecutive failed builds; last: ${result.message}`;
    effects.hardLimited = { presetId, failures };
    await insertNotification(trx, presetHardLimited(presetId, failures, result.message, now), now);
  }
  await trx
    .updateTable('presets')
    .set({ consecutive_failures: failures, backoff_until: now + policy.createBackoffMs(failures), status, status_reason: reason })
    .where('id', '=', presetId)
    .execute();
}

/** What re-driving a job needs to know about it; the rest (stderr above all) is read when the job starts. */
export type UnfinishedJob = Pick<JobRow, 'id' | 'op' | 'state' | 'attempt' | 'instance_id'>;

/**
 * The oldest `limit` jobs left pending or running: after a crash these are the intents to re-drive. Bounded, because
 * one lifecycle tick may write tens of thousands of intents and the caller re-reads them every tick while it can
 * start only a few.
 */
export async function unfinishedJobs(db: Db, limit: number): Promise<UnfinishedJob[]> {
  return db
    .selectFrom('jobs')
    .select(['id', 'op', 'state', 'attempt', 'instance_id'])
    .where('state', 'in', ['pending', 'running'])
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function jobsForInstance(db: Db, instanceId: string): Promise<JobRow[]> {
  return db.selectFrom('jobs').selectAll().where('instance_id', '=', instanceId).orderBy('id').execute();
}

const EVENT_OPS: ReadonlySet<string> = new Set(['create', 'delete', 'start', 'stop']);

/**
 * Finished jobs, newest first. Walks the jobs' primary key backwards (no sort over the whole history): ids
 * follow creation, which is close enough to finishing order for a live view, and costs `limit` rows.
 */
export async function recentEvents(db: Db, limit: number, presetId?: string): Promise<PoolEvent[]> {
  let q = db
    .selectFrom('jobs')
    .select(['preset_id', 'instance_id', 'op', 'state', 'error', 'stderr', 'started_at', 'finished_at'])
    .where('state', 'in', ['succeeded', 'failed'])
    .orderBy('id', 'desc')
    .limit(limit);
  if (presetId !== undefined) q = q.where('preset_id', '=', presetId);
  const rows = await q.execute();
  return rows
    .filter((r) => EVENT_OPS.has(r.op))
    .map((r) => ({
      at: Number(r.finished_at),
      presetId: r.preset_id,
      instanceId: r.instance_id,
      op: r.op as PoolEvent['op'],
      ok: r.state === 'succeeded',
      error: r.error,
      stderrTail: r.state === 'succeeded' ? '' : lastLine(r.stderr),
      durationMs: r.started_at === null || r.finished_at === null ? 0 : Number(r.finished_at) - Number(r.started_at),
    }));
}
