/**
 * Activity reports, the hottest write of a real deployment: one conditional UPDATE per report.
 */
import { ConflictError } from '../domain/errors';
import type { SyncDb } from './connection';
import type { InstanceRow } from './tables';
import { poolInstanceError } from './workspaces';

/**
 * last_used_at only moves forward (two replicas' clocks may disagree by a little), the deadline of a running
 * workspace only moves later (to now + autostop_after), and dormancy ends. Pool rows and workspaces that are gone
 * or going are not matched; the caller then explains why.
 */
export const activitySql = `
update instances
   set last_used_at = case when last_used_at is null or last_used_at < ? then ? else last_used_at end,
       deadline = case when state = 'claimed' and deadline is not null and autostop_after_ms is not null
                        and deadline < ? + autostop_after_ms
                       then ? + autostop_after_ms else deadline end,
       dormant_at = null,
       updated_at = ?
 where id = ? and owner is not null and state in ('claimed', 'stopped', 'stopping', 'starting', 'pending')
returning *`;

export interface ActivityCall {
  id: string;
  now: number;
}

export function reportActivitySync(db: SyncDb, call: ActivityCall): InstanceRow | undefined {
  const { id, now } = call;
  return db.prepare(activitySql).get(now, now, now, now, now, id) as InstanceRow | undefined;
}

/** Why activity on this row was refused. */
export function activityRefused(row: InstanceRow): ConflictError {
  if (row.owner === null) return poolInstanceError(row, 'activity is reported for workspaces only');
  if (row.state === 'archived' || row.state === 'deleted') return new ConflictError(`workspace ${row.id} is archived: it takes no activity`);
  return new ConflictError(`workspace ${row.id} is ${row.state}: it takes no activity (it is being or could not be deleted)`);
}
