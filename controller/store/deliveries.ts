/**
 * Deliveries: one row per (notification, target), written when the delivery loop fans a committed notification out,
 * leased while a send is in flight, and settled by the holder of the current lease only. The store decides no
 * policy (backoff, give-up): the loop passes the outcome.
 */
import type { Kysely } from 'kysely';
import { NotFoundError } from '../domain/errors';
import {
  type DeliveryAttemptOutcome,
  type DeliveryFilter,
  type DeliveryRecord,
  type DeliveryState,
  type DueDelivery,
  type NotificationEntry,
  type OutboxStats,
  targetWants,
} from '../domain/notification-target';
import { type Db, inTransaction } from './db';
import { eventsOf } from './notification-targets';
import type { Database, NotificationsTable } from './tables';

const DEFAULT_LIST = 100;
const MAX_LIST = 1000;

/** Fans out the oldest waiting notifications to the enabled targets that want them, in one transaction. */
export function fanOut(db: Kysely<Database>, now: number, limit: number): Promise<number> {
  return inTransaction(db, async (trx) => {
    const waiting = await trx
      .selectFrom('notifications')
      .select(['id', 'kind', 'created_at'])
      .where('fanned_out_at', 'is', null)
      .orderBy('id')
      .limit(limit)
      .execute();
    if (waiting.length === 0) return 0;
    const targets = (await trx.selectFrom('notification_targets').select(['name', 'events']).where('enabled', '=', 1).execute()).map((t) => ({
      name: t.name,
      events: eventsOf(t.events),
    }));
    const rows = [];
    for (const n of waiting) {
      for (const t of targets) {
        if (!targetWants(t.events, n.kind)) continue;
        rows.push({
          notification_id: Number(n.id),
          target: t.name,
          state: 'pending',
          attempts: 0,
          notification_created_at: Number(n.created_at),
          window_start: now,
          next_attempt_at: now,
          lease: 0,
          lease_until: null,
          created_at: now,
          delivered_at: null,
          failed_at: null,
          last_status: null,
          last_error: '',
          last_latency_ms: null,
        });
      }
    }
    // SQLite binds at most 32,766 parameters per statement: 15 columns a row.
    for (let i = 0; i < rows.length; i += 1000) {
      await trx
        .insertInto('notification_deliveries')
        .values(rows.slice(i, i + 1000))
        .onConflict((oc) => oc.columns(['notification_id', 'target']).doNothing())
        .execute();
    }
    const ids = waiting.map((n) => Number(n.id));
    await trx.updateTable('notifications').set({ fanned_out_at: now }).where('id', 'in', ids).execute();
    return waiting.length;
  });
}

/** Leases up to slots.get(target) due deliveries per target, oldest due first. */
export function claimDue(db: Kysely<Database>, slots: ReadonlyMap<string, number>, now: number, leaseUntil: number): Promise<DueDelivery[]> {
  return inTransaction(db, async (trx) => {
    const claimed: Array<{ id: number; lease: number; attempts: number; window_start: number; target: string; notification_id: number }> = [];
    for (const [target, count] of slots) {
      if (count <= 0) continue;
      const due = trx
        .selectFrom('notification_deliveries')
        .select('id')
        .where('target', '=', target)
        .where('state', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
        .orderBy('next_attempt_at')
        .orderBy('id')
        .limit(count);
      const rows = await trx
        .updateTable('notification_deliveries')
        .set((eb) => ({ lease: eb('lease', '+', 1), lease_until: leaseUntil }))
        .where('id', 'in', due)
        // Again on the row itself: on PostgreSQL a second replica's claim that waited for this one's row lock
        // re-checks the row it then sees (leased now) rather than the subquery's earlier answer, and skips it.
        .where('state', '=', 'pending')
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
        .returning(['id', 'lease', 'attempts', 'window_start', 'target', 'notification_id'])
        .execute();
      for (const r of rows) {
        claimed.push({
          id: Number(r.id),
          lease: Number(r.lease),
          attempts: Number(r.attempts),
          window_start: Number(r.window_start),
          target: r.target,
          notification_id: Number(r.notification_id),
        });
      }
    }
    if (claimed.length === 0) return [];
    const notes = new Map<number, Pick<NotificationsTable, 'dedupe_key' | 'kind' | 'payload' | 'created_at'>>();
    const ids = [...new Set(claimed.map((c) => c.notification_id))];
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await trx
        .selectFrom('notifications')
        .select(['id', 'dedupe_key', 'kind', 'payload', 'created_at'])
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
      for (const r of rows) notes.set(Number(r.id), r);
    }
    const out: DueDelivery[] = [];
    for (const c of claimed) {
      const n = notes.get(c.notification_id);
      // Its notification was purged: nothing left to send (cannot happen while the delivery is pending, since
      // the purge keeps notifications with deliveries), so the row goes rather than failing forever.
      if (!n) {
        await trx.deleteFrom('notification_deliveries').where('id', '=', c.id).execute();
        continue;
      }
      out.push({
        id: c.id,
        notificationId: c.notification_id,
        target: c.target,
        event: n.kind,
        key: n.dedupe_key,
        payload: n.payload,
        notificationCreatedAt: Number(n.created_at),
        attempts: c.attempts,
        windowStart: c.window_start,
        lease: c.lease,
      });
    }
    return out;
  });
}

