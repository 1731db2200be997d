import type { Kysely } from 'kysely';
import { purgeDeliveries } from './deliveries';
import type { Database } from './tables';

/** How long deleted instances and their job history are kept for inspection. */
export const historyRetentionMs = 7 * 24 * 60 * 60 * 1000;

/**
 * Removes what nothing refers to any more: deleted instances past the history retention (with their jobs),
 * soft-deleted presets whose instances are all gone, soft-deleted templates with no presets left, and settled
 * notification deliveries with the notifications they leave without any.
 */
export async function purgeFinished(db: Kysely<Database>, now: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const cutoff = now - historyRetentionMs;
    await purgeDeliveries(trx, cutoff);
    const old = trx.selectFrom('instances').select('id').where('state', '=', 'deleted').where('deleted_at', '<', cutoff);
    await trx.deleteFrom('jobs').where('instance_id', 'in', old).execute();
    await trx.deleteFrom('instances').where('state', '=', 'deleted').where('deleted_at', '<', cutoff).execute();
    // Replicas silent for a day are no longer listed; their rows go with the rest of the history.
    await trx.deleteFrom('replicas').where('heartbeat_at', '<', cutoff).execute();
    await trx
      .deleteFrom('presets')
      .where('deleted_at', 'is not', null)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('instances')
              .select('id')
              .whereRef('instances.preset_id', '=', 'presets.id')
              .where('state', 'not in', ['deleted', 'archived']),
          ),
        ),
      )
      .execute();
    const gone = trx
      .selectFrom('templates')
      .select('name')
      .where('deleted_at', 'is not', null)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('presets').select('id').whereRef('presets.template', '=', 'templates.name'))),
      );
    await trx.deleteFrom('template_versions').where('template', 'in', gone).execute();
    await trx
      .deleteFrom('templates')
      .where('deleted_at', 'is not', null)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('presets').select('id').whereRef('presets.template', '=', 'templates.name'))),
      )
      .execute();
  });
}
