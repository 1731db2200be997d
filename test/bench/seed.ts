import BetterSqlite3 from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
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

/**
 * Fills a database with a steady state: every preset's pool exactly at its desired size, all instances ready,
 * so one reconcile cycle has nothing to do. Written with raw prepared statements: seeding is not what is measured.
 */
export async function seedSteadyState(opts: SeedOptions): Promise<void> {
  const store = await openStore(`sqlite:${opts.file}`, { clock: systemClock });
  await store.close();
  const db = new BetterSqlite3(opts.file);
  db.pragma('journal_mode = WAL');
  const now = opts.now;
  const insertTemplate = db.prepare(
    "insert into templates (name, driver, config, version, created_at, updated_at, deleted_at) values (?, 'localdir', '{}', 1, ?, ?, null)",
  );
  const insertVersion = db.prepare("insert into template_versions (template, version, driver, config, created_at) values (?, 1, 'localdir', '{}', ?)");
  const insertPreset = db.prepare(
    `insert into presets (id, template, name, spec, is_default, generation, paused, status, status_reason, invalidated_at,
      consecutive_failures, backoff_until, created_at, updated_at, deleted_at)
     values (?, ?, ?, ?, 0, 1, 0, 'healthy', '', null, 0, null, ?, ?, null)`,
  );
  const insertInstance = db.prepare(
    `insert into instances (id, name, preset_id, template, template_version, generation, state, owner, attributes, error,
      created_at, ready_at, claimed_at, last_used_at, failed_at, stopped_at, deleting_at, deleted_at, next_attempt_at,
      delete_attempts, updated_at)
     values (?, ?, ?, ?, 1, 1, 'ready', null, '{}', '', ?, ?, null, null, null, null, null, null, null, 0, ?)`,
  );
  const templatesCount = Math.max(1, Math.ceil(opts.presets / 100));
  db.transaction(() => {
    for (let t = 0; t < templatesCount; t++) {
      insertTemplate.run(`t${t}`, now, now);
      insertVersion.run(`t${t}`, now);
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
      insertPreset.run(`${template}/${name}`, template, name, JSON.stringify(spec), now, now);
      for (let i = 0; i < opts.instancesPerPreset; i++) {
        const id = randomUUID();
        insertInstance.run(id, `${name}-${id.slice(0, 12)}`, `${template}/${name}`, template, now - 1000, now - 500, now);
      }
    }
  })();
  db.close();
}
