import { type ColumnDefinitionBuilder, type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';

/** Which SQL the DDL is written for: the tables are the same, the id columns and the revision triggers differ. */
export type SqlDialect = 'sqlite' | 'postgres';

/**
 * Migrations live in code (not files) so they survive bundling. Names sort in application order. Each takes the
 * dialect: everything else is portable DDL built by kysely.
 */
const migrations = (dialect: SqlDialect): Record<string, Migration> => ({
  '0001_initial': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('revisions')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('templates')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('driver', 'text', (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('deleted_at', 'bigint')
        .execute();

      await db.schema
        .createTable('template_versions')
        .addColumn('template', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('driver', 'text', (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('template_versions_pk', ['template', 'version'])
        .execute();

      await db.schema
        .createTable('presets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('template', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('generation', 'integer', (c) => c.notNull())
        .addColumn('paused', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('healthy'))
        .addColumn('status_reason', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('invalidated_at', 'bigint')
        .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('backoff_until', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('deleted_at', 'bigint')
        .addColumn('rev', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('presets_rev').on('presets').column('rev').execute();
      await revisionTriggers(db, 'presets', dialect);
      await db.schema.createIndex('presets_template').on('presets').column('template').execute();

      await db.schema
        .createTable('instances')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('preset_id', 'text', (c) => c.notNull())
        .addColumn('template', 'text', (c) => c.notNull())
        .addColumn('template_version', 'integer', (c) => c.notNull())
        .addColumn('generation', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('owner', 'text')
        .addColumn('attributes', 'text', (c) => c.notNull().defaultTo('{}'))
        // The preset parameters the instance is built with, fixed at intent time (a re-drive sends the same).
        .addColumn('parameters', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('error', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('ready_at', 'bigint')
        .addColumn('claimed_at', 'bigint')
        .addColumn('last_used_at', 'bigint')
        .addColumn('failed_at', 'bigint')
        .addColumn('stopped_at', 'bigint')
        .addColumn('deleting_at', 'bigint')
        .addColumn('deleted_at', 'bigint')
        .addColumn('next_attempt_at', 'bigint')
        .addColumn('delete_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('rev', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      // Revisions let the reconciler read only what changed since its last snapshot.
      await db.schema.createIndex('instances_rev').on('instances').column('rev').execute();
      await revisionTriggers(db, 'instances', dialect);
      // The claim path: oldest ready unclaimed instance of one preset.
      await db.schema
        .createIndex('instances_claim')
        .on('instances')
        .columns(['preset_id', 'state', 'ready_at', 'id'])
        .execute();
      // Housekeeping purges old deleted rows. (No index on state: it would be rewritten on every claim and
      // state change, and nothing hot filters by state alone; the snapshot reads by revision.)
      await db.schema.createIndex('instances_deleted_at').on('instances').column('deleted_at').execute();

      await db.schema
        .createTable('jobs')
        .addColumn('id', idType(dialect), (c) => serialId(c, dialect))
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('preset_id', 'text', (c) => c.notNull())
        .addColumn('op', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('exit_code', 'integer')
        .addColumn('error', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('stderr', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .execute();
      await db.schema.createIndex('jobs_state').on('jobs').column('state').execute();
      await db.schema.createIndex('jobs_instance').on('jobs').column('instance_id').execute();

      await db.schema
        .createTable('notifications')
        .addColumn('id', idType(dialect), (c) => serialId(c, dialect))
        .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('delivered_at', 'bigint')
        .execute();
    },
  },
  '0002_instances_name': {
    // `prewarm instance get NAME`: one index lookup instead of a scan of every instance. Names never change after the
    // insert, so claims and state changes do not rewrite this index.
    async up(db: Kysely<any>) {
      await db.schema.createIndex('instances_name').on('instances').column('name').execute();
    },
  },
  '0003_workspaces': {
    async up(db: Kysely<any>) {
      // One column per statement: SQLite's ALTER TABLE adds one column at a time.
      for (const column of workspaceInstanceColumns) {
        await db.schema.alterTable('instances').addColumn(column, 'bigint').execute();
      }
      await db.schema.alterTable('instances').addColumn('destroy_reason', 'text').execute();
      await db.schema
        .alterTable('instances')
        .addColumn('lifecycle_failures', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      // Workspace listings read owned rows only: a partial index stays as small as the set of
      // workspaces, and pool churn (builds, claims of other rows) never rewrites it.
      await db.schema.createIndex('instances_owner').on('instances').column('owner').where('owner', 'is not', null).execute();

      await db.schema
        .alterTable('templates')
        .addColumn('lifecycle_policy', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute();
      // The policy in milliseconds, derived from lifecycle_policy at put time, so the claim statement copies it
      // onto the instance itself (no read, parse or cache of the template on the claim path).
      for (const column of policyColumns) {
        await db.schema.alterTable('templates').addColumn(column, 'bigint').execute();
      }
    },
  },
  '0004_notification_delivery': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('notification_targets')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        // Sealed by the controller's key before it reaches the store: a copy of the database reveals no secret.
        .addColumn('sealed_secret', 'text', (c) => c.notNull())
        .addColumn('secret_fingerprint', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('notification_deliveries')
        .addColumn('id', idType(dialect), (c) => serialId(c, dialect))
        .addColumn('notification_id', idType(dialect), (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        // The notification's own time, copied so the oldest-pending gauge reads one index of pending rows.
        .addColumn('notification_created_at', 'bigint', (c) => c.notNull())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('next_attempt_at', 'bigint')
        // A generation bumped by every claim: a result is recorded only by the holder of the current one.
        .addColumn('lease', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_until', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('delivered_at', 'bigint')
        .addColumn('failed_at', 'bigint')
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('last_latency_ms', 'integer')
        .addUniqueConstraint('notification_deliveries_once', ['notification_id', 'target'])
        .execute();
      // Pending rows only: delivered history (most rows, over time) never enters the indexes the loop and the
      // gauges read on every tick and scrape.
      await db.schema
        .createIndex('deliveries_due')
        .on('notification_deliveries')
        .columns(['target', 'next_attempt_at'])
        .where(sql.ref('state'), '=', 'pending')
        .execute();
      await db.schema
        .createIndex('deliveries_pending_age')
        .on('notification_deliveries')
        .column('notification_created_at')
        .where(sql.ref('state'), '=', 'pending')
        .execute();
      // The purge and `notify list --state` read settled rows by state; pending rows stay out of these two.
      await db.schema
        .createIndex('deliveries_delivered')
        .on('notification_deliveries')
        .column('delivered_at')
        .where(sql.ref('state'), '=', 'delivered')
        .execute();
      await db.schema.createIndex('deliveries_failed').on('notification_deliveries').column('failed_at').where(sql.ref('state'), '=', 'failed').execute();
      await db.schema.createIndex('deliveries_state').on('notification_deliveries').columns(['state', 'id']).execute();
      await db.schema.createIndex('deliveries_target').on('notification_deliveries').columns(['target', 'id']).execute();
      await db.schema.createIndex('deliveries_notification').on('notification_deliveries').column('notification_id').execute();

      await db.schema.alterTable('notifications').addColumn('fanned_out_at', 'bigint').execute();
      // Rows written before delivery existed stay history: a target created later must not receive a backlog of
      // events from before it could have been configured.
      await sql`update notifications set fanned_out_at = created_at`.execute(db);
      await db.schema.createIndex('notifications_waiting').on('notifications').column('id').where(sql.ref('fanned_out_at'), 'is', null).execute();
      await db.schema.createIndex('notifications_created').on('notifications').column('created_at').execute();
    },
  },
  '0005_replicas': {
    async up(db: Kysely<any>) {
      // One row per controller process that ever ran on this database, refreshed by its heartbeat: `prewarm status`
      // lists the live ones. Times are the database's own clock on PostgreSQL, so replicas on hosts whose clocks
      // disagree are judged alike.
      await db.schema
        .createTable('replicas')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('api', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('heartbeat_at', 'bigint', (c) => c.notNull())
        .addColumn('stopped_at', 'bigint')
        .execute();
      // The leader lease: who runs the reconcile and lifecycle loops and the driver jobs, until when, and under which
      // generation. Every write those make checks the generation in its own transaction (fencing).
      await db.schema
        .createTable('leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text')
        .addColumn('generation', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('expires_at', 'bigint')
        .addColumn('acquired_at', 'bigint')
        // PostgreSQL: the backend pid of the session in which the holder keeps its advisory lock (see postgres-store).
        .addColumn('holder_session', 'integer')
        .execute();
      // The one lease, free: taking it is then a single conditional UPDATE.
      await sql`insert into leases (name, generation) values ('leader', 0)`.execute(db);
    },
  },
});

/** Job, notification and delivery ids: SQLite's rowid alias, PostgreSQL's identity column. */
function idType(dialect: SqlDialect): 'integer' | 'bigint' {
  return dialect === 'postgres' ? 'bigint' : 'integer';
}
function serialId(c: ColumnDefinitionBuilder, dialect: SqlDialect): ColumnDefinitionBuilder {
  return dialect === 'postgres' ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement();
}

/** The template's lifecycle policy in milliseconds, as columns of both templates and instances (copied at claim). */
export const policyColumns = [
  'autostop_after_ms',
  'autostop_reminder_ms',
  'stopped_ttl_ms',
  'dormant_after_ms',
  'dormant_delete_after_ms',
  'auto_destroy_reminder_ms',
] as const;

const workspaceInstanceColumns = [
  'deadline',
  'reminded_deadline',
  'destroy_reminded_at',
  'dormant_at',
  'auto_destroy_at',
  'auto_destroy_inactivity_ms',
  'archived_at',
  ...policyColumns,
] as const;

/**
 * Every insert or update gives the row the table's next revision, whatever code path wrote it, so readers can
 * fetch only what changed since the revision they last saw. The counter lives in its own row and only ever
 * grows: deriving it from max(rev) would hand out old numbers again after housekeeping purged the newest row,
 * and a reader that had already passed them would never see the new rows.
 */
async function revisionTriggers(db: Kysely<any>, table: 'instances' | 'presets', dialect: SqlDialect): Promise<void> {
  await sql.raw(`insert into revisions (name, value) values ('${table}', 0)`).execute(db);
  if (dialect === 'postgres') {
    // A BEFORE trigger sets the row's revision as it is written. The first write of a transaction advances the
    // counter row, which stays locked until the transaction ends, so revisions are handed out in commit order across
    // every connection and replica: a reader that has seen revision n has seen every commit that took a revision up
    // to n. Later rows of the same transaction take the same revision (kept in a transaction-local setting): they
    // become visible together, and a bulk write updates the counter row once instead of once per row (which makes
    // a large transaction's cost grow with the square of its rows).
    await sql
      .raw(
        `create or replace function prewarm_next_rev() returns trigger language plpgsql as $$
         declare
           setting text := 'prewarm.rev_' || tg_table_name;
           taken text := current_setting(setting, true);
         begin
           if taken is null or taken = '' then
             update revisions set value = value + 1 where name = tg_table_name returning value into new.rev;
             perform set_config(setting, new.rev::text, true);
           else
             new.rev := taken::bigint;
           end if;
           return new;
         end $$`,
      )
      .execute(db);
    await sql.raw(`create trigger ${table}_rev before insert or update on ${table} for each row execute function prewarm_next_rev()`).execute(db);
    return;
  }
  for (const [event, when] of [
    ['insert', ''],
    ['update', 'when new.rev = old.rev'],
  ] as const) {
    await sql
      .raw(
        `create trigger ${table}_rev_${event} after ${event} on ${table} ${when}
         begin
           update revisions set value = value + 1 where name = '${table}';
           update ${table} set rev = (select value from revisions where name = '${table}') where rowid = new.rowid;
         end`,
      )
      .execute(db);
  }
}

/** Every migration this version knows, in application order: a database that records others is not opened. */
export const migrationNames: readonly string[] = Object.keys(migrations('sqlite')).sort();

export function migrationProviderFor(dialect: SqlDialect): MigrationProvider {
  return {
    async getMigrations() {
      return migrations(dialect);
    },
  };
}

export const migrationProvider: MigrationProvider = migrationProviderFor('sqlite');
