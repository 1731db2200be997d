/**
 * Replica rows (who runs on this database, by heartbeat) and the leader lease (who acts, under which generation).
 * Portable SQL: the caller gives the instant as an expression, the database's own clock on PostgreSQL (replicas on
 * several hosts must judge expiry alike) and the controller's clock on SQLite (one controller).
 */
import { type Expression, sql } from 'kysely';
import type { LeaderLease, ReplicaIdentity, ReplicaRecord } from '../domain/replica';
import { ConflictError } from '../domain/errors';
import type { Db } from './db';

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
 */
export async function acquireLease(
  db: Db,
  holder: string,
  ttlMs: number,
  now: Expression<number>,
  holderGone?: Expression<boolean>,
): Promise<LeaderLease | null> {
  const renewing = sql<boolean>`holder = ${holder}`;
  const row = await db
    .updateTable('leases')
    .set({
      holder,
      generation: sql<number>`case when ${renewing} then generation else generation + 1 end`,
      acquired_at: sql<number>`case when ${renewing} then acquired_at else ${now} end`,
      expires_at: sql<number>`${now} + ${ttlMs}`,
      holder_session: sql<number | null>`case when ${renewing} then holder_session else null end`,
    })
    .where('name', '=', LEADER)
    .where((eb) => eb.or([eb('holder', '=', holder), eb('holder', 'is', null), eb('expires_at', '<=', now), ...(holderGone ? [holderGone] : [])]))
    .returning(['generation', 'expires_at', 'acquired_at'])
    .executeTakeFirst();
  if (!row) return null;
  return { holder, generation: Number(row.generation), expiresAt: Number(row.expires_at), acquiredAt: Number(row.acquired_at), ttlMs };
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
 * Inside a write transaction: fails unless `lease` is still the leader lease. The row is read FOR SHARE, so a
 * takeover (an UPDATE of the row) waits for this transaction to end: no fenced write can commit after a takeover.
 */
export async function checkFence(db: Db, lease: LeaderLease): Promise<void> {
  const row = await db.selectFrom('leases').select(['holder', 'generation']).where('name', '=', LEADER).forShare().executeTakeFirst();
  if (!row || row.holder !== lease.holder || Number(row.generation) !== lease.generation) {
    throw new FencedError(lease, row ? { holder: row.holder, generation: Number(row.generation) } : undefined);
  }
}