export async function recordAttempt(db: Db, id: number, lease: number, outcome: DeliveryAttemptOutcome, now: number): Promise<boolean> {
  const common = { lease_until: null, last_status: outcome.status, last_latency_ms: Math.round(outcome.latencyMs) };
  const settled =
    outcome.kind === 'delivered'
      ? { state: 'delivered', delivered_at: now, next_attempt_at: null, last_error: '' }
      : outcome.kind === 'retry'
        ? { state: 'pending', next_attempt_at: outcome.nextAttemptAt, last_error: outcome.error }
        : { state: 'failed', failed_at: now, next_attempt_at: null, last_error: outcome.error };
  const result = await db
    .updateTable('notification_deliveries')
    .set((eb) => ({ ...common, attempts: eb('attempts', '+', 1), ...settled }))
    .where('id', '=', id)
    .where('lease', '=', lease)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function releaseLeases(db: Kysely<Database>, leases: ReadonlyArray<{ id: number; lease: number }>): Promise<void> {
  if (leases.length === 0) return;
  await inTransaction(db, async (trx) => {
    for (const { id, lease } of leases) {
      await trx.updateTable('notification_deliveries').set({ lease_until: null }).where('id', '=', id).where('lease', '=', lease).execute();
    }
  });
}

interface DeliveryJoinRow {
  id: number;
  notification_id: number;
  target: string;
  state: string;
  attempts: number;
  created_at: number;
  next_attempt_at: number | null;
  delivered_at: number | null;
  failed_at: number | null;
  last_status: number | null;
  last_error: string;
  last_latency_ms: number | null;
  kind: string | null;
  dedupe_key: string | null;
}

const num = (v: number | null): number | null => (v === null ? null : Number(v));

function deliveryRecord(r: DeliveryJoinRow): DeliveryRecord {
  return {
    id: Number(r.id),
    notificationId: Number(r.notification_id),
    target: r.target,
    event: r.kind ?? '',
    key: r.dedupe_key ?? '',
    state: r.state as DeliveryState,
    attempts: Number(r.attempts),
    createdAt: Number(r.created_at),
    nextAttemptAt: r.state === 'pending' ? num(r.next_attempt_at) : null,
    deliveredAt: num(r.delivered_at),
    failedAt: num(r.failed_at),
    lastStatus: num(r.last_status),
    lastError: r.last_error,
    lastLatencyMs: num(r.last_latency_ms),
  };
}

function selectDeliveries(db: Db) {
  return db
    .selectFrom('notification_deliveries as d')
    .leftJoin('notifications as n', 'n.id', 'd.notification_id')
    .select([
      'd.id',
      'd.notification_id',
      'd.target',
      'd.state',
      'd.attempts',
      'd.created_at',
      'd.next_attempt_at',
      'd.delivered_at',
      'd.failed_at',
      'd.last_status',
      'd.last_error',
      'd.last_latency_ms',
      'n.kind',
      'n.dedupe_key',
    ]);
}

export async function listDeliveries(db: Db, filter: DeliveryFilter): Promise<DeliveryRecord[]> {
  let q = selectDeliveries(db);
  if (filter.state !== undefined) q = q.where('d.state', '=', filter.state);
  if (filter.target !== undefined) q = q.where('d.target', '=', filter.target);
  const limit = Math.min(Math.max(1, filter.limit ?? DEFAULT_LIST), MAX_LIST);
  const rows = await q.orderBy('d.id', 'desc').limit(limit).execute();
  return rows.map((r) => deliveryRecord(r as DeliveryJoinRow));
}

/**
 * Due now with a fresh window. A pending delivery in flight loses its lease: that send's result is not recorded
 * (it would push the delivery back by its backoff), and the resend goes out at once.
 */
export function resend(db: Kysely<Database>, id: number, now: number): Promise<DeliveryRecord> {
  return inTransaction(db, async (trx) => {
    const row = await trx.selectFrom('notification_deliveries').select(['state']).where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError(`no notification delivery with id ${id}`);
    if (row.state === 'pending') {
      await trx
        .updateTable('notification_deliveries')
        .set((eb) => ({ next_attempt_at: now, lease: eb('lease', '+', 1), lease_until: null }))
        .where('id', '=', id)
        .execute();
    } else {
      await trx
        .updateTable('notification_deliveries')
        .set({ state: 'pending', attempts: 0, window_start: now, next_attempt_at: now, lease_until: null, delivered_at: null, failed_at: null })
        .where('id', '=', id)
        .execute();
    }
    const back = await selectDeliveries(trx).where('d.id', '=', id).executeTakeFirstOrThrow();
    return deliveryRecord(back as DeliveryJoinRow);
  });
}

function parsePayload(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function entry(r: Pick<NotificationsTable, 'dedupe_key' | 'kind' | 'payload' | 'created_at'> & { id: number }): NotificationEntry {
  return { id: Number(r.id), key: r.dedupe_key, event: r.kind, createdAt: Number(r.created_at), payload: parsePayload(r.payload) };
}

export async function notificationsAfter(db: Db, afterId: number, limit: number): Promise<NotificationEntry[]> {
  const rows = await db
    .selectFrom('notifications')
    .select(['id', 'dedupe_key', 'kind', 'payload', 'created_at'])
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(entry);
}

export async function recentNotifications(db: Db, limit: number): Promise<NotificationEntry[]> {
  const rows = await db.selectFrom('notifications').select(['id', 'dedupe_key', 'kind', 'payload', 'created_at']).orderBy('id', 'desc').limit(limit).execute();
  return rows.map(entry);
}

/** Reads the two partial indexes of waiting rows only, so a large delivered history costs nothing here. */
export async function outboxStats(db: Db): Promise<OutboxStats> {
  const waiting = await db
    .selectFrom('notifications')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min<number | null>('created_at').as('oldest')])
    .where('fanned_out_at', 'is', null)
    .executeTakeFirstOrThrow();
  const pending = await db
    .selectFrom('notification_deliveries')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min<number | null>('notification_created_at').as('oldest')])
    .where('state', '=', 'pending')
    .executeTakeFirstOrThrow();
  const oldest = [waiting.oldest, pending.oldest].filter((v): v is number => v !== null).map(Number);
  return { depth: Number(waiting.n) + Number(pending.n), oldestPendingAt: oldest.length === 0 ? null : Math.min(...oldest) };
}

/**
 * Settled deliveries past the history retention go, then notifications past it that were fanned out and have no
 * delivery left. A pending delivery keeps its notification whatever its age (resend keeps a row alive).
 */
export async function purgeDeliveries(db: Db, cutoff: number): Promise<void> {
  // One statement per state, each on its partial index of settled rows: no scan of the whole table.
  await db.deleteFrom('notification_deliveries').where('state', '=', 'delivered').where('delivered_at', '<', cutoff).execute();
  await db.deleteFrom('notification_deliveries').where('state', '=', 'failed').where('failed_at', '<', cutoff).execute();
  await db
    .deleteFrom('notifications')
    .where('created_at', '<', cutoff)
    .where('fanned_out_at', 'is not', null)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('notification_deliveries').select('notification_deliveries.id').whereRef('notification_deliveries.notification_id', '=', 'notifications.id'))),
    )
    .execute();
}
