/**
 * A job intent: the row that says a driver operation is to run, written in the same transaction as the state change
 * it is for, before any driver runs (the executor starts it, or re-drives it after a crash). One writer per way the
 * store runs statements: kysely (across awaits) and the synchronous batched paths.
 */
import type { SyncDb } from './connection';
import type { Db } from './db';
import type { JobOp } from './jobs';

/** The job's id. */
export async function insertJobIntent(db: Db, instanceId: string, presetId: string, op: JobOp, now: number): Promise<number> {
  const job = await db
    .insertInto('jobs')
    .values({ instance_id: instanceId, preset_id: presetId, op, state: 'pending', attempt: 0, exit_code: null, error: '', stderr: '', created_at: now, started_at: null, finished_at: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(job.id);
}

const insertSql = `insert into jobs (instance_id, preset_id, op, state, attempt, exit_code, error, stderr, created_at, started_at, finished_at)
  values (?, ?, ?, 'pending', 0, null, '', '', ?, null, null) returning id`;

/** The job's id. */
export function insertJobIntentSync(db: SyncDb, instanceId: string, presetId: string, op: JobOp, now: number): number {
  return Number((db.prepare(insertSql).get(instanceId, presetId, op, now) as { id: number }).id);
}
