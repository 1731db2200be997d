/**
 * Replica rows (who runs on this database, by heartbeat) and the leader lease (who acts, under which generation).
 * Portable SQL: the caller gives the instant as an expression, the database's own clock on PostgreSQL (replicas on
 * several hosts must judge expiry alike) and the controller's clock on SQLite (one controller).
 */
import { type Expression, type ExpressionBuilder, type Kysely, sql } from 'kysely';
import type { LeaderLease, ReplicaIdentity, ReplicaRecord } from '../domain/replica';
import { ConflictError } from '../domain/errors';
import type { Db } from './db';
import type { Database } from './tables';

export const LEADER = 'leader';

export async function registerReplica(db: Db, r: ReplicaIdentity, now: Expression<number>): Promise<void> {
  await db
    .insertInto('replicas')
    .values({ id: r.id, host: r.host, pid: r.pid, version: r.version, api: r.api, started_at: now, heartbeat_at: now, stopped_at: null })
    .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: now, stopped_at: null }))
    .execute();
}

export async function heartbeat(db: Db, id: string, now: Expression<number>): Promise<void> {
  await db.updateTable('replicas').set({ heartbeat_at: now }).where('id', '=', id).execute();
}

/** Marks the replica stopped and gives up its lease if it holds it, so another takes over at once. */
export async function retireReplica(db: Db, id: string, now: Expression<number>): Promise<void> {
  await db.updateTable('replicas').set({ stopped_at: now }).where('id', '=', id).execute();
  await releaseLease(db, id);
}

/** Replicas heard from within `forgetAfterMs` (older rows wait for housekeeping); a read writes nothing. */
export async function listReplicas(db: Db, now: Expression<number>, staleAfterMs: number, forgetAfterMs: number): Promise<ReplicaRecord[]> {
  const lease = await db.selectFrom('leases').selectAll().where('name', '=', LEADER).executeTakeFirst();
  const rows = await db
    .selectFrom('replicas')
    .selectAll()
    .select(sql<number>`${now}`.as('now'))
    .where(sql<boolean>`heartbeat_at >= ${now} - ${forgetAfterMs}`)
    .orderBy('started_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => {
    const alive = r.stopped_at === null && Number(r.now) - Number(r.heartbeat_at) <= staleAfterMs;
    const leads = lease !== undefined && lease.holder === r.id && lease.expires_at !== null && Number(lease.expires_at) > Number(r.now);
    return {
      id: r.id,
      host: r.host,
      pid: Number(r.pid),
      version: r.version,
      api: r.api,
      startedAt: Number(r.started_at),
      heartbeatAt: Number(r.heartbeat_at),
      stoppedAt: r.stopped_at === null ? null : Number(r.stopped_at),
      alive,
      leader: leads,
      leaseGeneration: leads ? Number(lease!.generation) : null,
      leaseExpiresAt: leads ? Number(lease!.expires_at) : null,
    };
  });
}

/**
 * Takes or renews the leader lease. The holder renews under its generation (nobody else held it in between, or the
 * holder would have changed); anyone takes it when it is free, expired, or when `holderGone` is true of the row (the
 * database can tell the holder's session ended). Every take starts a new generation, so writes fenced by an older
 * one fail. Null when another replica holds it.
 *
 * The fence reads the row FOR KEY SHARE, which a renewal (an UPDATE of non-key columns) does not wait for: a leader
 * renews while its own fenced transactions queue behind a burst of claims, instead of letting its lease run out
 * behind them. A take must wait for them, so with `lockTakes` (PostgreSQL) it first locks the row FOR UPDATE, which
 * conflicts with KEY SHARE: no fenced write commits after a takeover. The lock is asked for only while the row is
 * takeable, so a follower's poll never holds up the leader's writes. The FOR UPDATE is also what makes a fence that
 * starts after the take see it: KEY SHARE on a row version replaced by a non-key UPDATE would succeed on the old
 * version, but not on one replaced under FOR UPDATE (it waits, then reads the new holder and fails). Any write that
 * changes holder or generation must take that lock first.
 */
export async function acquireLease(
  db: Kysely<Database>,
  holder: string,
  ttlMs: number,
  now: Expression<number>,
  opts: { holderGone?: Expression<boolean>; lockTakes: boolean },
): Promise<LeaderLease | null> {
  const returned = ['generation', 'expires_at', 'acquired_at'] as const;
  const lease = (row: { generation: number; expires_at: number | null; acquired_at: number | null } | undefined): LeaderLease | null =>
    row ? { holder, generation: Number(row.generation), expiresAt: Number(row.expires_at), acquiredAt: Number(row.acquired_at), ttlMs } : null;
  const renewed = await db
    .updateTable('leases')
    .set({ expires_at: sql<number>`${now} + ${ttlMs}` })
    .where('name', '=', LEADER)
    .where('holder', '=', holder)
    .returning(returned)
    .executeTakeFirst();
  if (renewed) return lease(renewed);

  const takeable = (eb: ExpressionBuilder<Database, 'leases'>) =>
    eb.or([eb('holder', 'is', null), eb('expires_at', '<=', now), ...(opts.holderGone ? [opts.holderGone] : [])]);
  const take = (trx: Db) =>
    trx
      .updateTable('leases')
      .set({
        holder,
        generation: sql<number>`generation + 1`,
        acquired_at: now,
        expires_at: sql<number>`${now} + ${ttlMs}`,
        holder_session: null,
      })
      .where('name', '=', LEADER)
      .where(takeable)
      .returning(returned)
      .executeTakeFirst();
  if (!opts.lockTakes) return lease(await take(db));
  return lease(
    await db.transaction().execute(async (trx) => {
      const locked = await trx.selectFrom('leases').select('name').where('name', '=', LEADER).where(takeable).forUpdate().executeTakeFirst();
      return locked ? take(trx) : undefined;
    }),
  );
}

export async function releaseLease(db: Db, holder: string): Promise<void> {
  await db.updateTable('leases').set({ holder: null, expires_at: null, holder_session: null }).where('name', '=', LEADER).where('holder', '=', holder).execute();
}

/** Thrown by a write fenced by a lease this replica no longer holds: the new leader re-does the work. */
export class FencedError extends ConflictError {
  constructor(lease: LeaderLease, current: { holder: string | null; generation: number } | undefined) {
    super(
      `this replica no longer leads (its lease generation ${lease.generation} was taken over` +
        `${current ? ` by ${current.holder ?? 'nobody'} at generation ${current.generation}` : ''}): the write was not made; the leader re-does it`,
    );
    this.name = 'FencedError';
  }
}

/**
 * Inside a write transaction: fails unless `lease` is still the leader lease. The row is read FOR KEY SHARE, so a
 * takeover (which locks the row FOR UPDATE first, see acquireLease) waits for this transaction to end: no fenced write
 * can commit after a takeover. The holder's renewals do not wait for it.
 */
export async function checkFence(db: Db, lease: LeaderLease): Promise<void> {
  const row = await db.selectFrom('leases').select(['holder', 'generation']).where('name', '=', LEADER).forKeyShare().executeTakeFirst();
  if (!row || row.holder !== lease.holder || Number(row.generation) !== lease.generation) {
    throw new FencedError(lease, row ? { holder: row.holder, generation: Number(row.generation) } : undefined);
  }
}
