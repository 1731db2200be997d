import { sql } from 'kysely';
import type { PresetSpec } from '../model/spec';
import type { InstanceState, InstanceView, PresetStatus, PresetView, Snapshot } from '../reconcile/types';
import { compileScheduling } from '../schedule';
import type { Db } from './db';
import { getMeta, metaKeys } from './meta';
import type { PresetsTable } from './schema';

export interface SnapshotWarning {
  presetId: string;
  message: string;
}

/**
 * Reads one consistent view of everything the reconciler needs, in a single read transaction. Preset views
 * are cached by (id, updated_at, template version) so an unchanged preset's spec is not re-parsed or its
 * schedules recompiled every tick.
 */
export class SnapshotReader {
  private cache = new Map<string, { key: string; view: PresetView }>();
  /** Presets whose stored schedules no longer compile; they run on their base count. */
  readonly warnings: SnapshotWarning[] = [];

  async read(db: Db, now: number): Promise<Snapshot> {
    const run = async (trx: Db): Promise<Snapshot> => {
      const paused = (await getMeta(trx, metaKeys.paused)) === '1';
      const templates = await trx.selectFrom('templates').select(['name', 'version', 'deleted_at']).execute();
      const templateByName = new Map(templates.map((t) => [t.name, t]));
      const presetRows = await trx.selectFrom('presets').selectAll().orderBy('id').execute();

      const presets: PresetView[] = [];
      const seen = new Set<string>();
      for (const row of presetRows) {
        const template = templateByName.get(row.template);
        const templateVersion = template ? Number(template.version) : 0;
        const templateDeleted = !template || template.deleted_at !== null;
        presets.push(this.view(row, templateVersion, templateDeleted));
        seen.add(row.id);
      }
      for (const id of this.cache.keys()) if (!seen.has(id)) this.cache.delete(id);

      const instances = (await trx
        .selectFrom('instances')
        .select([
          'id',
          'preset_id as presetId',
          'state',
          'owner',
          'template_version as templateVersion',
          'generation',
          'created_at as createdAt',
          'ready_at as readyAt',
          'failed_at as failedAt',
          'stopped_at as stoppedAt',
          'next_attempt_at as nextAttemptAt',
          sql<number>`0`.as('jobInFlight'),
        ])
        .where('state', 'not in', ['deleted', 'archived'])
        .execute()) as unknown as Array<InstanceView & { jobInFlight: boolean | number }>;

      const busy = await trx
        .selectFrom('jobs')
        .select('instance_id')
        .where('state', 'in', ['pending', 'running'])
        .execute();
      const busyIds = new Set(busy.map((b) => b.instance_id));

      const instancesByPreset = new Map<string, InstanceView[]>();
      for (const inst of instances) {
        inst.jobInFlight = busyIds.has(inst.id);
        inst.state = inst.state as InstanceState;
        let list = instancesByPreset.get(inst.presetId);
        if (!list) instancesByPreset.set(inst.presetId, (list = []));
        list.push(inst as InstanceView);
      }
      return { now, paused, presets, instancesByPreset, inFlight: busy.length };
    };
    // A read transaction gives one consistent view even while API mutations commit in between statements.
    return 'isTransaction' in db && db.isTransaction ? run(db) : db.transaction().execute(run);
  }

  private view(row: PresetsTable, templateVersion: number, templateDeleted: boolean): PresetView {
    const key = `${row.updated_at}|${templateVersion}|${templateDeleted}|${row.consecutive_failures}|${row.backoff_until}|${row.status}|${row.paused}|${row.invalidated_at}|${row.deleted_at}`;
    const cached = this.cache.get(row.id);
    if (cached && cached.key === key) return cached.view;
    const spec = JSON.parse(row.spec) as PresetSpec;
    let scheduling = null;
    if (spec.prebuilds?.scheduling) {
      try {
        scheduling = compileScheduling(spec.prebuilds.scheduling);
      } catch (err) {
        // Validated when stored; a newer, stricter release may still reject it. Run on the base count
        // rather than stopping the pool, and say so.
        this.warnings.push({ presetId: row.id, message: `schedules ignored: ${(err as Error).message}` });
      }
    }
    const view: PresetView = {
      id: row.id,
      template: row.template,
      name: row.name,
      templateVersion,
      generation: Number(row.generation),
      deleted: row.deleted_at !== null || templateDeleted,
      paused: row.paused === 1,
      status: row.status as PresetStatus,
      pool: spec.prebuilds
        ? { instances: spec.prebuilds.instances, ttlSeconds: spec.prebuilds.expiration_policy?.ttl ?? 0, scheduling }
        : null,
      invalidatedAt: row.invalidated_at === null ? null : Number(row.invalidated_at),
      consecutiveFailures: Number(row.consecutive_failures),
      backoffUntil: row.backoff_until === null ? null : Number(row.backoff_until),
    };
    this.cache.set(row.id, { key, view });
    return view;
  }
}
