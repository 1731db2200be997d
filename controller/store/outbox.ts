/**
 * Outbox rows: a notification is written in the transaction of the change it reports, and its dedupe key makes a
 * second write of the same event (a retried action, a replayed result) store nothing. One writer per way the store
 * runs statements: kysely (across awaits) and the synchronous batched paths.
 */
import type { OutboxNotification } from '../domain/workspace';
import type { SyncDb } from './connection';
import type { Db } from './db';

export async function insertNotification(db: Db, n: OutboxNotification, now: number): Promise<void> {
  await db
    .insertInto('notifications')
    .values({ dedupe_key: n.key, kind: n.event, payload: JSON.stringify(n.payload), attempts: 0, next_attempt_at: now, created_at: now, delivered_at: null, fanned_out_at: null })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .execute();
}

const insertSql = `insert into notifications (dedupe_key, kind, payload, attempts, next_attempt_at, created_at, delivered_at)
  values (?, ?, ?, 0, ?, ?, null) on conflict (dedupe_key) do nothing`;

export function insertNotificationSync(db: SyncDb, n: OutboxNotification, now: number): void {
  db.prepare(insertSql).run(n.key, n.event, JSON.stringify(n.payload), now, now);
}
