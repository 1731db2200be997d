import BetterSqlite3 from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { systemClock } from '../../controller/clock/clock';
import { openStore } from '../../controller/store/store';

export interface SeedOptions {
  file: string;
  presets: number;
  instancesPerPreset: number;
  /** Real IANA zones, cycled over presets; each preset gets 4 schedules when set. */
  zones?: string[];
  now: number;
}

type SeedTable = 'templates' | 'template_versions' | 'presets' | 'instances';
type SeedRow = { table: SeedTable; row: Record<string, string | number | null> };

/**
 * The rows of a steady state: every preset's pool exactly at its desired size, all instances ready, so one
 * reconcile cycle has nothing to do. The same rows go into SQLite and PostgreSQL (the schema is the same).
 */
function* steadyStateRows(opts: Omit<SeedOptions, 'file'>): Generator<SeedRow> {
  const now = opts.now;
  const templatesCount = Math.max(1, Math.ceil(opts.presets / 100));
  for (let t = 0; t < templatesCount; t++) {
    yield { table: 'templates', row: { name: `t${t}`, driver: 'localdir', config: '{}', version: 1, created_at: now, updated_at: now, deleted_at: null } };
    yield { table: 'template_versions', row: { template: `t${t}`, version: 1, driver: 'localdir', config: '{}', created_at: now } };
  }
  for (let p = 0; p < opts.presets; p++) {
    const template = `t${p % templatesCount}`;
    const name = `p${p}`;
    const zone = opts.zones?.[p % opts.zones.length];
    const spec = {
      template,
      name,
      description: '',
      default: false,
      parameters: {},
      prebuilds: {
        instances: opts.instancesPerPreset,
        expiration_policy: { ttl: 86400 },
        ...(zone
          ? {
              scheduling: {
                timezone: zone,
                lead_time: '30m',
                // Windows that never fire at the seeded instant's hours would change desired; these all ask
                // for the same count as the base so the state stays steady whatever the local time.
                schedule: [
                  { cron: '* 0-5 * * *', instances: opts.instancesPerPreset },
                  { cron: '* 6-11 * * 1-5', instances: opts.instancesPerPreset },
                  { cron: '* 12-17 * * 1-5', instances: opts.instancesPerPreset },
                  { cron: '* 18-23 * * 1-5', instances: opts.instancesPerPreset },
                ],
              },
            }
          : {}),
      },
    };
    const presetId = `${template}/${name}`;
    yield {
      table: 'presets',
      row: {
        id: presetId, template, name, spec: JSON.stringify(spec), is_default: 0, generation: 1, paused: 0, status: 'healthy', status_reason: '',
        invalidated_at: null, consecutive_failures: 0, backoff_until: null, created_at: now, updated_at: now, deleted_at: null,
      },
    };
    for (let i = 0; i < opts.instancesPerPreset; i++) {
      const id = randomUUID();
      yield {
        table: 'instances',
        row: {
          id, name: `${name}-${id.slice(0, 12)}`, preset_id: presetId, template, template_version: 1, generation: 1, state: 'ready', owner: null,
          attributes: '{}', error: '', created_at: now - 1000, ready_at: now - 500, claimed_at: null, last_used_at: null, failed_at: null,
          stopped_at: null, deleting_at: null, deleted_at: null, next_attempt_at: null, delete_attempts: 0, updated_at: now,
        },
      };
    }
  }
}

/**
 * Fills a SQLite database with the steady state (see steadyStateRows). Written with raw prepared statements:
 * seeding is not what is measured.
 */
export async function seedSteadyState(opts: SeedOptions): Promise<void> {
  const store = await openStore(`sqlite:${opts.file}`, { clock: systemClock });
  await store.close();
  const db = new BetterSqlite3(opts.file);
  db.pragma('journal_mode = WAL');
  const inserts = new Map<SeedTable, BetterSqlite3.Statement>();
  db.transaction(() => {
    for (const { table, row } of steadyStateRows(opts)) {
      let insert = inserts.get(table);
      if (!insert) {
        const cols = Object.keys(row);
        insert = db.prepare(`insert into ${table} (${cols.join(', ')}) values (${cols.map((c) => `@${c}`).join(', ')})`);
        inserts.set(table, insert);
      }
      insert.run(row);
    }
  })();
  db.close();
}

/**
 * Fills a PostgreSQL database (migrated by opening a store on it) with the same steady state, in multi-row inserts
 * of `batch` rows through kysely, `rowsPerTransaction` rows to a transaction. The revision triggers are off while
 * it runs (session_replication_role = replica: the bench's own cluster, as its superuser) and the rows get the
 * revisions the triggers would have given them, in insertion order, the counters set to match: the trigger
 * updates one counter row per written row, and a transaction that updates one row n times costs O(n²) (every
 * update walks the row's versions from that same transaction), minutes for 100,000 rows in a few transactions.
 */
export async function seedSteadyStatePostgres(url: string, opts: Omit<SeedOptions, 'file'>, batch = 2500, rowsPerTransaction = 25_000): Promise<void> {
  const store = await openStore(url, { clock: systemClock });
  try {
    const db = store.db as unknown as Kysely<any>;
    const revisions: Partial<Record<SeedTable, number>> = {};
    const revised = new Set<SeedTable>(['presets', 'instances']);
    const rows = steadyStateRows(opts);
    let done = false;
    while (!done) {
      await db.transaction().execute(async (trx) => {
        await sql`set local session_replication_role = replica`.execute(trx);
        let pending: SeedRow['row'][] = [];
        let table: SeedTable | undefined;
        const flush = async () => {
          if (table && pending.length > 0) await trx.insertInto(table).values(pending).execute();
          pending = [];
        };
        for (let n = 0; n < rowsPerTransaction; n++) {
          const next = rows.next();
          if (next.done) {
            done = true;
            break;
          }
          if (next.value.table !== table || pending.length >= batch) await flush();
          table = next.value.table;
          const row = next.value.row;
          pending.push(revised.has(table) ? { ...row, rev: (revisions[table] = (revisions[table] ?? 0) + 1) } : row);
        }
        await flush();
      });
    }
    for (const [name, value] of Object.entries(revisions)) {
      await db.updateTable('revisions').set({ value }).where('name', '=', name).where('value', '<', value).execute();
    }
    // Fresh statistics, as autovacuum would gather soon after a real fill.
    await sql`analyze`.execute(db);
  } finally {
    await store.close();
  }
}
