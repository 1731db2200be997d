/**
 * The claim path, the hottest in the controller: handing out the oldest ready instance of a pool, atomically.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, PostgresAdapter } from 'kysely';
import { numbered } from './sql-text';
import type { Db } from './db';
import type { InstanceRow } from './tables';

export interface ClaimTarget {
  presetId: string;
  template: string;
}

/**
 * Takes the oldest ready unclaimed instance, atomically: one UPDATE whose WHERE re-checks `state = 'ready'
 * AND owner IS NULL`, so two claimers (or a claim and a delete) can never both win. The preset's current
 * template version, generation and invalidation time are read inside the same statement, so the hot path is a
 * single statement walking the (preset_id, state, ready_at, id) index: a claim costs the same with ten ready
 * instances or ten thousand. Current builds go first; outdated ones only when no current build is left
 * (a second statement); instances built before an invalidation are never handed out.
 */
export async function claimReadyInstance(
  db: Db,
  target: ClaimTarget,
  owner: string,
  now: number,
  settings: ClaimSettings = {},
): Promise<InstanceRow | undefined> {
  const current = await claimOne(db, target, owner, now, settings, true);
  return current ?? claimOne(db, target, owner, now, settings, false);
}

/** The workspace's own destroy settings (validated; ms). */
export interface ClaimSettings {
  autoDestroyAt?: number | null;
  autoDestroyInactivityMs?: number | null;
}

/*
 * Written as fixed SQL rather than built per call: this is the hottest statement in the controller, and a
 * fixed text means no query compilation and a reused prepared statement. Plain SQL that SQLite and
 * PostgreSQL both accept (apart from the placeholder style). The lifecycle policy is copied from the template
 * row inside the same statement (the template's policy at this instant, never a cached copy), and the autostop
 * deadline is computed from it (null + now is null: no autostop).
 */
const claimSql = (currentOnly: boolean, rowLock = '') => `
update instances
   set owner = ?, state = 'claimed', claimed_at = ?, last_used_at = ?, updated_at = ?,
       auto_destroy_at = ?, auto_destroy_inactivity_ms = ?,
       (autostop_after_ms, autostop_reminder_ms, stopped_ttl_ms, dormant_after_ms, dormant_delete_after_ms, auto_destroy_reminder_ms, deadline) = (
         select t.autostop_after_ms, t.autostop_reminder_ms, t.stopped_ttl_ms, t.dormant_after_ms, t.dormant_delete_after_ms,
                t.auto_destroy_reminder_ms, ? + t.autostop_after_ms
           from templates t
          where t.name = instances.template)
 where id = (
         select i.id
           from presets p
           join instances i on i.preset_id = p.id
          where p.id = ? and p.deleted_at is null
            and i.state = 'ready' and i.owner is null
            and (p.invalidated_at is null or i.created_at > p.invalidated_at)
            ${currentOnly ? 'and i.generation = p.generation and i.template_version = (select version from templates where name = ?)' : ''}
          order by i.ready_at, i.id
          limit 1${rowLock})
   and state = 'ready' and owner is null
returning *`;
export const claimCurrentSql = claimSql(true);
export const claimAnySql = claimSql(false);
/*
 * PostgreSQL runs claims from many connections and replicas at once. Without a row lock, two claimers would pick the
 * same oldest row, one would wait for the other's commit, find the row taken and come back empty-handed while other
 * ready rows sit there. SKIP LOCKED makes each claimer pass over rows another is claiming and take the next one; the
 * outer WHERE still re-checks the row, so a claim never hands out a row twice either way.
 */
export const pgClaimCurrentSql = claimSql(true, ' for update of i skip locked');
export const pgClaimAnySql = claimSql(false, ' for update of i skip locked');

/** Parameters of claimCurrentSql / claimAnySql, in order. */
export function claimParams(target: ClaimTarget, owner: string, now: number, currentOnly: boolean, settings: ClaimSettings = {}): unknown[] {
  const params: unknown[] = [owner, now, now, now, settings.autoDestroyAt ?? null, settings.autoDestroyInactivityMs ?? null, now, target.presetId];
  if (currentOnly) params.push(target.template);
  return params;
}

async function claimOne(db: Db, target: ClaimTarget, owner: string, now: number, settings: ClaimSettings, currentOnly: boolean): Promise<InstanceRow | undefined> {
  const params = claimParams(target, owner, now, currentOnly, settings);
  const text =
    db.getExecutor().adapter instanceof PostgresAdapter
      ? numbered(currentOnly ? pgClaimCurrentSql : pgClaimAnySql)
      : currentOnly
        ? claimCurrentSql
        : claimAnySql;
  const result = await db.executeQuery<InstanceRow>(CompiledQuery.raw(text, params));
  return result.rows[0];
}

export interface ClaimCall extends ClaimTarget, ClaimSettings {
  owner: string;
  now: number;
}

/**
 * Runs many claims in one transaction, synchronously (one commit for a whole burst of claimers). Returns null
 * when another transaction is open on the connection; the caller retries.
 */
export function claimManySync(raw: BetterSqlite3.Database, requests: readonly ClaimCall[]): Array<InstanceRow | undefined> | null {
  // Kysely's own transactions span awaits; a statement run now would silently join one of them.
  if (raw.inTransaction) return null;
  const current = raw.prepare(claimCurrentSql);
  const any = raw.prepare(claimAnySql);
  return raw.transaction(() =>
    requests.map(
      (r) => (current.get(...claimParams(r, r.owner, r.now, true, r)) ?? any.get(...claimParams(r, r.owner, r.now, false, r))) as InstanceRow | undefined,
    ),
  )();
}
