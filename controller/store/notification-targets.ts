/**
 * Webhook targets. The secret arrives sealed and leaves only towards the delivery loop (deliveryTargets); every
 * other read returns the record without it.
 */
import { ConflictError, NotFoundError } from '../domain/errors';
import type { DeliveryTarget, NotificationTargetRecord, StoredTargetInput, TargetFormat } from '../domain/notification-target';
import type { PutOptions } from '../domain/records';
import { quote } from '../domain/text';
import { type Db, inTransaction } from './db';
import type { Database, NotificationTargetsTable } from './tables';
import type { Kysely } from 'kysely';

/** A target's stored event list; a damaged one reads as no events rather than failing every read. */
export function eventsOf(text: string): string[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((e): e is string => typeof e === 'string') : [];
  } catch {
    return [];
  }
}

export function targetRecord(row: NotificationTargetsTable): NotificationTargetRecord {
  return {
    name: row.name,
    url: row.url,
    events: eventsOf(row.events),
    format: row.format as TargetFormat,
    enabled: Number(row.enabled) === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function notFound(name: string): NotFoundError {
  return new NotFoundError(`no notification target named ${quote(name)}`);
}

async function findTarget(db: Db, name: string): Promise<NotificationTargetsTable | undefined> {
  return db.selectFrom('notification_targets').selectAll().where('name', '=', name).executeTakeFirst();
}

/** Create or replace. An identical put (the secret compared by fingerprint) writes nothing and reports changed=false. */
export function putTarget(
  db: Kysely<Database>,
  t: StoredTargetInput,
  now: number,
  opts: PutOptions = {},
): Promise<{ record: NotificationTargetRecord; changed: boolean }> {
  return inTransaction(db, async (trx) => {
    const existing = await findTarget(trx, t.name);
    if (existing && opts.createOnly) {
      throw new ConflictError(
        `notification target ${quote(t.name)} already exists; import it (terraform import prewarm_notification_target.<name> ${t.name}) instead of creating it`,
      );
    }
    const columns = {
      url: t.url,
      events: JSON.stringify(t.events),
      format: t.format,
      enabled: t.enabled ? 1 : 0,
      sealed_secret: t.sealedSecret,
      secret_fingerprint: t.secretFingerprint,
    };
    if (existing) {
      const same =
        existing.url === columns.url &&
        existing.events === columns.events &&
        existing.format === columns.format &&
        Number(existing.enabled) === columns.enabled &&
        existing.secret_fingerprint === columns.secret_fingerprint;
      if (same) return { record: targetRecord(existing), changed: false };
      await trx.updateTable('notification_targets').set({ ...columns, updated_at: now }).where('name', '=', t.name).execute();
      await dropUnwanted(trx, t);
      return { record: targetRecord({ ...existing, ...columns, updated_at: now }), changed: true };
    }
    const row: NotificationTargetsTable = { name: t.name, ...columns, created_at: now, updated_at: now };
    await trx.insertInto('notification_targets').values(row).execute();
    return { record: targetRecord(row), changed: true };
  });
}

/**
 * A target disabled, or no longer subscribed to an event, drops what is still queued for it: events of the time it
 * did not want are never sent later (re-enabling it does not replay them), and nothing waits forever in the gauges.
 */
async function dropUnwanted(trx: Db, t: StoredTargetInput): Promise<void> {
  const pending = trx.selectFrom('notification_deliveries').select('notification_deliveries.id').where('target', '=', t.name).where('state', '=', 'pending');
  if (!t.enabled) {
    await trx.deleteFrom('notification_deliveries').where('id', 'in', pending).execute();
    return;
  }
  if (t.events.includes('*')) return;
  await trx
    .deleteFrom('notification_deliveries')
    .where('id', 'in', pending.innerJoin('notifications', 'notifications.id', 'notification_deliveries.notification_id').where('notifications.kind', 'not in', t.events))
    .execute();
}

export async function getTarget(db: Db, name: string): Promise<NotificationTargetRecord> {
  const row = await findTarget(db, name);
  if (!row) throw notFound(name);
  return targetRecord(row);
}

export async function listTargets(db: Db): Promise<NotificationTargetRecord[]> {
  const rows = await db.selectFrom('notification_targets').selectAll().orderBy('name').execute();
  return rows.map(targetRecord);
}

/** The target and everything queued or recorded for it: a target created again later under the name starts clean. */
export function deleteTarget(db: Kysely<Database>, name: string): Promise<void> {
  return inTransaction(db, async (trx) => {
    const gone = await trx.deleteFrom('notification_targets').where('name', '=', name).executeTakeFirst();
    if (Number(gone.numDeletedRows) === 0) throw notFound(name);
    await trx.deleteFrom('notification_deliveries').where('target', '=', name).execute();
  });
}

export async function deliveryTargets(db: Db): Promise<DeliveryTarget[]> {
  const rows = await db.selectFrom('notification_targets').select(['name', 'url', 'format', 'enabled', 'sealed_secret']).orderBy('name').execute();
  return rows.map((r) => ({ name: r.name, url: r.url, format: r.format as TargetFormat, enabled: Number(r.enabled) === 1, sealedSecret: r.sealed_secret }));
}
